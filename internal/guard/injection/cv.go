package injection

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// Record is one labelled text of a development set: label 1 for an attack.
type Record struct {
	Text   string `json:"text"`
	Label  int    `json:"label"`
	Source string `json:"source"`
}

// TrainOptions are the training settings of the embedded model.
var TrainOptions = linear.Options{Epochs: 12, Rate: 0.5, L2: 1e-6, Seed: 7}

// Train fits a classifier to the records.
func Train(recs []Record, o linear.Options) *linear.Model {
	xs := make([]linear.Example, len(recs))
	for i, r := range recs {
		xs[i] = Example(r.Text, r.Label)
	}
	return train(xs, o)
}

func train(xs []linear.Example, o linear.Options) *linear.Model {
	m := linear.New(ModelBits, 1)
	linear.Train(m, xs, o)
	return m
}

// Folds assigns each record to one of k folds so that every source and
// label is spread evenly over them: each (source, label) group is
// shuffled with a fixed seed and dealt round-robin.
func Folds(recs []Record, k int) []int {
	fold := make([]int, len(recs))
	groups := map[string][]int{}
	var keys []string
	for i, r := range recs {
		key := fmt.Sprintf("%s/%d", r.Source, r.Label)
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], i)
	}
	slices.Sort(keys)
	rng := rand.New(rand.NewPCG(11, 13))
	for _, key := range keys {
		idx := groups[key]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for j, i := range idx {
			fold[i] = j % k
		}
	}
	return fold
}

// CrossValidate scores every record with a model trained on the other
// folds and returns the scores.
func CrossValidate(recs []Record, k int, o linear.Options) []float64 {
	xs := make([]linear.Example, len(recs))
	for i, r := range recs {
		xs[i] = Example(r.Text, r.Label)
	}
	fold := Folds(recs, k)
	scores := make([]float64, len(recs))
	for f := range k {
		var tr []linear.Example
		for i := range recs {
			if fold[i] != f {
				tr = append(tr, xs[i])
			}
		}
		d := NewWithModel(train(tr, o))
		for i, r := range recs {
			if fold[i] == f {
				scores[i] = d.Score(r.Text).Probability
			}
		}
	}
	return scores
}
