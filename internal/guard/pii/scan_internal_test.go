package pii

import (
	"math/rand/v2"
	"testing"
)

// naiveMark is nextMark one byte at a time.
func naiveMark(t string, i int) int {
	for ; i < len(t); i++ {
		if c := t[i]; c >= 0x80 || c >= '0' && c <= 'Z' {
			return i
		}
	}
	return len(t)
}

func TestNextMark(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "abcxyz .,!-_/'\"()[]{}~\n\t09:;<=>?@AZ\x80\xff\xc3\xa9"
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte('a' + rng.IntN(26))
			}
		}
		s := string(b)
		for i := 0; i <= len(s); i++ {
			if got, want := nextMark(s, i), naiveMark(s, i); got != want {
				t.Fatalf("nextMark(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	}
}

func FuzzNextMark(f *testing.F) {
	f.Add("plain lower case text, then A capital", 0)
	f.Fuzz(func(t *testing.T, s string, i int) {
		if i < 0 || i > len(s) {
			return
		}
		if got, want := nextMark(s, i), naiveMark(s, i); got != want {
			t.Fatalf("nextMark(%q, %d) = %d, want %d", s, i, got, want)
		}
	})
}

func TestMayHoldCapital(t *testing.T) {
	for _, tt := range []struct {
		w    string
		want bool
	}{{"Äpfel", true}, {"élan", true}, {"Ωmega", true}, {"Ελλάδα", true}, {"Москва", true}, {"北京", false}, {"東京タワー", false}, {"서울", false}, {"…", false}, {"Ḍaka", true}} {
		if got := mayHoldCapital(tt.w); got != tt.want {
			t.Errorf("mayHoldCapital(%q) = %v, want %v", tt.w, got, tt.want)
		}
	}
}
