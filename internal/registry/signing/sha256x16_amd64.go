//go:build amd64 && !purego

package signing

import "golang.org/x/sys/cpu"

// blocks16 absorbs n 64-byte blocks into each of the sixteen chains in
// state. Stream l reads its blocks from base+offsets[l] onwards.
//
//go:noescape
func blocks16(state *laneState, base *byte, offsets *[lanes]uint32, n int)

// hasLanes reports whether blocks16 can run on this CPU.
var hasLanes = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// absorb16 advances all sixteen streams by n blocks; every stream must have
// n blocks readable in base from its offset.
func absorb16(s *laneState, base []byte, offsets *[lanes]uint32, n int) {
	if !hasLanes {
		absorb16Generic(s, base, offsets, n)
		return
	}
	for _, o := range offsets {
		if int(o)+n*blockSize > len(base) {
			panic("signing: lane offset out of range")
		}
	}
	if n > 0 {
		blocks16(s, &base[0], offsets, n)
	}
}
