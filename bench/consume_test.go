package bench

import "testing"

func TestConsumeSeesEveryByte(t *testing.T) {
	for _, n := range []int{1, 7, 31, 32, 33, 64, 4096 + 5} {
		p := make([]byte, n)
		base := Consume(p)
		for i := range p {
			p[i] = 1
			if Consume(p) == base {
				t.Fatalf("Consume of %d bytes ignores a change at byte %d", n, i)
			}
			p[i] = 0
		}
	}
}

func BenchmarkConsume(b *testing.B) {
	p := make([]byte, 1<<20)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		Consume(p)
	}
}
