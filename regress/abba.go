package regress

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// MinRunSamples is the fewest samples a side that [Run] takes: the
// benchstat documentation's advice for a comparison worth gating on.
const MinRunSamples = 10

// A Plan is an interleaved run of two benchmark binaries.
type Plan struct {
	Base, Head *Binary
	Count      int      // samples per side, at least MinRunSamples
	Args       []string // flags for every invocation, such as -test.bench
	Env        []string // extra environment for both binaries, as KEY=VALUE
	HeadEnv    []string // extra environment for the head binary only, as KEY=VALUE
	Dir        string   // working directory of the binaries
	RunID      string   // names the run in the pair lines; "" picks one
	Progress   io.Writer
}

// Run runs each binary p.Count times with -test.count 1, interleaved in
// ABBA order (base, head, head, base, base, head, ...), so that drift in
// the machine's speed falls on both sides alike and neither is always
// first. It appends each side's output, benchmark format, to base and
// head, each invocation's after a line "pair: <run>/<k>" ([PairKey]): the
// k-th base and the k-th head invocation ran next to each other. A binary
// that fails, or that runs no benchmark, stops the run.
func Run(ctx context.Context, p Plan, base, head io.Writer) error {
	if p.Count < MinRunSamples {
		return fmt.Errorf("%d samples a side: want at least %d", p.Count, MinRunSamples)
	}
	if p.RunID == "" {
		p.RunID = NewRunID()
	}
	total := 2 * p.Count
	for i := range total {
		bin, out, env := p.Base, base, p.Env
		if headTurn(i) {
			bin, out, env = p.Head, head, append(slices.Clip(p.Env), p.HeadEnv...)
		}
		start := time.Now()
		if err := p.runOnce(ctx, bin, env, fmt.Sprintf("%s: %s/%d\n", PairKey, p.RunID, i/2), out); err != nil {
			return err
		}
		if p.Progress != nil {
			fmt.Fprintf(p.Progress, "regress: [%d/%d] %s %s: %.1fs\n", i+1, total, bin.Label, bin.Describe(), time.Since(start).Seconds())
		}
	}
	return nil
}

// headTurn reports whether the i-th invocation runs the head binary:
// pairs alternate AB, BA, AB, ... which is ABBA ABBA over the sequence.
func headTurn(i int) bool {
	pair, second := i/2, i%2 == 1
	return second == (pair%2 == 0)
}

// NewRunID returns a name for a run's pair lines: the time and a random
// part, so that two runs' files never pair with each other.
func NewRunID() string {
	var b [3]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// runOnce runs bin once and writes the pair line, then its output, to w.
func (p Plan) runOnce(ctx context.Context, bin *Binary, env []string, pairLine string, w io.Writer) error {
	args := append([]string{"-test.run", "^$", "-test.count", "1"}, p.Args...)
	cmd := exec.CommandContext(ctx, bin.Path, args...)
	cmd.Dir = p.Dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	out := stdout.Bytes()
	switch {
	case err != nil || bytes.Contains(out, []byte("--- FAIL")):
		return fmt.Errorf("%s %s failed (%v): %s %s\n%s%s", bin.Label, bin.Describe(), err, bin.Path, strings.Join(args, " "), tail(stderr.Bytes()), tail(out))
	case !bytes.Contains(out, []byte("\nBenchmark")) && !bytes.HasPrefix(out, []byte("Benchmark")):
		return fmt.Errorf("%s %s ran no benchmark: %s %s", bin.Label, bin.Describe(), bin.Path, strings.Join(args, " "))
	}
	_, err = io.WriteString(w, pairLine+string(out))
	return err
}

// tail returns the last lines of a command's output, for an error message.
func tail(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
