package monitor

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Metric computes one score over a set of examples.
type Metric func(examples []Example) (float64, error)

// Names of the built-in metrics. Per-class scores are named
// "precision:<label>", "recall:<label>" and "f1:<label>".
const (
	Accuracy             = "accuracy"
	PrecisionMacro       = "precision_macro"
	RecallMacro          = "recall_macro"
	F1Macro              = "f1_macro"
	PrecisionMicro       = "precision_micro"
	RecallMicro          = "recall_micro"
	F1Micro              = "f1_micro"
	ExactMatchMetric     = "exact_match"
	TokenF1Metric        = "token_f1"
	RougeLMetric         = "rouge_l"
	LevenshteinSimMetric = "levenshtein_similarity"
)

var metricName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Registry holds the metrics an evaluation suite may name: the built-in
// ones and any custom metric registered by name.
type Registry struct {
	mu      sync.RWMutex
	metrics map[string]Metric
}

// NewRegistry returns a registry with the built-in metrics.
func NewRegistry() *Registry {
	r := &Registry{metrics: map[string]Metric{}}
	classify := func(pick func(*ClassReport) float64) Metric {
		return func(ex []Example) (float64, error) {
			rep, err := Classify(ex)
			if err != nil {
				return 0, err
			}
			return pick(rep), nil
		}
	}
	r.metrics[Accuracy] = classify(func(c *ClassReport) float64 { return c.Accuracy })
	r.metrics[PrecisionMacro] = classify(func(c *ClassReport) float64 { return c.PrecisionMacro })
	r.metrics[RecallMacro] = classify(func(c *ClassReport) float64 { return c.RecallMacro })
	r.metrics[F1Macro] = classify(func(c *ClassReport) float64 { return c.F1Macro })
	r.metrics[PrecisionMicro] = classify(func(c *ClassReport) float64 { return c.PrecisionMicro })
	r.metrics[RecallMicro] = classify(func(c *ClassReport) float64 { return c.RecallMicro })
	r.metrics[F1Micro] = classify(func(c *ClassReport) float64 { return c.F1Micro })
	r.metrics[ExactMatchMetric] = mean(ExactMatch)
	r.metrics[TokenF1Metric] = mean(TokenF1)
	r.metrics[RougeLMetric] = mean(RougeL)
	r.metrics[LevenshteinSimMetric] = mean(LevenshteinSimilarity)
	return r
}

// mean averages a per-example score.
func mean(score func(expected, predicted string) float64) Metric {
	return func(ex []Example) (float64, error) {
		if len(ex) == 0 {
			return 0, fmt.Errorf("no examples to score")
		}
		var sum float64
		for _, e := range ex {
			sum += score(e.Expected, e.Predicted)
		}
		return sum / float64(len(ex)), nil
	}
}

// Register adds a custom metric. Names are lowercase snake case and may
// not shadow another metric.
func (r *Registry) Register(name string, m Metric) error {
	if !metricName.MatchString(name) {
		return fmt.Errorf("metric name %q must be lowercase letters, digits and underscores, starting with a letter", name)
	}
	if m == nil {
		return fmt.Errorf("metric %q has no function", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.metrics[name]; dup {
		return fmt.Errorf("metric %q is already registered", name)
	}
	r.metrics[name] = m
	return nil
}

// Names lists the registered metrics, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.metrics))
	for n := range r.metrics {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Compute evaluates the named metrics over the examples.
func (r *Registry) Compute(names []string, examples []Example) (map[string]float64, error) {
	out := make(map[string]float64, len(names))
	var report *ClassReport
	for _, name := range names {
		if kind, label, ok := strings.Cut(name, ":"); ok {
			if report == nil {
				var err error
				if report, err = Classify(examples); err != nil {
					return nil, err
				}
			}
			v, err := perClass(report, kind, label)
			if err != nil {
				return nil, err
			}
			out[name] = v
			continue
		}
		r.mu.RLock()
		m, ok := r.metrics[name]
		r.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("metric %q is not registered; known metrics: %s", name, strings.Join(r.Names(), ", "))
		}
		v, err := m(examples)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", name, err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metric %s returned %v, not a number a gate can compare", name, v)
		}
		out[name] = v
	}
	return out, nil
}

func perClass(r *ClassReport, kind, label string) (float64, error) {
	s, ok := r.PerClass[label]
	if !ok {
		return 0, fmt.Errorf("class %q does not occur in the examples", label)
	}
	switch kind {
	case "precision":
		return s.Precision, nil
	case "recall":
		return s.Recall, nil
	case "f1":
		return s.F1, nil
	}
	return 0, fmt.Errorf("per-class metric %q must be precision, recall or f1", kind)
}
