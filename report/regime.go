package report

import (
	"fmt"
	"strings"

	"github.com/mmapbench/mmapbench/schema"
)

// A file read's label is only true in its regime: a warm file inside the
// last-level cache is read from the cache, one beyond it from memory; a cold
// "random" read of a file that a few read-around windows cover is a
// prefetch (../shared/notes/regimes.md, items 1 and 2). The regime of a row
// follows from its cache and size keys and the machine's llc-size and
// read-ahead config lines.
type regime int

const (
	regimeUnknown    regime = iota
	warmInLLC               // warm, file no larger than the LLC
	warmNearLLC             // warm, file between 1× and 4× the LLC: partly cache
	warmBeyondLLC           // warm, file at least 4× the LLC
	coldCovered             // cold, file under minReadAheadWindows windows: read-around covers much of it
	coldBeyondWindow        // cold, file of at least minReadAheadWindows read-ahead windows
	partialResident         // part:N, N% of the blocks resident, set by eviction and verified with mincore
	underPressure           // mem:N, the file N× a memory cgroup's limit: the kernel chooses what stays
)

// minReadAheadWindows is how many read-ahead windows a cold file must span
// for a random read not to be a prefetch of the file: with 32, one
// read-around brings in at most 1/32 of it.
const minReadAheadWindows = 32

// minLLCMultiple is how many times the LLC a warm file must be for its reads
// to come from memory rather than the cache.
const minLLCMultiple = 4

// machine holds the config values the regimes depend on.
type machine struct {
	llc, readAhead int64 // bytes; 0 when unknown; readAhead −1 for no block device
}

func machineOf(rs *results) machine {
	var m machine
	if v := rs.ConfigValue("llc-size"); v != "" {
		m.llc, _ = schema.ParseSize(v)
	}
	switch v := rs.ConfigValue("read-ahead"); v {
	case "", "unknown":
	case "none":
		m.readAhead = -1
	default:
		m.readAhead, _ = schema.ParseSize(v)
	}
	return m
}

// regimeOf classifies a file read of size bytes in a cache state (a
// cache key's value: warm, cold, part:N, mem:N).
func (m machine) regimeOf(cache string, size int64) regime {
	if c, err := schema.ParseCache(cache); err == nil {
		if c.IsPartial() {
			return partialResident
		}
		if _, ok := c.IsPressure(); ok {
			return underPressure
		}
	}
	switch cache {
	case "warm":
		switch {
		case m.llc <= 0:
			return regimeUnknown
		case size <= m.llc:
			return warmInLLC
		case size < minLLCMultiple*m.llc:
			return warmNearLLC
		}
		return warmBeyondLLC
	case "cold":
		switch {
		case m.readAhead == 0:
			return regimeUnknown
		case m.readAhead < 0 || size >= minReadAheadWindows*m.readAhead:
			return coldBeyondWindow
		}
		return coldCovered
	}
	return regimeUnknown
}

// usable reports whether a row of the regime may decide a verdict. The
// claims are about the two extremes; partial and pressure rows are the
// decision map's (report/map.go).
func (r regime) usable() bool {
	return r == warmInLLC || r == warmBeyondLLC || r == coldBeyondWindow
}

// words names the regime of a size-byte file the way a verdict says it:
// "warm, file 8× the LLC"; "cold, 32 read-ahead windows".
func (m machine) words(cache string, size int64) string {
	switch m.regimeOf(cache, size) {
	case warmInLLC:
		return fmt.Sprintf("warm, file within the LLC (%s of %s)", schema.FormatBytes(float64(size)), schema.FormatBytes(float64(m.llc)))
	case warmNearLLC:
		return fmt.Sprintf("warm, file %s× the LLC (partly cached)", trim(float64(size)/float64(m.llc)))
	case warmBeyondLLC:
		return fmt.Sprintf("warm, file %s× the LLC (%s)", trim(float64(size)/float64(m.llc)), schema.FormatBytes(float64(size)))
	case coldCovered:
		return fmt.Sprintf("cold, %s file: %s (%s windows of %s)", schema.FormatBytes(float64(size)), coveredNote, trim(float64(size)/float64(m.readAhead)), schema.FormatBytes(float64(m.readAhead)))
	case coldBeyondWindow:
		if m.readAhead < 0 {
			return fmt.Sprintf("cold, %s file, no block device read-ahead", schema.FormatBytes(float64(size)))
		}
		return fmt.Sprintf("cold, %s read-ahead windows (%s)", trim(float64(size)/float64(m.readAhead)), schema.FormatBytes(float64(size)))
	case partialResident:
		c, _ := schema.ParseCache(cache)
		return fmt.Sprintf("%s, %.0f%% of the blocks of a %s file resident", cache, 100*c.Resident(), schema.FormatBytes(float64(size)))
	case underPressure:
		c, _ := schema.ParseCache(cache)
		n, _ := c.IsPressure()
		return fmt.Sprintf("%s, the file %d× a memory cgroup's limit (%s file, %s limit), steady state", cache, n,
			schema.FormatBytes(float64(size)), schema.FormatBytes(float64(size)/float64(n)))
	}
	return fmt.Sprintf("%s, %s file (regime unknown: no llc-size or read-ahead line)", cache, schema.FormatBytes(float64(size)))
}

// coveredNote is the mark the report puts on a cold case it never uses.
const coveredNote = "read-around covers the file"

// joinOr joins xs with "; ", or says "none".
func joinOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, "; ")
}
