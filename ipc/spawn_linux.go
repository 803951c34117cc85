package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A child is one re-executed copy of the running binary.
type child struct {
	role   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string   // stdout, line by line; closed at EOF
	stderr *cappedBuffer // the child's error messages
}

// startChild starts the running binary as a child with cfg. The child gets
// SIGKILL when the driver's thread dies (Pdeathsig) and when ctx is done.
func startChild(ctx context.Context, cfg childConfig, files []*os.File) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("ipc: finding the running binary to re-execute: %w", err)
	}
	spec, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("ipc: encoding the child's configuration: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe)
	// A binary built with -race sleeps a second at exit by default
	// (atexit_sleep_ms), which would add a second to every row; binaries
	// built without it ignore GORACE.
	goRace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), ChildEnv+"="+string(spec), "GORACE="+goRace)
	cmd.ExtraFiles = files
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	c := &child{role: cfg.Role, cmd: cmd, lines: make(chan string, 4), stderr: &cappedBuffer{max: 4096}}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("ipc: %s: %w", cfg.Role, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ipc: %s: %w", cfg.Role, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ipc: starting %s: %w", cfg.Role, err)
	}
	go func() {
		s := bufio.NewScanner(stdout)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			c.lines <- s.Text()
		}
		close(c.lines)
	}()
	return c, nil
}

func (c *child) String() string { return fmt.Sprintf("%s (pid %d)", c.role, c.cmd.Process.Pid) }

// next returns the child's next line of output, or an error when ctx ends
// first or the child ends without one.
func (c *child) next(ctx context.Context, what string) (string, error) {
	select {
	case line, ok := <-c.lines:
		if !ok {
			return "", c.failure(what, c.cmd.Wait())
		}
		return line, nil
	case <-ctx.Done():
		return "", c.failure(what, ctx.Err())
	}
}

// failure describes why the child did not deliver what was expected.
func (c *child) failure(what string, err error) error {
	msg := strings.TrimSpace(c.stderr.String())
	if msg != "" {
		msg = ": " + msg
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("ipc: %s did not deliver its %s before the timeout; killed%s", c, what, msg)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("ipc: %s stopped before its %s: interrupted%s", c, what, msg)
	case err == nil:
		return fmt.Errorf("ipc: %s exited without its %s%s", c, what, msg)
	}
	return fmt.Errorf("ipc: %s failed before its %s: %v%s", c, what, err, msg)
}

// ready waits for the child's "ready" line.
func (c *child) ready(ctx context.Context) error {
	line, err := c.next(ctx, "ready line")
	if err == nil && line != "ready" {
		err = fmt.Errorf("ipc: %s said %q, want ready", c, line)
	}
	return err
}

// start tells the child to go.
func (c *child) start() error {
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		return fmt.Errorf("ipc: telling %s to go: %w", c, err)
	}
	return nil
}

// result reads the child's result line and waits for it to exit.
func (c *child) result(ctx context.Context) (childResult, error) {
	var res childResult
	line, err := c.next(ctx, "result")
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return res, fmt.Errorf("ipc: %s: bad result line %q: %w", c, line, err)
	}
	if err := c.cmd.Wait(); err != nil {
		return res, c.failure("exit", err)
	}
	return res, nil
}

// kill ends the child, if it still runs, and reaps it.
func (c *child) kill() {
	c.cmd.Process.Kill()
	c.stdin.Close()
	c.cmd.Wait()
}

// children is a set of started children that are all killed together.
type children []*child

func (cs children) kill() {
	for _, c := range cs {
		c.kill()
	}
}

func (cs children) pids() string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
