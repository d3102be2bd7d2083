package pii

import (
	"math/rand/v2"
	"slices"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// NameTrainOptions are the training settings of the embedded name model.
var NameTrainOptions = linear.Options{Epochs: 6, Rate: 0.05, L2: 1e-5, Seed: 1}

// CrossValidateNames trains the name model on all but one of k folds of
// templates (Sample.Group) and scans the held-out fold with every entity
// type on, as in use, so that no template is seen in training and
// testing. Templates go to folds in order, or shuffled with seed when it
// is not zero. The report sums the folds.
func CrossValidateNames(samples []Sample, k int, seed uint64, o linear.Options, minScore float64) (Report, error) {
	var groups []int
	for _, s := range samples {
		if !slices.Contains(groups, s.Group) {
			groups = append(groups, s.Group)
		}
	}
	slices.Sort(groups)
	if seed != 0 {
		rand.New(rand.NewPCG(seed, 0)).Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	}
	fold := map[int]int{}
	for i, g := range groups {
		fold[g] = i % k
	}
	total := Report{Exact: map[Type]*Tally{}, Overlap: map[Type]*Tally{}}
	for i := range k {
		var train, test []Sample
		for _, s := range samples {
			if fold[s.Group] == i {
				test = append(test, s)
			} else {
				train = append(train, s)
			}
		}
		sc, err := NewScanner(Options{NameModel: TrainNames(train, o), MinScore: minScore})
		if err != nil {
			return Report{}, err
		}
		total.add(Evaluate(test, sc.Scan))
	}
	return total, nil
}

// add sums the tallies of r into t.
func (t Report) add(r Report) {
	for _, pair := range []struct{ dst, src map[Type]*Tally }{{t.Exact, r.Exact}, {t.Overlap, r.Overlap}} {
		for typ, s := range pair.src {
			if pair.dst[typ] == nil {
				pair.dst[typ] = &Tally{}
			}
			d := pair.dst[typ]
			d.Predicted += s.Predicted
			d.Gold += s.Gold
			d.TPPred += s.TPPred
			d.TPGold += s.TPGold
		}
	}
}
