package pii

import (
	"github.com/attest-ai/attest/internal/guard/linear"
	"github.com/attest-ai/attest/internal/guard/norm"
)

// NameModelBits is the size of the name model's hash table.
const NameModelBits = 16

// NameExamples turns labelled samples into training examples for the name
// model: one per word of every candidate run, labelled by the span that
// covers it. Words inside street addresses are left out because data sets
// disagree on whether a city in an address is a LOCATION.
func NameExamples(samples []Sample) []linear.Example {
	s := &Scanner{enabled: map[Type]bool{}, minScore: 1, nameRecs: true}
	var out []linear.Example
	var f featureHasher
	for _, smp := range samples {
		folded, m := norm.Fold(smp.Text)
		sc := &scan{s: s, t: folded}
		sc.run()
		for ri := range sc.runs {
			r := &sc.runs[ri]
			for k, tk := range r.toks {
				if tk.flags&gConnector != 0 && !tk.upper {
					continue
				}
				start, end := m.Span(tk.s, tk.e)
				label, skip := labelFor(smp, start, end)
				if skip {
					continue
				}
				// Each word twice: with the words around its run, and
				// without them, as if the sentence were new.
				for _, intrinsic := range []bool{false, true} {
					f.intrinsic = intrinsic
					f.features(folded, r, k)
					out = append(out, linear.Example{Buckets: append([]uint32(nil), f.out...), Class: label})
				}
			}
		}
	}
	return out
}

func labelFor(smp Sample, start, end int) (label int, skip bool) {
	for _, g := range smp.Spans {
		if g.Start < end && start < g.End {
			switch g.Type {
			case Person:
				return labelPerson, false
			case Location:
				return labelLocation, false
			case Address:
				return 0, true
			}
		}
	}
	return labelO, false
}

// TrainNames fits a new name model to the samples.
func TrainNames(samples []Sample, o linear.Options) *linear.Model {
	m := linear.New(NameModelBits, nameClasses)
	linear.Train(m, NameExamples(samples), o)
	return m
}
