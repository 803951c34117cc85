//go:build linux

package impl_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mmapbench/mmapbench/impl"
)

// A write through a shared mapping is in the page cache at once: a second
// store on the same file reads it back without a Sync.
func Example() {
	dir, err := os.MkdirTemp("", "impl-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data")

	m, err := impl.Open("mmap", path, impl.Options{Create: true, Size: 4096})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if _, err := m.WriteAt([]byte("hello, page cache"), 0); err != nil {
		log.Fatal(err)
	}

	p, err := impl.Open("pread", path, impl.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	buf := make([]byte, 17)
	if _, err := p.ReadAt(buf, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("pread: %q\n", buf)

	// View aliases the mapping: writing the slice writes the file.
	v, err := impl.View(m, 0, 5)
	if err != nil {
		log.Fatal(err)
	}
	copy(v, "HELLO")
	if _, err := p.ReadAt(buf, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("pread after a write through the view: %q\n", buf)

	// Output:
	// pread: "hello, page cache"
	// pread after a write through the view: "HELLO, page cache"
}

func ExampleLookup() {
	_, err := impl.Lookup("mmap2")
	fmt.Println(err)
	// Output:
	// impl: unknown backend "mmap2": want one of null, osfile, pread, mmap, mmapgo
}
