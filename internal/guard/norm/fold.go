// Package norm folds text into a canonical form for detectors: invisible
// format characters are removed and look-alike characters become their
// ASCII twins, so that "j\u200bohn@ex\u0430mple.com" reads as an e-mail
// address. A Map ties every byte of the folded text back to the original.
package norm

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Map relates byte offsets of folded text to the text it came from. A nil
// *Map is the identity.
type Map struct {
	start []int32 // original offset of the rune that produced each folded byte
	end   []int32 // original end of that rune
	n     int     // length of the original text
}

// Span converts the folded byte range [start, end) into the smallest range
// of the original text that produced it.
func (m *Map) Span(start, end int) (int, int) {
	if m == nil {
		return start, end
	}
	if start >= len(m.start) {
		return m.n, m.n
	}
	if end <= start {
		s := int(m.start[start])
		return s, s
	}
	return int(m.start[start]), int(m.end[end-1])
}

// IsASCII reports whether s holds only ASCII bytes; such text needs no
// folding.
func IsASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// Any byte with its high bit set fails the mask.
		v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if v&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Fold returns s with invisible characters dropped and confusable or
// compatibility characters replaced, together with the offset map. ASCII
// input is returned as is with a nil map. Invalid UTF-8 bytes become U+FFFD
// in the folded text and map back to the single bad byte.
func Fold(s string) (string, *Map) {
	if IsASCII(s) {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	m := &Map{start: make([]int32, 0, len(s)), end: make([]int32, 0, len(s)), n: len(s)}
	var buf [utf8.UTFMax * 4]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		repl := FoldRune(r, buf[:0])
		for range repl {
			m.start = append(m.start, int32(i))
			m.end = append(m.end, int32(i+size))
		}
		out = append(out, repl...)
		i += size
	}
	return string(out), m
}

// FoldRune appends the folded form of r to dst: nothing for invisible
// characters, ASCII for look-alikes and compatibility forms, r itself
// otherwise.
func FoldRune(r rune, dst []byte) []byte {
	if r < utf8.RuneSelf {
		return append(dst, byte(r))
	}
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
