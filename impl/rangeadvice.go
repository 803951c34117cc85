package impl

// A RangeAdvisor takes a hint for one range of its store rather than the
// whole of it: what a reader that knows its next reads (a batch of
// lookups) gives the kernel before making them. The file backends have it.
//
// AdviseRange accepts AdviceWillNeed (posix_fadvise(POSIX_FADV_WILLNEED)
// on a descriptor, madvise(MADV_WILLNEED) on a mapping: start reading the
// range in, do not wait), AdvicePopulate (mappings only:
// madvise(MADV_POPULATE_READ): read the range in, map it, and wait) and
// AdviceDontNeed (drop the range: madvise(MADV_DONTNEED) of a mapping's
// page table entries, then posix_fadvise(POSIX_FADV_DONTNEED) of its
// pages). A mapping's range must start on a page boundary; a refusal of
// the kernel is an error that names the call and the range, never a
// silent no-op.
type RangeAdvisor interface {
	AdviseRange(a Advice, off, n int64) error
}
