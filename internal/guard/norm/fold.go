// Package norm folds text into a canonical form for detectors: invisible
// format characters are removed and look-alike characters become their
// ASCII twins, so that "j\u200bohn@ex\u0430mple.com" reads as an e-mail
// address. A Map ties every byte of the folded text back to the original.
package norm

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Map relates byte offsets of folded text to the text it came from. It
// is a sorted list of segments: within a segment that was copied
// unchanged, offsets shift by a constant; a segment that replaced one
// character maps all its bytes to that whole character. A nil *Map is the
// identity.
type Map struct {
	segs []seg
	n    int // length of the original text
}

type seg struct {
	f, o, olen int32 // folded start, original start, original length
	copied     bool  // bytes were copied one for one
}

// Span converts the folded byte range [start, end) into the smallest range
// of the original text that produced it.
func (m *Map) Span(start, end int) (int, int) {
	if m == nil {
		return start, end
	}
	if end <= start {
		s, _ := m.at(start)
		return s, s
	}
	s, _ := m.at(start)
	_, e := m.at(end - 1)
	return s, e
}

// at returns the original range of the folded byte i.
func (m *Map) at(i int) (int, int) {
	k, _ := slices.BinarySearchFunc(m.segs, int32(i), func(s seg, x int32) int { return cmp.Compare(s.f, x) })
	if k == len(m.segs) || m.segs[k].f > int32(i) {
		k--
	}
	if k < 0 {
		return 0, 0
	}
	sg := m.segs[k]
	if sg.copied {
		o := int(sg.o) + i - int(sg.f)
		if o >= m.n {
			return m.n, m.n
		}
		return o, o + 1
	}
	return int(sg.o), int(sg.o + sg.olen)
}

// IsASCII reports whether s holds only ASCII bytes; such text needs no
// folding.
func IsASCII(s string) bool { return asciiPrefix(s, 0) == len(s) }

// asciiPrefix returns the index of the first byte at or after i that is
// not ASCII, or len(s). It tests eight bytes at a time.
func asciiPrefix(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		// Any byte with its high bit set fails the mask.
		w := s[i : i+8] // one bounds check for the eight loads below
		v := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if v&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return i
		}
	}
	return i
}

// bmpFolds records, for the Basic Multilingual Plane, which characters
// FoldRune changes and into what, so that most characters cost one bit
// test and the changed ones one lookup instead of a Unicode
// normalisation. It is built on first use from the sets foldRune
// consults.
type bmpFolds struct {
	changed [1 << 16 / 64]uint64
	to      map[rune]string
}

var folds = sync.OnceValue(func() *bmpFolds {
	b := &bmpFolds{to: make(map[rune]string, 4096)}
	var buf [utf8.UTFMax * 4]byte
	mark := func(r rune) {
		if r < utf8.RuneSelf || r >= 1<<16 || r >= 0xD800 && r <= 0xDFFF {
			return
		}
		if f := foldRune(r, buf[:0]); string(f) != string(r) {
			b.changed[r/64] |= 1 << (r % 64)
			b.to[r] = string(f)
		}
	}
	for r := range confusables {
		mark(r)
	}
	for _, rt := range []*unicode.RangeTable{unicode.Nd, unicode.White_Space} {
		for _, rg := range rt.R16 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				mark(r)
			}
		}
	}
	for r := rune(0x80); r < 1<<16; r++ {
		if Invisible(r) || compatRange(r) {
			mark(r)
		}
	}
	return b
})

// Prepare builds the tables Fold and FoldRune use, which are otherwise
// built on first use. Call it at start-up so that the first request does
// not wait for them.
func Prepare() { folds() }

// unchanged reports whether FoldRune leaves the BMP character r as it is.
func (b *bmpFolds) unchanged(r rune) bool { return b.changed[r/64]&(1<<(r%64)) == 0 }

