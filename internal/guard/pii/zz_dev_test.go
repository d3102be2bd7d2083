package pii

import (
	"fmt"
	"os"
	"testing"
)

func TestDevReport(t *testing.T) {
	f, err := os.Open("/work/shared/data/pii/dev.json")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	samples, err := LoadPresidio(f)
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(nil, 0)
	r := Evaluate(samples, s.Scan)
	for _, ty := range r.Types() {
		o, e := r.Overlap[ty], r.Exact[ty]
		fmt.Printf("%-20s gold %4d pred %4d  overlap P %.3f R %.3f  exact P %.3f R %.3f\n", ty, o.Gold, o.Predicted, o.Precision(), o.Recall(), e.Precision(), e.Recall())
	}
	if os.Getenv("SHOWMISS") != "" {
		want := Type(os.Getenv("SHOWMISS"))
		for _, smp := range samples {
			found := s.Scan(smp.Text)
			for _, g := range smp.Spans {
				if g.Type != want { continue }
				ok := false
				for _, f := range found { if f.Type == g.Type && f.Start < g.End && g.Start < f.End { ok = true } }
				if !ok { fmt.Printf("MISS %q in %q\n", smp.Text[g.Start:g.End], smp.Text) }
			}
			for _, f := range found {
				if f.Type != want { continue }
				ok := false
				for _, g := range smp.Spans { if f.Type == g.Type && f.Start < g.End && g.Start < f.End { ok = true } }
				if !ok { fmt.Printf("FP %q (%.2f) in %q\n", smp.Text[f.Start:f.End], f.Score, smp.Text) }
			}
		}
	}
}
