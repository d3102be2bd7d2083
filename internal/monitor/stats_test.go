package monitor

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func counts(h *Histogram, c ...uint64) *Histogram {
	copy(h.Counts, c)
	return h
}

// The reference values below were worked by hand for reference shares
// (0.5, 0.5) and current shares (0.25, 0.75), 100 samples each:
//
//	PSI = (0.25-0.5)·ln(0.25/0.5) + (0.75-0.5)·ln(0.75/0.5) = 0.274653072...
//	JS  = ½·KL(P‖M) + ½·KL(Q‖M) with M = (0.375, 0.625), in bits = 0.048794940...
//	KS  D = 0.25; λ = (√50 + 0.12 + 0.11/√50)·0.25; p = Q(λ) = 0.003031245...
func TestStatisticsHandValues(t *testing.T) {
	ref := counts(NewNumeric(0, 10), 50, 50)
	cur := counts(NewNumeric(0, 10), 25, 75)
	psi, err := PSI(ref, cur)
	if err != nil || math.Abs(psi-0.2746530721670274) > 1e-12 {
		t.Errorf("PSI = %v, %v", psi, err)
	}
	js, err := JensenShannon(ref, cur)
	if err != nil || math.Abs(js-0.0487949406953985) > 1e-12 {
		t.Errorf("JS = %v, %v", js, err)
	}
	ks, err := KS(ref, cur)
	if err != nil || math.Abs(ks.D-0.25) > 1e-12 || math.Abs(ks.P-0.0030312451667524882) > 1e-9 {
		t.Errorf("KS = %+v, %v", ks, err)
	}
}

func TestStatisticsEdgeCases(t *testing.T) {
	same := counts(NewNumeric(0, 1, 2), 10, 20, 30)
	twice := counts(NewNumeric(0, 1, 2), 20, 40, 60)
	if psi, _ := PSI(same, twice); psi != 0 {
		t.Errorf("PSI of equal shares = %v", psi)
	}
	if js, _ := JensenShannon(same, twice); js != 0 {
		t.Errorf("JS of equal shares = %v", js)
	}
	if ks, _ := KS(same, twice); ks.D != 0 || ks.P != 1 {
		t.Errorf("KS of equal shares = %+v", ks)
	}
	a := counts(NewCategorical("x", "y"), 10, 0)
	b := counts(NewCategorical("x", "y"), 0, 10)
	if js, _ := JensenShannon(a, b); math.Abs(js-1) > 1e-12 {
		t.Errorf("JS of disjoint = %v, want 1 bit", js)
	}
	// With the 1e-4 floor: (1-1e-4)·ln(1/1e-4) twice.
	if psi, _ := PSI(a, b); math.Abs(psi-2*(1-1e-4)*math.Log(1e4)) > 1e-9 {
		t.Errorf("PSI of disjoint = %v", psi)
	}
	for name, fn := range map[string]func() error{
		"different bins": func() error { _, err := PSI(same, NewNumeric(0, 5)); return err },
		"empty":          func() error { _, err := JensenShannon(same, NewNumeric(0, 1, 2)); return err },
		"categorical ks": func() error { _, err := KS(a, b); return err },
	} {
		if err := fn(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestHistogramBins(t *testing.T) {
	h := NewNumeric(0, 10, 100)
	for _, v := range []float64{-5, 0, 9.99, 10, 99, 100, 1e9, math.NaN()} {
		h.Add(v)
	}
	if want := []uint64{3, 2, 2}; !equal(h.Counts, want) {
		t.Fatalf("counts %v, want %v", h.Counts, want)
	}
	c := NewCategorical("a", "other")
	c.AddLabel("a")
	c.AddLabel("zzz")
	if !equal(c.Counts, []uint64{1, 1}) {
		t.Fatalf("categorical counts %v", c.Counts)
	}
	if err := h.Merge(counts(NewNumeric(0, 10, 100), 1, 1, 1)); err != nil || !equal(h.Counts, []uint64{4, 3, 3}) {
		t.Fatalf("merge: %v %v", h.Counts, err)
	}
	if err := h.Merge(c); err == nil {
		t.Fatal("merged histograms with different bins")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("descending edges accepted")
		}
	}()
	NewNumeric(1, 0)
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWindowValidate(t *testing.T) {
	for _, raw := range []string{
		`{"histograms":{}}`,
		`{"histograms":{"x":null}}`,
		`{"histograms":{"x":{"edges":[0,1],"counts":[1]}}}`,
		`{"histograms":{"x":{"edges":[1,0],"counts":[1,1]}}}`,
		`{"histograms":{"x":{"edges":[0],"labels":["a"],"counts":[1,1]}}}`,
	} {
		var w Window
		if err := json.Unmarshal([]byte(raw), &w); err != nil {
			t.Fatal(err)
		}
		if err := w.Validate(); err == nil {
			t.Errorf("window %s accepted", raw)
		}
	}
	w := NewWindow(t0, t0.Add(hour))
	b, _ := json.Marshal(w)
	var back Window
	if err := json.Unmarshal(b, &back); err != nil || back.Validate() != nil {
		t.Fatalf("window does not survive JSON: %v", err)
	}
	if strings.Contains(string(b), "prompt\"") {
		t.Fatal("window JSON holds text fields")
	}
}
