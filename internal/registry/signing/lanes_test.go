package signing

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// laneInput fills sixteen slots of stride bytes with random data.
func laneInput(seed uint64, stride int) ([]byte, [lanes]uint32) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	buf := make([]byte, lanes*stride)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	var off [lanes]uint32
	for l := range off {
		off[l] = uint32(l * stride)
	}
	return buf, off
}

func TestAbsorb16MatchesSHA256(t *testing.T) {
	for _, blocks := range []int{0, 1, 2, 17} {
		buf, off := laneInput(uint64(blocks), 20*blockSize)
		// Stagger the streams so each starts somewhere else in its slot.
		for l := range off {
			off[l] += uint32((l % 3) * blockSize)
		}
		var st laneState
		for l := range lanes {
			st.set(l, newChain())
		}
		gen := st
		absorb16(&st, buf, &off, blocks)
		absorb16Generic(&gen, buf, &off, blocks)
		if st != gen {
			t.Fatalf("%d blocks: vector and portable states differ", blocks)
		}
		for l := range lanes {
			data := buf[off[l] : int(off[l])+blocks*blockSize]
			tail := []byte("tail")
			c := st.chain(l, uint64(len(data)))
			if got, want := c.sum(tail), sha256.Sum256(append(append([]byte{}, data...), tail...)); got != want {
				t.Fatalf("%d blocks, stream %d: got %x, want %x", blocks, l, got, want)
			}
		}
	}
}

func TestChainSumMatchesSHA256(t *testing.T) {
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 200} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		whole := n / blockSize * blockSize
		c := newChain()
		c.absorb(data[:whole])
		if got, want := c.sum(data[whole:]), sha256.Sum256(data); got != want {
			t.Errorf("%d bytes: got %x, want %x", n, got, want)
		}
	}
}

func BenchmarkAbsorb16(b *testing.B) {
	buf, off := laneInput(1, laneChunk)
	var st laneState
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		absorb16(&st, buf, &off, laneChunk/blockSize)
	}
}
