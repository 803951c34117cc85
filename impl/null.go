package impl

import "fmt"

// nullStore is the "null" backend, fio's null engine: no system call and no
// file, only a buffer in memory. It ignores the path. Its ReadAt is a bare
// memmove and its View a slice, so it measures the harness (and the copy)
// with nothing of the kernel in it: the floor every other row sits on.
type nullStore struct {
	data     []byte // nil once closed
	size     int64  // fixed: Size still reports it after Close, as other backends do
	readOnly bool
}

func openNull(_ string, opt Options) (Store, error) {
	if opt.Size == 0 {
		return nil, fmt.Errorf("impl: null: size 0: the null backend has no file to take a size from; want a positive Size")
	}
	if opt.Size != int64(int(opt.Size)) {
		return nil, fmt.Errorf("impl: null: size %d does not fit in this platform's int", opt.Size)
	}
	// make would panic, or the runtime die out of memory, rather than fail.
	if err := checkMemory("null", opt.Size); err != nil {
		return nil, err
	}
	return &nullStore{data: make([]byte, opt.Size), size: opt.Size, readOnly: opt.ReadOnly}, nil
}

func (s *nullStore) String() string { return "null" }

// Size reports the store's fixed length.
func (s *nullStore) Size() int64 { return s.size }

// ReadAt copies from the buffer.
func (s *nullStore) ReadAt(p []byte, off int64) (int, error) {
	if s.data == nil {
		return 0, closedError("null", "ReadAt")
	}
	n, err := readSpan("null", off, len(p), int64(len(s.data)))
	if n > 0 {
		copy(p[:n], s.data[off:])
	}
	return n, err
}

// WriteAt copies into the buffer.
func (s *nullStore) WriteAt(p []byte, off int64) (int, error) {
	if s.data == nil {
		return 0, closedError("null", "WriteAt")
	}
	n, err := writeSpan("null", s.readOnly, off, len(p), int64(len(s.data)))
	if n > 0 {
		copy(s.data[off:], p[:n])
	}
	return n, err
}

// View returns the buffer's bytes [off, off+n).
func (s *nullStore) View(off int64, n int) ([]byte, error) {
	if s.data == nil {
		return nil, closedError("null", "View")
	}
	if err := viewSpan("null", off, n, int64(len(s.data))); err != nil {
		return nil, err
	}
	return s.data[off : off+int64(n) : off+int64(n)], nil
}

// Sync has nothing to make durable.
func (s *nullStore) Sync() error {
	if s.data == nil {
		return closedError("null", "Sync")
	}
	return nil
}

// Close drops the buffer. A second Close does nothing.
func (s *nullStore) Close() error {
	s.data = nil
	return nil
}
