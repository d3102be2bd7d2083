package signing

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

const blockSize = sha256.BlockSize

// stateMagic and stateSize describe the stable serialized form of a
// crypto/sha256 digest (its encoding.BinaryMarshaler output): a magic
// string, the eight chaining words, one buffered block and the length.
const (
	stateMagic = "sha\x03"
	stateSize  = len(stateMagic) + 8*4 + blockSize + 8
)

// chain is a SHA-256 computation that has absorbed a whole number of
// blocks. Keeping the bare chaining value lets the vector code advance
// sixteen streams together while crypto/sha256 still does the padding at
// the end. The tests compare every path with crypto/sha256, so a change of
// its serialized form cannot go unnoticed.
type chain struct {
	h [8]uint32
	n uint64
}

func newChain() chain {
	return chain{h: words(sha256.New())}
}

// words extracts the chaining value from a crypto/sha256 digest.
func words(d hash.Hash) [8]uint32 {
	st, err := d.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil || len(st) != stateSize {
		panic("signing: unexpected crypto/sha256 state encoding")
	}
	var h [8]uint32
	for i := range h {
		h[i] = binary.BigEndian.Uint32(st[len(stateMagic)+4*i:])
	}
	return h
}

// digest resumes crypto/sha256 from the chaining value.
func (c *chain) digest() hash.Hash {
	st := make([]byte, 0, stateSize)
	st = append(st, stateMagic...)
	for _, w := range c.h {
		st = binary.BigEndian.AppendUint32(st, w)
	}
	st = append(st, make([]byte, blockSize)...)
	st = binary.BigEndian.AppendUint64(st, c.n)
	d := sha256.New()
	if err := d.(encoding.BinaryUnmarshaler).UnmarshalBinary(st); err != nil {
		panic(err) // the state is well formed by construction
	}
	return d
}

// absorb adds block-aligned input to the chain with crypto/sha256.
func (c *chain) absorb(p []byte) {
	d := c.digest()
	d.Write(p)
	c.h = words(d)
	c.n += uint64(len(p))
}

// sum pads the chain after the final partial block and returns the digest.
func (c *chain) sum(tail []byte) [sha256.Size]byte {
	d := c.digest()
	d.Write(tail)
	var out [sha256.Size]byte
	d.Sum(out[:0])
	return out
}
