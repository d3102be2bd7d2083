package injection

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Attackers hide instructions in forms a model can read but a filter may
// not: base64, hex, rot13, and letters spaced apart ("s a y  h e l l o").
// Decoded payloads that read as text become extra views to screen.

// maxViews bounds the decoded payloads screened per text.
const maxViews = 8

// minPayload is the shortest run of base64 or hex digits worth decoding.
const minPayload = 16

// Decoded returns the readable payloads embedded in s as base64 or hex,
// its rot13 reading when that reads more like English than s does, and
// the words of runs of spaced-out letters or hex pairs.
func Decoded(s string) []string {
	f := newFeaturizer()
	f.run(appendNormal(nil, s))
	return f.extraViews(payloads(nil, s), s)
}

// payloads appends to dst the readable base64 and hex payloads of s, found
// in one pass over its runs of base64 digits.
func payloads(dst []string, s string) []string {
	for i := 0; i < len(s) && len(dst) < maxViews; {
		if runClass[s[i]]&isB64 == 0 {
			i++
			continue
		}
		start := i
		var seen uint8
		for i < len(s) && runClass[s[i]]&isB64 != 0 {
			seen |= runClass[s[i]]
			i++
		}
		for i < len(s) && i-start < 4096 && s[i] == '=' {
			i++
		}
		run := s[start:i]
		if len(run) < minPayload {
			continue
		}
		if seen&isNonHex == 0 {
			if b, ok := decodeHex(run); ok {
				dst = append(dst, b)
			}
			continue
		}
		// Base64 of text mixes cases or holds digits; a long ordinary
		// word does neither.
		if seen&isUpper != 0 && seen&isLower != 0 || seen&isDigit != 0 {
			if d, ok := decodeBase64(run); ok {
				dst = append(dst, d)
			}
		}
	}
	return dst
}

// extraViews appends to dst the views that the last run of f found
// reason for: the rot13 reading of original when it reads more like
// English, and spaced-out letters or hex pairs joined up.
func (f *featurizer) extraViews(dst []string, original string) []string {
	if f.rotated > f.plain+2 && len(dst) < maxViews {
		dst = append(dst, rot13(original))
	}
	if len(f.spaced) >= minSpaced && len(dst) < maxViews {
		dst = append(dst, string(f.spaced))
	}
	if len(f.hexPairs) >= minPayload && len(dst) < maxViews { // eight pairs
		if d, ok := decodeHex(string(f.hexPairs)); ok {
			dst = append(dst, d)
		}
	}
	return dst
}

// minSpaced is the fewest single letters in a row, one space apart, read
// as a spaced-out word.
const minSpaced = 6

const (
	isB64 = 1 << iota
	isNonHex
	isUpper
	isLower
	isDigit
)

var runClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b >= '0' && b <= '9':
			t[c] = isB64 | isDigit
		case b >= 'a' && b <= 'f':
			t[c] = isB64 | isLower
		case b >= 'A' && b <= 'F':
			t[c] = isB64 | isUpper
		case b >= 'g' && b <= 'z':
			t[c] = isB64 | isLower | isNonHex
		case b >= 'G' && b <= 'Z':
			t[c] = isB64 | isUpper | isNonHex
		case strings.IndexByte("+/_-", b) >= 0:
			t[c] = isB64 | isNonHex
		}
	}
	return t
}()

func decodeBase64(m string) (string, bool) {
	m = strings.TrimRight(m, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(m); err == nil && readable(b) {
			return string(b), true
		}
	}
	return "", false
}

func decodeHex(h string) (string, bool) {
	if len(h)%2 == 1 {
		h = h[:len(h)-1]
	}
	b, err := hex.DecodeString(h)
	if err != nil || !readable(b) {
		return "", false
	}
	return string(b), true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// readable reports whether b is UTF-8 text made mostly of letters and
// spaces, as an encoded instruction would be.
func readable(b []byte) bool {
	if len(b) < 8 || !utf8.Valid(b) {
		return false
	}
	letters, spaces := 0, 0
	for _, r := range string(b) {
		switch {
		case r == ' ':
			spaces++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r > 0x7f:
			letters++
		case r < 0x20 && r != '\n' && r != '\t':
			return false
		}
	}
	n := utf8.RuneCount(b)
	return spaces > 0 && float64(letters+spaces) >= 0.8*float64(n)
}

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// commonWords are frequent English words; counting them tells English from
// its rot13 scramble. Their hashes sit in a small open-addressing table.
var commonWords = func() *[64]uint32 {
	var t [64]uint32
	for _, w := range strings.Fields("the and you to of a is in that it for your all ignore previous instructions with are this be me now tell what password prompt system say not") {
		h := wordHash(w)
		i := h % 64
		for t[i] != 0 {
			i = (i + 1) % 64
		}
		t[i] = h
	}
	return &t
}()

func common(h uint32) bool {
	for i := h % 64; commonWords[i] != 0; i = (i + 1) % 64 {
		if commonWords[i] == h {
			return true
		}
	}
	return false
}

var rot13Byte = func() (t [256]byte) {
	for c := range 256 {
		t[c] = byte(c)
		if c >= 'a' && c <= 'z' {
			t[c] = byte('a' + (c-'a'+13)%26)
		}
	}
	return t
}()

func isHexByte(c byte) bool { return runClass[c]&isB64 != 0 && runClass[c]&isNonHex == 0 }