// Fold returns s with invisible characters dropped and confusable or
// compatibility characters replaced, together with the offset map. ASCII
// input is returned as is with a nil map. Invalid UTF-8 bytes become U+FFFD
// in the folded text and map back to the single bad byte.
func Fold(s string) (string, *Map) {
	i := asciiPrefix(s, 0)
	if i == len(s) {
		return s, nil
	}
	f := folds()
	// Find the first character that changes; text before it is copied
	// as it is.
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			i = asciiPrefix(s, i)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 1<<16 && r != utf8.RuneError && f.unchanged(r) {
			i += size
			continue
		}
		var buf [utf8.UTFMax * 4]byte
		if r >= 1<<16 && string(foldRune(r, buf[:0])) == s[i:i+size] {
			i += size
			continue
		}
		break
	}
	if i == len(s) {
		return s, nil // only letters such as "é" that stay as they are
	}
	var out strings.Builder
	out.Grow(len(s))
	m := &Map{n: len(s)}
	var buf [utf8.UTFMax * 4]byte
	copyFrom := 0 // start of the pending run of copied bytes
	flush := func(i int) {
		if copyFrom >= 0 {
			m.segs = append(m.segs, seg{f: int32(out.Len()), o: int32(copyFrom), olen: int32(i - copyFrom), copied: true})
			out.WriteString(s[copyFrom:i])
			copyFrom = -1
		}
	}
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if copyFrom < 0 {
				copyFrom = i
			}
			i = asciiPrefix(s, i+1)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 1<<16 && r != utf8.RuneError && f.unchanged(r) {
			if copyFrom < 0 {
				copyFrom = i
			}
			i += size
			continue
		}
		repl := FoldRune(r, buf[:0])
		if r != utf8.RuneError && string(repl) == s[i:i+size] {
			if copyFrom < 0 {
				copyFrom = i
			}
			i += size
			continue
		}
		flush(i)
		if len(repl) > 0 {
			m.segs = append(m.segs, seg{f: int32(out.Len()), o: int32(i), olen: int32(size)})
			out.Write(repl)
		}
		i += size
	}
	flush(len(s))
	m.segs = append(m.segs, seg{f: int32(out.Len()), o: int32(len(s)), copied: true})
	return out.String(), m
}

// FoldRune appends the folded form of r to dst: nothing for invisible
// characters, ASCII for look-alikes and compatibility forms, r itself
// otherwise.
func FoldRune(r rune, dst []byte) []byte {
	if r < utf8.RuneSelf {
		return append(dst, byte(r))
	}
	if r < 1<<16 && r != utf8.RuneError {
		f := folds()
		if f.unchanged(r) {
			return utf8.AppendRune(dst, r)
		}
		return append(dst, f.to[r]...)
	}
	return foldRune(r, dst)
}

// foldRune is FoldRune without the table.
func foldRune(r rune, dst []byte) []byte {
	if Invisible(r) {
		return dst
	}
	if a, ok := confusables[r]; ok {
		return append(dst, a...)
	}
	if compatRange(r) {
		var tmp [utf8.UTFMax]byte
		n := utf8.EncodeRune(tmp[:], r)
		d := norm.NFKC.Append(nil, tmp[:n]...)
		// The decomposition may itself hold confusables (math italic
		// Cyrillic is rare, but fullwidth Latin is common).
		for _, c := range string(d) {
			if c < utf8.RuneSelf {
				dst = append(dst, byte(c))
				continue
			}
			if a, ok := confusables[c]; ok {
				dst = append(dst, a...)
				continue
			}
			dst = utf8.AppendRune(dst, c)
		}
		return dst
	}
	if unicode.IsDigit(r) {
		return append(dst, byte('0'+digitValue(r)))
	}
	if unicode.IsSpace(r) {
		return append(dst, ' ')
	}
	return utf8.AppendRune(dst, r)
}

// Invisible reports whether r renders as nothing or only steers layout:
// zero-width characters, bidirectional controls, soft hyphens, variation
// selectors and tag characters. Attackers use them to split words.
func Invisible(r rune) bool {
	switch {
	case r == 0xAD, r == 0x34F, r == 0x180E, r == 0x61C:
		return true
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2060 && r <= 0x206F:
		return true
	case r == 0xFEFF, r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0000 && r <= 0xE007F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return false
}

// compatRange limits the costly NFKC step to blocks where compatibility
// forms live: fullwidth and halfwidth forms, letterlike symbols, enclosed
// and mathematical alphanumerics, ligatures, superscripts.
func compatRange(r rune) bool {
	switch {
	case r >= 0xA0 && r <= 0xBF, r >= 0x2070 && r <= 0x24FF, r >= 0x2C7C && r <= 0x2C7D,
		r >= 0x3000 && r <= 0x33FF, r >= 0xFB00 && r <= 0xFB4F, r >= 0xFF00 && r <= 0xFFEF,
		r >= 0x1D400 && r <= 0x1D7FF, r >= 0x1F100 && r <= 0x1F1FF:
		return true
	}
	return false
}

// digitValue returns the value of a decimal digit from any script. Unicode
// allocates decimal digits in contiguous runs of ten starting at zero.
func digitValue(r rune) int {
	z := r
	for z > 0 && unicode.IsDigit(z-1) && r-z < 9 {
		z--
	}
	return int(r-z) % 10
}
