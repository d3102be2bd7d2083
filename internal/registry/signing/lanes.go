package signing

// lanes is how many streams blocks16 hashes at once.
const lanes = 16

// laneState holds sixteen SHA-256 chaining values word by word: the first
// index is the word (a to h), the second the stream. That is the layout the
// vector code loads straight into its registers.
type laneState [8][lanes]uint32

func (s *laneState) set(l int, c chain) {
	for j := range c.h {
		s[j][l] = c.h[j]
	}
}

func (s *laneState) chain(l int, n uint64) chain {
	c := chain{n: n}
	for j := range c.h {
		c.h[j] = s[j][l]
	}
	return c
}

// absorb16Generic is the portable equivalent of blocks16: stream l absorbs
// n blocks from base[offsets[l]:].
func absorb16Generic(s *laneState, base []byte, offsets *[lanes]uint32, n int) {
	for l := range lanes {
		c := s.chain(l, 0)
		c.absorb(base[offsets[l] : int(offsets[l])+n*blockSize])
		s.set(l, c)
	}
}
