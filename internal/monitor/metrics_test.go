package monitor

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) < tol }

func pairs(expected, predicted string) []Example {
	e, p := strings.Fields(expected), strings.Fields(predicted)
	out := make([]Example, len(e))
	for i := range e {
		out[i] = Example{ID: string(rune('a' + i)), Expected: e[i], Predicted: p[i]}
	}
	return out
}

// TestClassifyMulticlass checks a case worked by hand:
//
//	cat:  TP 1, FP 1, FN 1 → P 1/2, R 1/2, F1 1/2
//	dog:  TP 2, FP 1, FN 0 → P 2/3, R 1,   F1 4/5
//	bird: TP 0, FP 0, FN 1 → P 0,   R 0,   F1 0
func TestClassifyMulticlass(t *testing.T) {
	r, err := Classify(pairs("cat cat dog dog bird", "cat dog dog dog cat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"accuracy", r.Accuracy, 3.0 / 5},
		{"precision_macro", r.PrecisionMacro, (0.5 + 2.0/3 + 0) / 3},
		{"recall_macro", r.RecallMacro, (0.5 + 1 + 0) / 3},
		{"f1_macro", r.F1Macro, (0.5 + 0.8 + 0) / 3},
		{"precision_micro", r.PrecisionMicro, 3.0 / 5},
		{"recall_micro", r.RecallMicro, 3.0 / 5},
		{"f1_micro", r.F1Micro, 3.0 / 5},
		{"dog precision", r.PerClass["dog"].Precision, 2.0 / 3},
		{"dog f1", r.PerClass["dog"].F1, 0.8},
		{"bird recall", r.PerClass["bird"].Recall, 0},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.PerClass["dog"].Support != 2 || r.Examples != 5 {
		t.Errorf("support %d, examples %d", r.PerClass["dog"].Support, r.Examples)
	}
}

// TestClassifyBinary: 8 examples, positive class "spam" has TP 3, FP 1,
// FN 2 → precision 3/4, recall 3/5, F1 2/3.
func TestClassifyBinary(t *testing.T) {
	r, err := Classify(pairs("spam spam spam spam spam ham ham ham", "spam spam spam ham ham spam ham ham"))
	if err != nil {
		t.Fatal(err)
	}
	s := r.PerClass["spam"]
	if !near(s.Precision, 0.75) || !near(s.Recall, 0.6) || !near(s.F1, 2.0/3) || !near(r.Accuracy, 5.0/8) {
		t.Fatalf("spam %+v accuracy %v", s, r.Accuracy)
	}
	if _, err := Classify(nil); err == nil {
		t.Fatal("no examples accepted")
	}
}

func TestGenerationMetrics(t *testing.T) {
	for _, c := range []struct {
		name                 string
		exp, pred            string
		em, f1, rouge, leven float64
	}{
		{"identical after normalization", "The Eiffel Tower!", "eiffel tower", 1, 1, 1, 1},
		{"both empty", "", "...", 1, 1, 1, 1},
		{"one empty", "Paris", "", 0, 0, 0, 0},
		// tokens: exp [cat sat on mat], pred [cat sat mat]: common 3,
		// P 1, R 3/4 → F1 6/7; LCS 3 → ROUGE-L also 6/7.
		{"subset", "the cat sat on the mat", "a cat sat mat", 0, 6.0 / 7, 6.0 / 7, 1 - 3.0/14},
		// LCS of [a b c d] and [b a d c] is 2 → ROUGE-L 1/2, token F1 1;
		// each swapped pair costs two substitutions → 4 edits over 11 runes.
		{"reordered", "a1 b1 c1 d1", "b1 a1 d1 c1", 0, 1, 0.5, 1 - 4.0/11},
		{"disjoint", "red", "blue", 0, 0, 0, 1 - 4.0/4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ExactMatch(c.exp, c.pred); got != c.em {
				t.Errorf("exact match %v, want %v", got, c.em)
			}
			if got := TokenF1(c.exp, c.pred); !near(got, c.f1) {
				t.Errorf("token F1 %v, want %v", got, c.f1)
			}
			if got := RougeL(c.exp, c.pred); !near(got, c.rouge) {
				t.Errorf("ROUGE-L %v, want %v", got, c.rouge)
			}
			if got := LevenshteinSimilarity(c.exp, c.pred); !near(got, c.leven) {
				t.Errorf("Levenshtein similarity %v, want %v", got, c.leven)
			}
		})
	}
	// The textbook distance: kitten → sitting takes 3 edits over 7 runes.
	if got := LevenshteinSimilarity("kitten", "sitting"); !near(got, 1-3.0/7) {
		t.Errorf("kitten/sitting similarity %v", got)
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	ex := pairs("cat cat dog dog bird", "cat dog dog dog cat")
	got, err := r.Compute([]string{Accuracy, F1Macro, "recall:dog", ExactMatchMetric}, ex)
	if err != nil {
		t.Fatal(err)
	}
	if !near(got[Accuracy], 0.6) || !near(got[F1Macro], 1.3/3) || got["recall:dog"] != 1 || !near(got[ExactMatchMetric], 0.6) {
		t.Fatalf("metrics %v", got)
	}
	all, err := r.Compute(r.Names(), ex)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := Classify(ex)
	for name, want := range map[string]float64{
		Accuracy: rep.Accuracy, PrecisionMacro: rep.PrecisionMacro, RecallMacro: rep.RecallMacro, F1Macro: rep.F1Macro,
		PrecisionMicro: rep.PrecisionMicro, RecallMicro: rep.RecallMicro, F1Micro: rep.F1Micro,
		// Three pairs match exactly; cat/dog and bird/cat share no token and
		// need one edit per rune of the longer word.
		TokenF1Metric: 0.6, RougeLMetric: 0.6, LevenshteinSimMetric: 0.6,
	} {
		if !near(all[name], want) {
			t.Errorf("%s = %v, want %v", name, all[name], want)
		}
	}
	if got, err := r.Compute([]string{"precision:cat", "f1:dog"}, ex); err != nil || got["precision:cat"] != 0.5 || !near(got["f1:dog"], 0.8) {
		t.Errorf("per-class metrics %v %v", got, err)
	}
	dogRate := func(ex []Example) (float64, error) {
		n := 0
		for _, e := range ex {
			if e.Predicted == "dog" {
				n++
			}
		}
		return float64(n) / float64(len(ex)), nil
	}
	if err := r.Register("dog_rate", dogRate); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Compute([]string{"dog_rate"}, ex); err != nil || !near(got["dog_rate"], 0.6) {
		t.Fatalf("custom metric: %v %v", got, err)
	}
	for _, bad := range []struct {
		name string
		m    Metric
	}{{"dog_rate", dogRate}, {"Bad-Name", dogRate}, {"nil_func", nil}} {
		if err := r.Register(bad.name, bad.m); err == nil {
			t.Errorf("Register(%q) succeeded", bad.name)
		}
	}
	r.Register("broken", func([]Example) (float64, error) { return math.NaN(), nil })
	r.Register("failing", func([]Example) (float64, error) { return 0, errors.New("boom") })
	for _, names := range [][]string{{"nope"}, {"broken"}, {"failing"}, {"f1:fish"}, {"auc:dog"}} {
		if _, err := r.Compute(names, ex); err == nil {
			t.Errorf("Compute(%q) succeeded", names)
		}
	}
}
