//go:build linux

package bench

import (
	"errors"
	"testing"
)

func TestParseTLB(t *testing.T) {
	const text = `           CPU0       CPU1
  0:         37          0   IO-APIC   2-edge      timer
LOC:    1234567    2345678   Local timer interrupts
TLB:     645274     571501   TLB shootdowns
ERR:          0
`
	n, err := parseTLB([]byte(text))
	if err != nil || n != 645274+571501 {
		t.Fatalf("parseTLB = %d, %v; want %d", n, err, 645274+571501)
	}
	if _, err := parseTLB([]byte("LOC: 1 2 Local timer\n")); !errors.Is(err, ErrNoTLBCounter) {
		t.Fatalf("parseTLB without a TLB row: err = %v, want ErrNoTLBCounter", err)
	}
}

func TestTLBShootdownsReadsThisMachine(t *testing.T) {
	n, err := TLBShootdowns()
	if errors.Is(err, ErrNoTLBCounter) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("TLB shootdowns so far: %d", n)
}
