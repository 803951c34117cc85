package ipc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The record's layout. Every field sits at an 8-byte-aligned offset, so that
// it can be read and written with sync/atomic through a mapping, and each
// group has its own 64-byte cache line, so that the ping-pong word does not
// share a line with anything else that is written.
const (
	offMagic   = 0   // uint64: recordMagic
	offVersion = 8   // uint64: recordVersion
	offPID     = 64  // uint64: the article's pid, of the last changer
	offCounter = 72  // uint64: the article's counter
	offSeq     = 128 // uint32: the ping-pong word; also the futex word
	offWaiters = 192 // uint32: how many sides sleep in FUTEX_WAIT on offSeq

	// RecordSize is the size of a record file or segment: one page, the
	// smallest unit any backend can map.
	RecordSize = 4096
)

const (
	recordMagic   = 0x31435049424d4d4d // "MMMBIPC1" little-endian
	recordVersion = 1

	// seqStop is the value the changer stores to end a ping-pong. It is
	// odd, as every value the changer stores is, so a monitor waiting for
	// the next odd value wakes up for it.
	seqStop = ^uint32(0)
)

// ErrNotRecord reports a file or segment that is not a record of this
// package: too small, or without the magic number.
var ErrNotRecord = errors.New("not an mmapbench IPC record (wrong size or magic number)")

// header returns the bytes of a fresh record's header.
func header() []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b[offMagic:], recordMagic)
	binary.LittleEndian.PutUint64(b[offVersion:], recordVersion)
	return b
}

// checkHeader reports whether b, the first 16 bytes of a region of the given
// size, is a record's header.
func checkHeader(label string, b []byte, size int64) error {
	if size < RecordSize {
		return fmt.Errorf("ipc: %s: %d bytes, want %d: %w", label, size, RecordSize, ErrNotRecord)
	}
	if m := binary.LittleEndian.Uint64(b[offMagic:]); m != recordMagic {
		return fmt.Errorf("ipc: %s: magic %#x, want %#x: %w", label, m, uint64(recordMagic), ErrNotRecord)
	}
	if v := binary.LittleEndian.Uint64(b[offVersion:]); v != recordVersion {
		return fmt.Errorf("ipc: %s: layout version %d, want %d: %w", label, v, recordVersion, ErrNotRecord)
	}
	return nil
}

// maxRounds keeps every value the changer stores below seqStop.
const maxRounds = 1 << 30
