package injection

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Attackers hide instructions in encodings a model can read but a filter
// may not. Decoded payloads that look like text become extra views.
var (
	reBase64 = regexp.MustCompile(`[A-Za-z0-9+/_\-]{16,}={0,2}`)
	reHex    = regexp.MustCompile(`(?:[0-9a-fA-F]{2}[ :]?){8,}`)
)

// maxViews bounds the decoded payloads screened per text.
const maxViews = 8

// Decoded returns the readable payloads embedded in s as base64 or hex,
// and its rot13 reading when that reads more like English than s does.
func Decoded(s string) []string {
	var out []string
	b64, hexRun := longestRuns(s)
	if b64 < 16 {
		goto rot
	}
	for _, m := range reBase64.FindAllString(s, maxViews*4) {
		if len(out) >= maxViews {
			break
		}
		if d, ok := decodeBase64(m); ok {
			out = append(out, d)
		}
	}
	if hexRun < 16 {
		goto rot
	}
	for _, m := range reHex.FindAllString(s, maxViews*4) {
		if len(out) >= maxViews {
			break
		}
		h := strings.NewReplacer(" ", "", ":", "").Replace(m)
		if len(h)%2 == 1 {
			h = h[:len(h)-1]
		}
		if b, err := hex.DecodeString(h); err == nil && readable(b) {
			out = append(out, string(b))
		}
	}
rot:
	if plain, rotated := englishness(s); rotated > plain+2 {
		out = append(out, rot13(s))
	}
	return out
}

// longestRuns returns the longest runs of base64 and of hex characters
// (hex allowing single separators), so that the decoders run only where a
// payload could be.
func longestRuns(s string) (b64, hx int) {
	cb, ch := 0, 0
	for i := 0; i < len(s); i++ {
		k := runClass[s[i]]
		if k&isB64 != 0 {
			cb++
			b64 = max(b64, cb)
		} else {
			cb = 0
		}
		switch {
		case k&isHexDigit != 0:
			ch++
			hx = max(hx, ch)
		case k&isHexSep != 0 && ch > 0:
		default:
			ch = 0
		}
	}
	return b64, hx
}

const (
	isB64 = 1 << iota
	isHexDigit
	isHexSep
)

var runClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		hexd := b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
		if hexd {
			t[c] |= isHexDigit
		}
		if hexd || b >= 'g' && b <= 'z' || b >= 'G' && b <= 'Z' || strings.IndexByte("+/_-=", b) >= 0 {
			t[c] |= isB64
		}
		if b == ' ' || b == ':' {
			t[c] |= isHexSep
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
// its rot13 scramble.
var commonWords = map[string]bool{
	"the": true, "and": true, "you": true, "to": true, "of": true, "a": true, "is": true, "in": true,
	"that": true, "it": true, "for": true, "your": true, "all": true, "ignore": true, "previous": true,
	"instructions": true, "with": true, "are": true, "this": true, "be": true, "me": true, "now": true,
	"tell": true, "what": true, "password": true, "prompt": true, "system": true, "say": true, "not": true,
}

// englishness counts the common English words in s and in its rot13
// reading, without allocating.
func englishness(s string) (plain, rotated int) {
	var w, r [16]byte
	n := 0
	flush := func() {
		if n > 0 && n <= len(w) {
			if commonWords[string(w[:n])] {
				plain++
			}
			if commonWords[string(r[:n])] {
				rotated++
			}
		}
		n = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			flush()
			continue
		}
		if n < len(w) {
			w[n], r[n] = c, 'a'+(c-'a'+13)%26
		}
		n++
	}
	flush()
	return plain, rotated
}
