package monitor

import (
	"fmt"
	"math"
	"slices"
)

// Rule is one promotion requirement on one metric.
type Rule struct {
	Metric string `json:"metric"`
	// Min and Max are absolute bounds, inclusive.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MaxRegression is how much worse than the production version the
	// candidate may be, in the metric's own units. Nil skips the check.
	MaxRegression *float64 `json:"max_regression,omitempty"`
	// LowerIsBetter marks metrics such as error rates, so that a rise
	// counts as a regression.
	LowerIsBetter bool `json:"lower_is_better,omitempty"`
}

// Gate is the set of rules a candidate must meet to be promoted.
type Gate struct {
	Rules []Rule `json:"rules"`
}

// Check is the outcome of one comparison.
type Check struct {
	Metric string  `json:"metric"`
	Kind   string  `json:"kind"` // min, max, regression or missing
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Pass   bool    `json:"pass"`
	Reason string  `json:"reason,omitempty"`
}

// Decision is the gate's verdict with every check behind it.
type Decision struct {
	Pass   bool    `json:"pass"`
	Checks []Check `json:"checks"`
}

// Reasons lists why the gate failed, one line per failed check.
func (d *Decision) Reasons() []string {
	var out []string
	for _, c := range d.Checks {
		if !c.Pass {
			out = append(out, c.Reason)
		}
	}
	return out
}

// Evaluate applies the gate to the candidate's metrics. baseline holds the
// production version's metrics; when it lacks a metric (nothing in
// production yet, or a new metric) the regression check passes and says so.
func (g *Gate) Evaluate(candidate, baseline map[string]float64) *Decision {
	d := &Decision{Pass: true}
	add := func(c Check) {
		d.Checks = append(d.Checks, c)
		d.Pass = d.Pass && c.Pass
	}
	for _, r := range g.Rules {
		v, ok := candidate[r.Metric]
		if !ok || math.IsNaN(v) {
			add(Check{Metric: r.Metric, Kind: "missing", Reason: fmt.Sprintf("%s was not computed for the candidate", r.Metric)})
			continue
		}
		if r.Min != nil {
			c := Check{Metric: r.Metric, Kind: "min", Value: v, Limit: *r.Min, Pass: v >= *r.Min}
			if !c.Pass {
				c.Reason = fmt.Sprintf("%s is %.4g, below the minimum %.4g", r.Metric, v, *r.Min)
			}
			add(c)
		}
		if r.Max != nil {
			c := Check{Metric: r.Metric, Kind: "max", Value: v, Limit: *r.Max, Pass: v <= *r.Max}
			if !c.Pass {
				c.Reason = fmt.Sprintf("%s is %.4g, above the maximum %.4g", r.Metric, v, *r.Max)
			}
			add(c)
		}
		if r.MaxRegression != nil {
			add(regression(r, v, baseline))
		}
	}
	return d
}

func regression(r Rule, v float64, baseline map[string]float64) Check {
	c := Check{Metric: r.Metric, Kind: "regression", Value: v, Pass: true}
	base, ok := baseline[r.Metric]
	if !ok || math.IsNaN(base) {
		c.Reason = fmt.Sprintf("no production value of %s to compare with", r.Metric)
		return c
	}
	// A tiny tolerance keeps a drop of exactly the margin from failing on
	// floating-point noise.
	const eps = 1e-9
	if r.LowerIsBetter {
		c.Limit = base + *r.MaxRegression
		c.Pass = v <= c.Limit+eps
	} else {
		c.Limit = base - *r.MaxRegression
		c.Pass = v >= c.Limit-eps
	}
	if !c.Pass {
		c.Reason = fmt.Sprintf("%s is %.4g against %.4g in production, worse by %.4g where at most %.4g is allowed",
			r.Metric, v, base, math.Abs(v-base), *r.MaxRegression)
	}
	return c
}

// Metrics lists the metrics the gate's rules name, sorted and unique.
func (g *Gate) Metrics() []string {
	var names []string
	for _, r := range g.Rules {
		names = append(names, r.Metric)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Validate checks the rules for mistakes a gate should never hide.
func (g *Gate) Validate() error {
	if len(g.Rules) == 0 {
		return fmt.Errorf("gate has no rules: add at least one threshold")
	}
	for i, r := range g.Rules {
		switch {
		case r.Metric == "":
			return fmt.Errorf("gate rule %d names no metric", i+1)
		case r.Min == nil && r.Max == nil && r.MaxRegression == nil:
			return fmt.Errorf("gate rule for %s sets neither min, max nor max_regression", r.Metric)
		case r.Min != nil && r.Max != nil && *r.Min > *r.Max:
			return fmt.Errorf("gate rule for %s has min %v above max %v", r.Metric, *r.Min, *r.Max)
		case r.MaxRegression != nil && (*r.MaxRegression < 0 || math.IsNaN(*r.MaxRegression)):
			return fmt.Errorf("gate rule for %s has a negative max_regression", r.Metric)
		}
	}
	return nil
}
