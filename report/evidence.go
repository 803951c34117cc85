package report

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The durability and counter evidence is the text that "mmapbench ipc -mode
// durable" and "-mode count" print on stdout; these are the lines read.
var (
	durableHead   = regexp.MustCompile(`^durable backend=(\S+): the changer stored counter (\d+) and died of SIGKILL`)
	durableReader = regexp.MustCompile(`^\s+(monitor|fresh process)\b.* read (\d+): (ok|WRONG)`)
	durableSync   = regexp.MustCompile(`^\s+fdatasync took (\S+); O_DIRECT read from the device after it: (\d+): (ok|WRONG)`)
	durableNoDir  = regexp.MustCompile(`^\s+fdatasync took (\S+); O_DIRECT read not possible here: (.*)$`)
	countLine     = regexp.MustCompile(`^count backend=(\S+) counter=(\S+): (\d+) changers x (\d+) increments = (\d+); final counter (\d+); lost (\d+) \(([\d.]+)%\) in ([\d.]+)s$`)
)

// Durable is the outcome of "mmapbench ipc -mode durable": a store through
// the mapping, then SIGKILL, with no close, munmap or msync.
type Durable struct {
	Backend       string
	Stored        uint64
	MonitorOK     bool   // the monitor, with the file mapped throughout, read the value
	FreshOK       bool   // a process started after the kill read it
	SyncTime      string // fdatasync's duration, as printed
	DirectChecked bool   // an O_DIRECT read after fdatasync was possible
	DirectOK      bool   // and returned the value
	Lines         []string
}

// A Count is one run of "mmapbench ipc -mode count".
type Count struct {
	Backend, Counter            string
	Changers, Increments        int
	Want, Final, Lost           int64
	LostPercent, ElapsedSeconds float64
	Line                        string
}

// ParseDurable reads the output of "mmapbench ipc -mode durable".
func ParseDurable(path string) (*Durable, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var d *Durable
	readers := 0
	for _, l := range lines {
		if m := durableHead.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseUint(m[2], 10, 64)
			d = &Durable{Backend: m[1], Stored: v}
		}
		if d == nil {
			continue
		}
		d.Lines = append(d.Lines, l)
		if m := durableReader.FindStringSubmatch(l); m != nil {
			readers++
			ok := m[3] == "ok"
			if m[1] == "monitor" {
				d.MonitorOK = ok
			} else {
				d.FreshOK = ok
			}
		}
		if m := durableSync.FindStringSubmatch(l); m != nil {
			d.SyncTime, d.DirectChecked, d.DirectOK = m[1], true, m[3] == "ok"
		}
		if m := durableNoDir.FindStringSubmatch(l); m != nil {
			d.SyncTime = m[1]
		}
	}
	if d == nil || readers < 2 {
		return nil, fmt.Errorf("%s: no output of 'mmapbench ipc -mode durable' (want a line 'durable backend=…' and the monitor and fresh process lines)", path)
	}
	return d, nil
}

// ParseCounts reads the output of one or more "mmapbench ipc -mode count" runs.
func ParseCounts(path string) ([]Count, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var cs []Count
	for _, l := range lines {
		m := countLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		c := Count{Backend: m[1], Counter: m[2], Line: l}
		c.Changers, _ = strconv.Atoi(m[3])
		c.Increments, _ = strconv.Atoi(m[4])
		c.Want, _ = strconv.ParseInt(m[5], 10, 64)
		c.Final, _ = strconv.ParseInt(m[6], 10, 64)
		c.Lost, _ = strconv.ParseInt(m[7], 10, 64)
		c.LostPercent, _ = strconv.ParseFloat(m[8], 64)
		c.ElapsedSeconds, _ = strconv.ParseFloat(m[9], 64)
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s: no output of 'mmapbench ipc -mode count' (want lines 'count backend=… counter=…: … lost N (P%%) in Ts')", path)
	}
	return cs, nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	return lines, sc.Err()
}
