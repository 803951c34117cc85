package ipc

import (
	"context"
	"errors"
	"testing"
	"time"
)

// testConfig is a short run: enough round trips to exercise the protocol,
// few enough to keep the suite fast under -race on two busy CPUs.
func testConfig(t *testing.T, backend string, wait Wait) Config {
	return Config{
		Backend: backend, Wait: wait,
		Samples: 500, Warmup: 50, Spins: DefaultSpins,
		Dir: t.TempDir(), Timeout: time.Minute,
	}
}

func twoCPUs(t *testing.T) {
	cpus, err := CPUs()
	if err != nil {
		t.Fatalf("CPUs: %v", err)
	}
	if len(cpus) < 2 {
		t.Skipf("CPUs() = %v: spinning needs two", cpus)
	}
}

func TestRunEveryBackend(t *testing.T) {
	for _, b := range Backends() {
		waits := []Wait{WaitSpin, WaitPoll}
		if b.Mapped {
			waits = append(waits, WaitFutex, WaitSpinFutex)
		}
		for _, w := range waits {
			t.Run(b.Name+"/"+w.String(), func(t *testing.T) {
				if w.Spins() {
					twoCPUs(t)
				}
				cfg := testConfig(t, b.Name, w)
				res, err := Run(context.Background(), cfg)
				if err != nil {
					t.Fatalf("Run(%s): %v", cfg.Name(), err)
				}
				s := res.Summary
				if s.Samples != cfg.Samples || res.Messages != 2*(cfg.Samples+cfg.Warmup) {
					t.Errorf("Run(%s): %d samples, %d messages; want %d and %d", cfg.Name(), s.Samples, res.Messages, cfg.Samples, 2*(cfg.Samples+cfg.Warmup))
				}
				if !(0 < s.P50 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.P999 && s.P999 <= s.Max) {
					t.Errorf("Run(%s): quantiles not positive and ordered: %v", cfg.Name(), s)
				}
				if b.Name == FloorName && res.ClockNsec <= 0 {
					t.Errorf("Run(%s): clock cost %v, want > 0", cfg.Name(), res.ClockNsec)
				}
				// getrusage counts CPU time in scheduler ticks, so a short
				// run may show none; it can never be negative.
				if res.CPUPerMsg < 0 {
					t.Errorf("Run(%s): CPU per message %v, want >= 0", cfg.Name(), res.CPUPerMsg)
				}
				t.Logf("%s: %v", cfg.Name(), s)
			})
		}
	}
}

func TestValidate(t *testing.T) {
	ok := testConfig(t, "mmap", WaitFutex)
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"unknown backend", func(c *Config) { c.Backend = "nosuch" }},
		{"zero samples", func(c *Config) { c.Samples = 0 }},
		{"negative warm-up", func(c *Config) { c.Warmup = -1 }},
		{"negative poll", func(c *Config) { c.Wait, c.Poll = WaitPoll, -time.Millisecond }},
		{"futex on pread", func(c *Config) { c.Backend = "pread" }},
		{"spinfutex with no spins", func(c *Config) { c.Wait, c.Spins = WaitSpinFutex, 0 }},
		{"writeback on sysv", func(c *Config) { c.Backend, c.Writeback = "sysv", time.Millisecond }},
		{"bad wait", func(c *Config) { c.Wait = 99 }},
		{"no timeout", func(c *Config) { c.Timeout = 0 }},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Validate(); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: Validate() = %v; want an error wrapping ErrUsage", tc.name, err)
		}
		if _, err := Run(context.Background(), c); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: Run() = %v; want an error wrapping ErrUsage", tc.name, err)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%s) = %v; want nil", ok.Name(), err)
	}
}
