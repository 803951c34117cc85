package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// ErrNoTLBCounter reports a kernel whose /proc/interrupts has no "TLB" row
// (architectures other than x86 do not count shootdowns there).
var ErrNoTLBCounter = errors.New("bench: /proc/interrupts has no TLB shootdown row on this kernel")

// TLBShootdowns returns the machine-wide count of TLB shootdown interrupts,
// summed over CPUs, from the "TLB:" row of /proc/interrupts. It is a
// system-wide counter: take it before and after a run on an idle machine.
// It allocates, so call it outside timed loops.
func TLBShootdowns() (uint64, error) {
	data, err := os.ReadFile("/proc/interrupts")
	if err != nil {
		return 0, fmt.Errorf("bench: reading TLB shootdowns: %w", err)
	}
	return parseTLB(data)
}

// parseTLB sums the per-CPU columns of the "TLB:" row; the columns end
// where the description ("TLB shootdowns") begins.
func parseTLB(data []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20) // one column per CPU: long rows on big machines
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) == 0 || string(fields[0]) != "TLB:" {
			continue
		}
		var sum uint64
		for _, f := range fields[1:] {
			n, err := strconv.ParseUint(string(f), 10, 64)
			if err != nil {
				break // the description
			}
			sum += n
		}
		return sum, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("bench: reading /proc/interrupts: %w", err)
	}
	return 0, ErrNoTLBCounter
}
