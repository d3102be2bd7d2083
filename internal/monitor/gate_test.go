package monitor

import (
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

func TestGate(t *testing.T) {
	g := Gate{Rules: []Rule{
		{Metric: F1Macro, Min: f(0.80), MaxRegression: f(0.02)},
		{Metric: "error_rate", Max: f(0.05), MaxRegression: f(0.01), LowerIsBetter: true},
	}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	prod := map[string]float64{F1Macro: 0.90, "error_rate": 0.02}
	for _, c := range []struct {
		name      string
		candidate map[string]float64
		baseline  map[string]float64
		pass      bool
		reasons   []string
	}{
		{"better than production", map[string]float64{F1Macro: 0.91, "error_rate": 0.01}, prod, true, nil},
		{"worse by exactly the margin", map[string]float64{F1Macro: 0.88, "error_rate": 0.03}, prod, true, nil},
		{"regressed", map[string]float64{F1Macro: 0.87, "error_rate": 0.02}, prod, false, []string{"f1_macro is 0.87 against 0.9 in production"}},
		{"below minimum", map[string]float64{F1Macro: 0.79, "error_rate": 0.02}, nil, false, []string{"below the minimum 0.8"}},
		{"lower is better", map[string]float64{F1Macro: 0.9, "error_rate": 0.04}, prod, false, []string{"error_rate is 0.04 against 0.02"}},
		{"above maximum", map[string]float64{F1Macro: 0.9, "error_rate": 0.06}, nil, false, []string{"above the maximum 0.05"}},
		{"missing metric", map[string]float64{F1Macro: 0.9}, prod, false, []string{"error_rate was not computed"}},
		{"first version has no baseline", map[string]float64{F1Macro: 0.85, "error_rate": 0.04}, nil, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := g.Evaluate(c.candidate, c.baseline)
			if d.Pass != c.pass {
				t.Fatalf("pass = %v, want %v; checks %+v", d.Pass, c.pass, d.Checks)
			}
			got := strings.Join(d.Reasons(), "\n")
			for _, r := range c.reasons {
				if !strings.Contains(got, r) {
					t.Errorf("reasons %q lack %q", got, r)
				}
			}
			if c.pass && got != "" {
				t.Errorf("passing gate gave reasons %q", got)
			}
		})
	}
	if got := g.Metrics(); len(got) != 2 || got[0] != "error_rate" {
		t.Errorf("metrics %v", got)
	}
}

func TestGateValidate(t *testing.T) {
	for _, g := range []Gate{
		{},
		{Rules: []Rule{{Min: f(1)}}},
		{Rules: []Rule{{Metric: "x"}}},
		{Rules: []Rule{{Metric: "x", Min: f(2), Max: f(1)}}},
		{Rules: []Rule{{Metric: "x", MaxRegression: f(-1)}}},
	} {
		if err := g.Validate(); err == nil {
			t.Errorf("gate %+v accepted", g)
		}
	}
}
