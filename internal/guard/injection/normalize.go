// Package injection screens text for prompt injection and jailbreak
// attempts. Text is normalised (compatibility forms, look-alike letters,
// invisible characters), embedded base64, hex and rot13 payloads are
// decoded and screened too, and every view is scored by a logistic model
// trained in Go and embedded in the binary, over hashed word and character
// n-grams and hand-written rules.
package injection

import (
	"unicode"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/norm"
	xnorm "golang.org/x/text/unicode/norm"
)

// Normalize returns the canonical form used for screening: NFKC, invisible
// characters removed, look-alikes folded to ASCII, lower case, and runs of
// white space collapsed to one space.
func Normalize(s string) string { return string(appendNormal(nil, s)) }

// appendNormal appends the normal form of s to dst.
func appendNormal(dst []byte, s string) []byte {
	if !norm.IsASCII(s) && !xnorm.NFKC.IsNormalString(s) {
		s = xnorm.NFKC.String(s)
	}
	start := len(dst)
	space := true // drop leading space
	var buf [16]byte
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c = asciiNormal[c]; c != ' ' {
				dst = append(dst, c)
				space = false
			} else if !space {
				dst = append(dst, ' ')
				space = true
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if caseless(r) {
			// Chinese, Japanese and Korean have no case: fold only.
			if f := norm.FoldRune(r, buf[:0]); len(f) == size && string(f) == s[i:i+size] {
				dst = append(dst, s[i:i+size]...)
				space = false
				i += size
				continue
			}
		}
		i += size
		if unicode.IsSpace(r) {
			if !space {
				dst = append(dst, ' ')
				space = true
			}
			continue
		}
		// Lower case first: some capitals lower to a look-alike ("Օ" to
		// "օ") that must be folded too.
		f := norm.FoldRune(unicode.ToLower(r), buf[:0])
		if len(f) == 0 {
			continue // invisible
		}
		for _, c := range string(f) {
			dst = utf8.AppendRune(dst, unicode.ToLower(c))
		}
		space = false
	}
	if len(dst) > start && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// asciiNormal maps each ASCII byte to its normal form: capitals to lower
// case, every white space to a space.
var asciiNormal = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(c)
		switch {
		case c >= 'A' && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		case c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			t[c] = ' '
		}
	}
	return t
}()

// caseless reports whether r lies in a block of scripts without case:
// the CJK ideographs, kana and Hangul syllables.
func caseless(r rune) bool {
	return r >= 0x3040 && r < 0xA000 || r >= 0xAC00 && r < 0xD7A4
}
