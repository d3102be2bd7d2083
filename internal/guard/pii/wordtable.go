package pii

import (
	"unicode"
	"unicode/utf8"
)

// Word lookups are the commonest operation of the name recogniser, so the
// gazetteer is not a Go map of strings: words are hashed in lower case,
// without building the lower-case string, into a 64-bit FNV-1a value, and
// the value alone is looked up in an open-addressing table. Two different
// words collide in the table only if their 64-bit hashes are equal.

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// hashLower returns the hash of s in lower case.
func hashLower(s string) uint64 { return hashLowerFrom(fnvOffset64, s) }

// hashLowerFrom continues the hash h over s in lower case, so that the
// hash of a phrase can be built word by word.
func hashLowerFrom(h uint64, s string) uint64 {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			h = (h ^ uint64(c)) * fnvPrime64
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		var enc [utf8.UTFMax]byte
		n := utf8.EncodeRune(enc[:], unicode.ToLower(r))
		for _, b := range enc[:n] {
			h = (h ^ uint64(b)) * fnvPrime64
		}
	}
	return h
}

// hashByte continues the hash h over one byte.
func hashByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime64 }

// wordTable maps word hashes to gazetteer flags.
type wordTable struct {
	keys  []uint64 // zero marks an empty slot
	vals  []uint16
	shift uint
}

func newWordTable(capacity int) *wordTable {
	bits := uint(4)
	for 1<<bits < 2*capacity {
		bits++
	}
	return &wordTable{keys: make([]uint64, 1<<bits), vals: make([]uint16, 1<<bits), shift: 64 - bits}
}

func (t *wordTable) slot(h uint64) uint64 { return (h * 0x9e3779b97f4a7c15) >> t.shift }

// add ORs flags into the entry for h. The table never fills: it is built
// once with twice the room of the words it holds.
func (t *wordTable) add(h uint64, flags uint16) {
	if h == 0 {
		h = 1
	}
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(h); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			t.vals[i] |= flags
			return
		case 0:
			t.keys[i], t.vals[i] = h, flags
			return
		}
	}
}

// get returns the flags of h, or zero.
func (t *wordTable) get(h uint64) uint16 {
	if h == 0 {
		h = 1
	}
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(h); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return t.vals[i]
		case 0:
			return 0
		}
	}
}
