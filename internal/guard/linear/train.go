package linear

import (
	"math"
	"math/rand/v2"
)

// Example is one training item: the buckets of its features and its class
// (0 or 1 for a binary model). Weight scales its loss; zero means one.
type Example struct {
	Buckets []uint32
	Class   int
	Weight  float32
	Scale   float32  // value of every feature in Buckets; zero means one
	Unit    []uint32 // further features valued one
}

// Options tune training. The zero value trains a reasonable model.
type Options struct {
	Epochs int     // passes over the data; default 20
	Rate   float64 // initial learning rate; default 0.2
	L2     float64 // weight decay per example; default 1e-6
	Seed   uint64  // shuffling seed; training is deterministic for a seed
	// Rates, when set, scales the learning rate of each bucket, as from
	// Ratios; unit features keep the plain rate.
	Rates []float32
}

// Train fits m to the examples by stochastic gradient descent on the
// logistic (or softmax) loss. Training is deterministic: the same examples,
// options and seed always give the same weights.
func Train(m *Model, xs []Example, o Options) {
	if o.Epochs == 0 {
		o.Epochs = 20
	}
	if o.Rate == 0 {
		o.Rate = 0.2
	}
	if o.L2 == 0 {
		o.L2 = 1e-6
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	mask := uint32(1)<<m.Bits - 1
	k := m.Classes
	scores := make([]float32, k)
	grad := make([]float32, k)
	step := 0
	total := o.Epochs * len(xs)
	for range o.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			x := xs[i]
			w := x.Weight
			if w == 0 {
				w = 1
			}
			// Linear decay keeps late updates small, which steadies the result.
			lr := float32(o.Rate * (1 - 0.9*float64(step)/float64(total)))
			step++
			v := x.Scale
			if v == 0 {
				v = 1
			}
			m.MixedScores(x.Buckets, v, x.Unit, scores)
			if k == 1 {
				p := float32(Sigmoid(scores[0]))
				grad[0] = p - float32(x.Class)
			} else {
				softmax(scores)
				for c := range k {
					grad[c] = scores[c]
				}
				grad[x.Class]--
			}
			decay := float32(1 - lr*float32(o.L2))
			for c := range k {
				m.Bias[c] -= lr * w * grad[c]
			}
			for _, b := range x.Buckets {
				row := m.W[int(b&mask)*k:]
				g := lr * w * v
				if o.Rates != nil {
					g *= o.Rates[b&mask]
				}
				for c := range k {
					row[c] = row[c]*decay - g*grad[c]
				}
			}
			for _, b := range x.Unit {
				row := m.W[int(b&mask)*k:]
				for c := range k {
					row[c] = row[c]*decay - lr*w*grad[c]
				}
			}
		}
	}
}

// Ratios returns, for each bucket of a binary model with bits bits, how
// far the presence of its features in xs leans to one class: the absolute
// log ratio of the (add-one smoothed) shares of the two classes' feature
// occurrences that fall in the bucket. As learning rates (Options.Rates)
// they train the model as if every feature were scaled by its ratio, as
// in NBSVM (Wang and Manning, 2012): features that mostly occur in one
// class move fast, features common to both barely move, which suits a
// small data set with many n-grams shared by both classes.
func Ratios(xs []Example, bits uint8) []float32 {
	n := 1 << bits
	mask := uint32(n - 1)
	var count [2][]float64
	count[0], count[1] = make([]float64, n), make([]float64, n)
	var total [2]float64
	seen := make([]int32, n) // 1 + the last example a bucket was counted for
	for i, x := range xs {
		c := min(max(x.Class, 0), 1)
		for _, b := range x.Buckets {
			b &= mask
			if seen[b] == int32(i)+1 {
				continue
			}
			seen[b] = int32(i) + 1
			count[c][b]++
			total[c]++
		}
	}
	r := make([]float32, n)
	for b := range r {
		pos := (count[1][b] + 1) / (total[1] + 1)
		neg := (count[0][b] + 1) / (total[0] + 1)
		r[b] = float32(math.Abs(math.Log(pos / neg)))
	}
	return r
}

// Probabilities turns raw scores into class probabilities in place.
func Probabilities(scores []float32) {
	if len(scores) == 1 {
		scores[0] = float32(Sigmoid(scores[0]))
		return
	}
	softmax(scores)
}

func softmax(s []float32) {
	hi := s[0]
	for _, v := range s[1:] {
		hi = max(hi, v)
	}
	var sum float64
	for i, v := range s {
		e := math.Exp(float64(v - hi))
		s[i] = float32(e)
		sum += e
	}
	for i := range s {
		s[i] = float32(float64(s[i]) / sum)
	}
}
