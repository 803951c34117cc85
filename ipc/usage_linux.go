package ipc

import (
	"time"

	"golang.org/x/sys/unix"
)

// usage is what getrusage says about one side of a ping-pong.
type usage struct {
	CPU    time.Duration // user + system
	MinFlt int64
	MajFlt int64
	CtxSw  int64 // voluntary + involuntary
}

// readUsage returns the counters of the process (unix.RUSAGE_SELF) or of
// the calling thread (unix.RUSAGE_THREAD).
func readUsage(who int) usage {
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		return usage{}
	}
	return usage{
		CPU:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		MinFlt: ru.Minflt,
		MajFlt: ru.Majflt,
		CtxSw:  ru.Nvcsw + ru.Nivcsw,
	}
}

func (u usage) sub(v usage) usage {
	return usage{u.CPU - v.CPU, u.MinFlt - v.MinFlt, u.MajFlt - v.MajFlt, u.CtxSw - v.CtxSw}
}

func (u usage) add(v usage) usage {
	return usage{u.CPU + v.CPU, u.MinFlt + v.MinFlt, u.MajFlt + v.MajFlt, u.CtxSw + v.CtxSw}
}
