// Package ipc measures how fast a store to shared memory becomes visible to
// another process, and tests the seed article's claims about file-backed
// mmap as an IPC channel.
//
// Two processes share a [Record]: a 64-byte-aligned header, the article's
// {pid, counter} pair, and a ping-pong word. The changer writes seq+1 to
// the word, the monitor answers seq+2, and the changer records the round
// trip; one-way latency is half of it. The processes are real: the driver
// ([Run]) re-executes its own binary (os.Executable) with the [ChildEnv]
// variable set, and [RunChildIfRequested], called first thing by main or
// TestMain, turns such a process into the child role. Any binary that does
// that, mmapbench or a test binary, can therefore be a driver; importing the
// package alone changes nothing.
//
// The shared word lives in one of several backends ([Backends]): a file
// mapped with MAP_SHARED (mmap, mmapgo, through package impl), the same file
// polled with system calls (pread, osfile), or the "other shared memory"
// the article compares against (posixshm in /dev/shm, memfd, sysv). A
// calibration row, floor, ping-pongs the same word between two threads of
// one process.
//
// How a side waits for the other's store is a separate dimension ([Wait]):
// spinning on atomic loads, polling with a sleep, FUTEX_WAIT/FUTEX_WAKE on
// the shared word (without FUTEX_PRIVATE_FLAG, so it works across
// processes), or spinning a while before sleeping on the futex.
//
// The measurements are Linux only, like the rest of mmapbench. Elsewhere the
// package builds, for what reads results (report), but Run, RunDurability
// and RunCount fail with errors.ErrUnsupported.
package ipc
