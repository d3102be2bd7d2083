package audit

import (
	"slices"
	"testing"

	"github.com/attest-ai/attest/internal/controls"
)

func TestChoose(t *testing.T) {
	cases := []struct{ n, k int }{{0, 5}, {3, 5}, {10, 10}, {1000, 25}, {1 << 40, 3}}
	for _, c := range cases {
		got := choose(rngFor("seed", "X-1"), c.n, c.k)
		if len(got) != min(c.n, c.k) {
			t.Fatalf("choose(%d, %d) returned %d positions", c.n, c.k, len(got))
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("positions must be distinct and sorted: %v", got)
		}
		for _, p := range got {
			if p < 0 || p >= c.n {
				t.Fatalf("position %d outside [0, %d)", p, c.n)
			}
		}
		if again := choose(rngFor("seed", "X-1"), c.n, c.k); !slices.Equal(again, got) {
			t.Fatal("the same seed must choose the same positions")
		}
	}
	// Every position is reachable: over many seeds each of 10 positions is
	// picked at least once when choosing 2.
	seen := map[int]bool{}
	for i := 0; i < 200; i++ {
		for _, p := range choose(rngFor(string(rune('a'+i%26))+string(rune(i)), "X"), 10, 2) {
			seen[p] = true
		}
	}
	if len(seen) != 10 {
		t.Fatalf("only positions %v were ever chosen", seen)
	}
}

func TestEvidenceTypes(t *testing.T) {
	cat, err := controls.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := cat.Control("AI-PRV-01")
	listed, dense := evidenceTypes(k)
	if !slices.Equal(listed, []string{"control.evaluated"}) || !slices.Equal(dense, []string{"inference.request", "inference.response"}) {
		t.Fatalf("AI-PRV-01: listed %v dense %v", listed, dense)
	}
	k, _ = cat.Control("ORG-03")
	if listed, dense = evidenceTypes(k); !slices.Equal(listed, []string{"control.attested"}) || dense != nil {
		t.Fatalf("ORG-03: listed %v dense %v", listed, dense)
	}
}
