//go:build !amd64 || purego

package signing

// hasLanes is false where no vector implementation exists; hashing then
// streams each unit through crypto/sha256.
const hasLanes = false

// absorb16 advances all sixteen streams by n blocks.
func absorb16(s *laneState, base []byte, offsets *[lanes]uint32, n int) {
	absorb16Generic(s, base, offsets, n)
}
