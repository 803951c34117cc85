package main

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/mmapbench/mmapbench/ipc"
)

func runDurable(ctx context.Context, stdout, stderr io.Writer, cfg ipc.DurabilityConfig) int {
	res, err := ipc.RunDurability(ctx, cfg)
	if err != nil {
		fprintf(stderr, "mmapbench %v\n", err)
		if errors.Is(err, ipc.ErrUsage) {
			return exitUsage
		}
		return exitFail
	}
	check := func(got uint64) string {
		if got == res.Value {
			return "ok"
		}
		return "WRONG"
	}
	fprintf(stdout, "durable backend=%s: the changer stored counter %d and died of SIGKILL (no close, munmap or msync)\n", cfg.Backend, res.Value)
	fprintf(stdout, "  monitor, file mapped throughout, read %d: %s\n", res.Monitor, check(res.Monitor))
	fprintf(stdout, "  fresh process, started after the kill, read %d: %s (the page cache holds it)\n", res.Fresh, check(res.Fresh))
	if res.DirectErr != nil {
		fprintf(stdout, "  fdatasync took %v; O_DIRECT read not possible here: %v\n", res.SyncTime, res.DirectErr)
	} else {
		fprintf(stdout, "  fdatasync took %v; O_DIRECT read from the device after it: %d: %s\n", res.SyncTime.Round(time.Microsecond), res.OnDisk, check(res.OnDisk))
	}
	if res.Monitor != res.Value || res.Fresh != res.Value || (res.DirectErr == nil && res.OnDisk != res.Value) {
		return exitFail
	}
	return exitOK
}
