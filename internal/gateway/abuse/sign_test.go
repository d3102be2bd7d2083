package abuse

import (
	"hash/maphash"
	"testing"
	"unicode"
)

// signUnicode is sign without the ASCII shortcut: every rune goes through
// the Unicode tables.
func (d *Detector) signUnicode(prompt string) signature {
	var sig signature
	sig.exact = maphash.String(d.seed, prompt)
	var prev uint64
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	inWord, lastDigit := false, false
	flush := func() {
		w := mix(h ^ d.salt)
		sig.add(w)
		if prev != 0 {
			sig.add(mix(prev*31 + w))
		}
		prev = w
		h, inWord, lastDigit = offset, false, false
	}
	for _, r := range prompt {
		switch {
		case unicode.IsDigit(r):
			if !lastDigit {
				h = (h ^ '#') * prime
			}
			inWord, lastDigit = true, true
		case unicode.IsLetter(r):
			h = (h ^ uint64(unicode.ToLower(r))) * prime
			inWord, lastDigit = true, false
		default:
			if inWord {
				flush()
			}
		}
	}
	if inWord {
		flush()
	}
	return sig
}

// TestSignASCIIShortcut checks that the ASCII shortcut signs every byte
// value exactly as the Unicode path does.
func TestSignASCIIShortcut(t *testing.T) {
	d := New(Config{})
	all := make([]byte, 0, 128*3)
	for b := 1; b < 128; b++ {
		all = append(all, byte(b), 'q', byte(b))
	}
	prompts := []string{
		string(all),
		"Invoice 4711 for ACME Corp, due 2026-03-02 [ref: A-17] {x@y.z} `code` ~tilde~ _under_",
		"Ärger mit Ölpreisen: 12 Zähler, ２３ Ｚahlen — mixed ASCII and not",
		"",
	}
	for _, p := range prompts {
		if got, want := d.sign(p), d.signUnicode(p); got != want {
			t.Errorf("sign(%q) differs from the Unicode path", p)
		}
	}
}
