package injection

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// Record is one labelled text of a development set: label 1 for an attack.
type Record struct {
	Text   string `json:"text"`
	Label  int    `json:"label"`
	Source string `json:"source"`
}

// TrainOptions are the training settings of the embedded model.
var TrainOptions = linear.Options{Epochs: 12, Rate: 1, L2: 1e-6, Seed: 7}

// Train fits a classifier to the records.
func Train(recs []Record, o linear.Options) *linear.Model {
	xs := make([]linear.Example, len(recs))
	for i, r := range recs {
		xs[i] = Example(r.Text, r.Label)
	}
	return train(xs, o)
}

// train fits a model in which each n-gram bucket learns at the rate of its
// log-count ratio between the classes (see linear.Ratios).
func train(xs []linear.Example, o linear.Options) *linear.Model {
	o.Rates = linear.Ratios(xs, ModelBits)
	m := linear.New(ModelBits, 1)
	linear.Train(m, xs, o)
	return m
}

// Folds assigns each record to one of k folds so that every source and
// label is spread evenly over them: each (source, label) group is
// shuffled with a fixed seed and dealt round-robin.
func Folds(recs []Record, k int) []int {
	groups := make([]int, len(recs))
	for i := range groups {
		groups[i] = i
	}
	return GroupedFolds(recs, groups, k)
}

// GroupedFolds is Folds with records of the same group kept in one fold.
// groups[i] names record i's group; a group is dealt as a whole, keyed by
// the source and label of its first record, to the fold that has the
// fewest records of that key so far.
func GroupedFolds(recs []Record, groups []int, k int) []int {
	members := map[int][]int{}
	var order []int
	for i, g := range groups {
		if _, ok := members[g]; !ok {
			order = append(order, g)
		}
		members[g] = append(members[g], i)
	}
	byKey := map[string][]int{}
	var keys []string
	for _, g := range order {
		r := recs[members[g][0]]
		key := fmt.Sprintf("%s/%d", r.Source, r.Label)
		if _, ok := byKey[key]; !ok {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], g)
	}
	slices.Sort(keys)
	rng := rand.New(rand.NewPCG(11, 13))
	fold := make([]int, len(recs))
	for _, key := range keys {
		gs := byKey[key]
		rng.Shuffle(len(gs), func(a, b int) { gs[a], gs[b] = gs[b], gs[a] })
		// Larger groups first, so that the small ones even out the folds.
		slices.SortStableFunc(gs, func(a, b int) int { return len(members[b]) - len(members[a]) })
		size := make([]int, k)
		for _, g := range gs {
			f := 0
			for j := range k {
				if size[j] < size[f] {
					f = j
				}
			}
			size[f] += len(members[g])
			for _, i := range members[g] {
				fold[i] = f
			}
		}
	}
	return fold
}

// CrossValidate scores every record with a model trained on the records
// of the other folds; fold[i] is record i's fold, as from Folds or
// GroupedFolds.
func CrossValidate(recs []Record, fold []int, o linear.Options) []float64 {
	xs := make([]linear.Example, len(recs))
	for i, r := range recs {
		xs[i] = Example(r.Text, r.Label)
	}
	scores := make([]float64, len(recs))
	for f := range slices.Max(fold) + 1 {
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

// NearDuplicates groups records whose texts are nearly the same: one
// holds most of the other's word trigrams, as when an attack is pasted
// after a benign question or lightly reworded. Cross-validation that
// keeps a group in one fold does not score a text by a model that saw
// its twin. It returns each record's group, the index of one member.
func NearDuplicates(recs []Record) []int {
	shingles := make([][]uint64, len(recs))
	index := map[uint64][]int{}
	for i, r := range recs {
		words := strings.FieldsFunc(Normalize(r.Text), func(c rune) bool { return c < 0x80 && !wordByte(byte(c)) })
		set := map[uint64]bool{}
		for j := 0; j+3 <= len(words) || j == 0; j++ {
			var h uint64 = 14695981039346656037
			for _, w := range words[j:min(j+3, len(words))] {
				for k := 0; k < len(w); k++ {
					h = (h ^ uint64(w[k])) * 1099511628211
				}
				h = (h ^ ' ') * 1099511628211
			}
			set[h] = true
		}
		for h := range set {
			shingles[i] = append(shingles[i], h)
			index[h] = append(index[h], i)
		}
	}
	parent := make([]int, len(recs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	shared := make([]int, len(recs))
	for i := range recs {
		clear(shared)
		for _, h := range shingles[i] {
			for _, j := range index[h] {
				if j < i {
					shared[j]++
				}
			}
		}
		for j := range i {
			if s := shared[j]; near(s, len(shingles[i]), len(shingles[j])) {
				if a, b := find(i), find(j); a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	groups := make([]int, len(recs))
	for i := range groups {
		groups[i] = find(i)
	}
	return groups
}

// near reports whether two texts with a and b distinct word trigrams,
// s of them shared, are near duplicates: the shared trigrams are half of
// the shorter text and a quarter of the longer, so that a common phrase
// does not chain unrelated texts together.
func near(s, a, b int) bool {
	lo, hi := min(a, b), max(a, b)
	return s >= 2 && 2*s >= lo && 4*s >= hi || s == 1 && lo == 1 && hi == 1
}
