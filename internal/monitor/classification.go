package monitor

import (
	"fmt"
	"slices"
)

// ClassScores are the precision, recall and F1 of one class, with its
// support (how many examples truly belong to it).
type ClassScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// ClassReport summarizes single-label classification.
type ClassReport struct {
	Accuracy float64 `json:"accuracy"`
	// Macro averages give every class the same weight.
	PrecisionMacro float64 `json:"precision_macro"`
	RecallMacro    float64 `json:"recall_macro"`
	F1Macro        float64 `json:"f1_macro"`
	// Micro averages pool all decisions. With one label per example they
	// all equal the accuracy; they are reported so gates can name them.
	PrecisionMicro float64                `json:"precision_micro"`
	RecallMicro    float64                `json:"recall_micro"`
	F1Micro        float64                `json:"f1_micro"`
	PerClass       map[string]ClassScores `json:"per_class"`
	Examples       int                    `json:"examples"`
}

// Classify scores predicted labels against expected ones. The classes are
// every label seen on either side; a class never predicted has precision
// zero, as one never expected has recall zero.
func Classify(examples []Example) (*ClassReport, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("no examples to score")
	}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	classes := map[string]bool{}
	correct := 0
	for _, e := range examples {
		classes[e.Expected], classes[e.Predicted] = true, true
		if e.Expected == e.Predicted {
			correct++
			tp[e.Expected]++
			continue
		}
		fp[e.Predicted]++
		fn[e.Expected]++
	}
	names := make([]string, 0, len(classes))
	for c := range classes {
		names = append(names, c)
	}
	slices.Sort(names) // fixed summation order, fixed results
	r := &ClassReport{PerClass: make(map[string]ClassScores, len(names)), Examples: len(examples)}
	var sumTP, sumFP, sumFN int
	for _, c := range names {
		p, rec := ratio(tp[c], tp[c]+fp[c]), ratio(tp[c], tp[c]+fn[c])
		s := ClassScores{Precision: p, Recall: rec, F1: harmonic(p, rec), Support: tp[c] + fn[c]}
		r.PerClass[c] = s
		r.PrecisionMacro += s.Precision
		r.RecallMacro += s.Recall
		r.F1Macro += s.F1
		sumTP, sumFP, sumFN = sumTP+tp[c], sumFP+fp[c], sumFN+fn[c]
	}
	n := float64(len(names))
	r.PrecisionMacro /= n
	r.RecallMacro /= n
	r.F1Macro /= n
	r.Accuracy = ratio(correct, len(examples))
	r.PrecisionMicro = ratio(sumTP, sumTP+sumFP)
	r.RecallMicro = ratio(sumTP, sumTP+sumFN)
	r.F1Micro = harmonic(r.PrecisionMicro, r.RecallMicro)
	return r, nil
}

// ratio is a/b, or 0 when b is 0 (the convention of common toolkits).
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func harmonic(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
