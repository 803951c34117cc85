package regress

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A Binary is a benchmark binary built from one commit or the working tree.
type Binary struct {
	Label  string // "base" or "head": names its results file
	Ref    string // as given; "" for the working tree
	Commit string // the full hash Ref resolved to; HEAD's for the working tree
	Dirty  bool   // built from a working tree with uncommitted changes
	Path   string
}

// Describe names the binary's source for messages: "HEAD (1a2b3c4d5e6f)",
// or "working tree (1a2b3c4d5e6f+changes)".
func (b *Binary) Describe() string {
	c := b.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if b.Ref == "" {
		if b.Dirty {
			c += "+changes"
		}
		return "working tree (" + c + ")"
	}
	return b.Ref + " (" + c + ")"
}

// Build compiles "go test -c" of the package pkg (such as "./bench") as it
// is at ref in the git repository around dir repo, writing the binary into
// tmp as <label>.test. A ref is checked out with "git worktree add
// --detach" into tmp and the worktree is removed before Build returns, also
// when ctx is canceled; ref "" builds the working tree as it is.
func Build(ctx context.Context, repo, ref, pkg, tmp, label string) (_ *Binary, err error) {
	if repo, err = filepath.Abs(repo); err != nil {
		return nil, err
	}
	if repo, err = filepath.EvalSymlinks(repo); err != nil {
		return nil, err
	}
	top, err := git(ctx, repo, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s: not in a git repository: %w", repo, err)
	}
	b := &Binary{Label: label, Ref: ref, Path: filepath.Join(tmp, label+".test")}
	src := top
	if ref == "" {
		if b.Commit, err = git(ctx, top, "rev-parse", "--verify", "HEAD^{commit}"); err != nil {
			return nil, err
		}
		st, err := git(ctx, top, "status", "--porcelain", "--untracked-files=no")
		if err != nil {
			return nil, err
		}
		b.Dirty = st != ""
		src = repo
	} else {
		if b.Commit, err = git(ctx, top, "rev-parse", "--verify", "--end-of-options", ref+"^{commit}"); err != nil {
			return nil, fmt.Errorf("%s ref %q is not a commit: %w", label, ref, err)
		}
		wt := filepath.Join(tmp, label+"-src")
		if _, err := git(ctx, top, "worktree", "add", "--detach", "--quiet", wt, b.Commit); err != nil {
			return nil, err
		}
		defer func() {
			// Remove the worktree even when ctx is canceled (SIGINT).
			if _, rerr := git(context.WithoutCancel(ctx), top, "worktree", "remove", "--force", wt); rerr != nil && err == nil {
				err = rerr
			}
		}()
		rel, err := filepath.Rel(top, repo)
		if err != nil {
			return nil, err
		}
		src = filepath.Join(wt, rel)
	}
	// -trimpath keeps the worktree's temporary path out of the build, so
	// that the build cache serves a commit built before.
	cmd := exec.CommandContext(ctx, goCommand(), "test", "-c", "-trimpath", "-o", b.Path, pkg)
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s of %s: go test -c %s: %w\n%s", pkg, b.Describe(), pkg, err, out)
	}
	return b, nil
}

// goCommand is $GO, as the Makefile and scripts name it, or go.
func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// git runs git in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
