package pii

import (
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/guard/norm"
)

// scanOps returns the work counted while scanning text.
func scanOps(text string) int {
	folded, _ := norm.Fold(text)
	sc := &scan{s: allScanner, t: folded}
	sc.run()
	sc.resolve()
	return sc.ops
}

// TestLinearCost feeds inputs built to make matching slow and checks that
// four times the input costs about four times the work, not sixteen.
func TestLinearCost(t *testing.T) {
	units := map[string]string{
		"digits":        "1 ",
		"phone-ish":     "+1 (2) 3-4.5 ",
		"capitals":      "Aa Bb ",
		"one line caps": "Kreutzmann-",
		"at signs":      "a@b.c@",
		"pem begins":    "-----BEGIN RSA PRIVATE KEY-----",
		"base64 run":    "QUJD+/",
		"addresses":     "1 Main St 2 ",
		"iban heads":    "GB82 ",
		"colons":        "a1:b2:",
		"lower names":   "zxq ",
		"brackets":      "<<<<",
		"mixed":         "Mr. Jan 12 ab@c.de St 4111 ",
		"names near":    "Alvir Pušaver met Alvir. ",
	}
	for name, unit := range units {
		t.Run(name, func(t *testing.T) {
			n := 1 << 13
			small := strings.Repeat(unit, n/len(unit))
			large := strings.Repeat(unit, 4*n/len(unit))
			a, b := scanOps(small), scanOps(large)
			if ratio := float64(b) / float64(a); ratio > 5 {
				t.Errorf("work grew %.1f times for 4 times the input (%d -> %d ops)", ratio, a, b)
			}
		})
	}
}

func TestRestoreLinear(t *testing.T) {
	g, _ := NewGuard(Policy{Entities: map[Type]Action{Email: ActionTokenize}})
	r := g.Redactor()
	r.Redact("ann@example.com")
	// Many '<' without '>' must not make Restore quadratic; it completes
	// quickly either way, and the output keeps the input.
	in := strings.Repeat("<_T", 1<<18)
	if out := r.Restore(in); out != in {
		t.Fatal("restore changed text without placeholders")
	}
}
