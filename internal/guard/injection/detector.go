package injection

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/linear"
	"github.com/attest-ai/attest/internal/guard/norm"
)

// The classifier is trained from the development set with one command, run
// from the repository root:
//
//	go run ./internal/guard/injection/train -data ../shared/data/injection/dev.jsonl -out internal/guard/injection/model.bin
//
// The trainer also rewrites model_digest.go with the file's SHA-256 and the
// default thresholds; a model that does not match its digest is refused.
//
//go:embed model.bin
var modelFile []byte

// Model returns the embedded classifier after checking its digest.
var Model = sync.OnceValues(func() (*linear.Model, error) {
	m, err := linear.Load(modelFile, ModelSHA256)
	if err != nil {
		return nil, fmt.Errorf("load embedded injection model: %w", err)
	}
	if m.Classes != 1 || m.Bits != ModelBits || len(m.Bias) != 1 {
		return nil, fmt.Errorf("load embedded injection model: shape %d classes, %d bits; retrain it", m.Classes, m.Bits)
	}
	return m, nil
})

// ModelDigest returns the SHA-256 of the embedded model file, for
// recording the classifier as a model version.
func ModelDigest() string { return ModelSHA256 }

// Detector scores text for prompt injection. It is safe for concurrent use.
type Detector struct {
	m    *linear.Model
	bufs sync.Pool
}

// New returns a detector using the embedded model; it fails closed if the
// model does not match its digest.
func New() (*Detector, error) {
	norm.Prepare()
	m, err := Model()
	if err != nil {
		return nil, err
	}
	return NewWithModel(m), nil
}

// NewWithModel returns a detector using m, for evaluation of new models.
func NewWithModel(m *linear.Model) *Detector {
	return &Detector{m: m, bufs: sync.Pool{New: func() any { return newFeaturizer() }}}
}

// Score is the outcome of screening one text. It holds no part of the text.
type Score struct {
	// Probability that the text is an injection attempt, the highest over
	// the text and its decoded payloads.
	Probability float64 `json:"probability"`
	// Rules names the rules that matched.
	Rules []string `json:"rules,omitempty"`
	// Decoded counts the embedded payloads that were decoded and screened.
	Decoded int `json:"decoded,omitempty"`
}

// windowBytes is the size of the pieces a long text is screened in, close
// to the length of the prompts the model learnt from; the
// pieces overlap so that an instruction on a boundary is seen whole, and
// the text's score is its worst piece's.
const (
	windowBytes   = 2 << 10
	windowOverlap = 256
)

// Score screens text.
func (d *Detector) Score(text string) Score {
	if len(text) <= windowBytes {
		return d.score(text)
	}
	var s Score
	for start := 0; start < len(text); {
		end := min(len(text), start+windowBytes)
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end++
		}
		w := d.score(text[start:end])
		s.Probability = max(s.Probability, w.Probability)
		s.Decoded += w.Decoded
		for _, r := range w.Rules {
			if !slices.Contains(s.Rules, r) {
				s.Rules = append(s.Rules, r)
			}
		}
		if end == len(text) {
			break
		}
		start = end - windowOverlap
		for start > 0 && !utf8.RuneStart(text[start]) {
			start--
		}
	}
	return s
}

func (d *Detector) score(text string) Score {
	f := d.bufs.Get().(*featurizer)
	defer d.bufs.Put(f)
	var s Score
	s.Probability, s.Rules = d.view(f, text)
	folded, _ := norm.Fold(text)
	for _, p := range f.extraViews(payloads(nil, folded), text) {
		s.Decoded++
		pr, rules := d.view(f, p)
		s.Probability = max(s.Probability, pr)
		for _, r := range rules {
			if !slices.Contains(s.Rules, r) {
				s.Rules = append(s.Rules, r)
			}
		}
	}
	return s
}

// strongRule is the weight from which a matching rule alone makes a text
// worth flagging, however much benign text surrounds it.
const strongRule = 0.9

// view normalises and scores one view of a text.
func (d *Detector) view(f *featurizer, text string) (float64, []string) {
	f.norm = appendNormal(f.norm[:0], text)
	z := f.score(d.m, f.run(f.norm))
	rules, weight := f.rm.matched()
	p := linear.Sigmoid(z)
	if weight >= strongRule {
		p = max(p, DefaultFlagThreshold)
	}
	return p, rules
}

// Example turns a labelled text into a training example (label 1 for an
// attack), using exactly the features the detector scores.
func Example(text string, label int) linear.Example {
	f := newFeaturizer()
	scale := f.run(appendNormal(nil, text))
	return f.example(label, scale)
}
