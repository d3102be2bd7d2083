package pii

import (
	"os"
	"testing"

	"github.com/attest-ai/attest/internal/guard/internal/shareddata"
	"github.com/attest-ai/attest/internal/guard/linear"
)

func loadDev(t *testing.T) []Sample {
	f, err := os.Open(shareddata.Path(t, "data/pii/dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := LoadPresidio(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAccuracyDev checks the figures the issue sets on the presidio-style
// development set, with the embedded model.
func TestAccuracyDev(t *testing.T) {
	r := Evaluate(loadDev(t), allScanner.Scan)
	for _, tt := range []struct {
		typ       Type
		precision float64
		recall    float64
	}{
		{Email, 0.95, 0.98}, {Phone, 0.95, 0.98}, {CreditCard, 0.95, 0.98}, {IBAN, 0.95, 0.98},
		{SSN, 0.95, 0.98}, {IPAddress, 0.95, 0.98}, {Person, 0.80, 0.85}, {Location, 0.80, 0.85},
	} {
		o := r.Overlap[tt.typ]
		if o == nil {
			t.Errorf("%s: no labels or findings", tt.typ)
			continue
		}
		t.Logf("%-12s overlap P %.3f R %.3f | exact P %.3f R %.3f", tt.typ, o.Precision(), o.Recall(), r.Exact[tt.typ].Precision(), r.Exact[tt.typ].Recall())
		if o.Precision() < tt.precision || o.Recall() < tt.recall {
			t.Errorf("%s: precision %.3f recall %.3f, want at least %.2f and %.2f", tt.typ, o.Precision(), o.Recall(), tt.precision, tt.recall)
		}
	}
}

// TestNameCrossValidation runs the trainer's cross-validation: the model
// is trained on four fifths of the templates and scores the rest, so no
// template is seen in training and testing. The floors sit a little below
// the figures in BENCHMARKS.md and guard against regressions.
func TestNameCrossValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("trains five models")
	}
	r, err := CrossValidateNames(loadDev(t), 5, 0, NameTrainOptions, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		typ               Type
		precision, recall float64
	}{{Person, 0.81, 0.86}, {Location, 0.81, 0.85}} {
		o := r.Overlap[tt.typ]
		t.Logf("%s template-grouped CV: precision %.3f recall %.3f", tt.typ, o.Precision(), o.Recall())
		if o.Precision() < tt.precision || o.Recall() < tt.recall {
			t.Errorf("%s cross-validated precision %.3f recall %.3f fell below the regression floor %.2f/%.2f", tt.typ, o.Precision(), o.Recall(), tt.precision, tt.recall)
		}
	}
}

// TestNameModelDigest checks that the embedded model loads and that a
// changed file is refused.
func TestNameModelDigest(t *testing.T) {
	if _, err := NameModel(); err != nil {
		t.Fatalf("embedded model: %v", err)
	}
	bad := append([]byte(nil), nameModelFile...)
	bad[len(bad)-1] ^= 1
	if _, err := linear.Load(bad, NameModelSHA256); err == nil {
		t.Fatal("a modified model file was accepted")
	}
}
