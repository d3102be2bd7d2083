package norm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii unchanged", "plain text 123", "plain text 123"},
		{"zero width removed", "jo\u200bhn\u200d@ex\ufeffample.com", "john@example.com"},
		{"bidi controls removed", "abc\u202edef\u202c", "abcdef"},
		{"cyrillic look-alikes", "\u0430dmin@\u0435x\u0430mple.\u0441om", "admin@example.com"},
		{"greek look-alikes", "\u039fpen\u0391I", "OpenAI"},
		{"fullwidth digits and letters", "\uff11\uff12\uff13-\uff14\uff15 \uff21\uff42", "123-45 Ab"},
		{"arabic-indic digits", "\u0661\u0662\u0663", "123"},
		{"mathematical bold", "\U0001d41a\U0001d41b\U0001d41c", "abc"},
		{"dashes and quotes", "a\u2013b \u201cc\u201d", "a-b \"c\""},
		{"no-break space", "a\u00a0b", "a b"},
		{"accents kept", "Jörg Müller", "Jörg Müller"},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Fold(tt.in)
			if got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldSpanMapsBack(t *testing.T) {
	in := "mail: j\u200bohn@ex\u0430mple.com now"
	folded, m := Fold(in)
	i := strings.Index(folded, "john@example.com")
	s, e := m.Span(i, i+len("john@example.com"))
	if got := in[s:e]; got != "j\u200bohn@ex\u0430mple.com" {
		t.Fatalf("span maps to %q", got)
	}
	if _, m := Fold("ascii"); m != nil {
		t.Fatal("ASCII input should need no map")
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"", "abc", "j\u200bohn", "\u0430\u0435", "\xff\xfe", "\uff11\u0661", "é\u0301", strings.Repeat("\u200b", 10)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded, m := Fold(s)
		if !utf8.ValidString(folded) && utf8.ValidString(s) {
			t.Fatalf("valid input %q folded to invalid UTF-8 %q", s, folded)
		}
		prevStart := 0
		for i := range len(folded) {
			a, b := m.Span(i, i+1)
			if a < 0 || b > len(s) || a > b {
				t.Fatalf("byte %d maps to [%d,%d) outside %d bytes", i, a, b, len(s))
			}
			if a < prevStart {
				t.Fatalf("map goes backwards at byte %d", i)
			}
			prevStart = a
		}
		if a, b := m.Span(0, len(folded)); len(folded) > 0 && (a > b || b > len(s)) {
			t.Fatalf("whole span [%d,%d) invalid", a, b)
		}
	})
}

// TestFoldTable checks that the table Fold and FoldRune use marks exactly
// the characters of the Basic Multilingual Plane that foldRune changes,
// and gives the same replacements.
func TestFoldTable(t *testing.T) {
	f := folds()
	var buf, buf2 [16]byte
	for r := rune(0x80); r < 1<<16; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		slow := string(foldRune(r, buf[:0]))
		if marked := !f.unchanged(r); marked != (slow != string(r)) {
			t.Errorf("U+%04X: table says changed=%v, foldRune says %q", r, marked, slow)
		}
		if fast := string(FoldRune(r, buf2[:0])); fast != slow {
			t.Errorf("U+%04X: FoldRune gives %q, foldRune %q", r, fast, slow)
		}
	}
}
