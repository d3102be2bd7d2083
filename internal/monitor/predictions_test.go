package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestReadPredictions(t *testing.T) {
	raw, err := os.ReadFile("testdata/predictions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadPredictions(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{{"q1", "spam", "spam"}, {"q2", "ham", "spam"}, {"q3", "ham", "ham"}}
	if len(p.Examples) != len(want) {
		t.Fatalf("examples %+v", p.Examples)
	}
	for i := range want {
		if p.Examples[i] != want[i] {
			t.Errorf("example %d = %+v, want %+v", i, p.Examples[i], want[i])
		}
	}
	sum := sha256.Sum256(raw)
	if p.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s does not cover the file", p.SHA256)
	}
}

func TestReadPredictionsErrors(t *testing.T) {
	good := `{"id":"a","expected":"x","predicted":"y"}`
	for _, c := range []struct {
		name, in, want string
	}{
		{"empty", "\n\n", "no examples"},
		{"not json", good + "\n{", "line 2: not a JSON object"},
		{"array", "[1]", "line 1: not a JSON object"},
		{"two values", good + " " + good, "line 1: more than one"},
		{"trailing brace", good + "}", "line 1: more than one"},
		{"missing field", `{"id":"a","expected":"x"}`, `line 1: field "predicted" is missing`},
		{"null field", `{"id":"a","expected":null,"predicted":"y"}`, `field "expected" is missing`},
		{"number field", `{"id":"a","expected":1,"predicted":"y"}`, `field "expected" must be a string`},
		{"empty id", `{"id":"","expected":"x","predicted":"y"}`, `"id" is empty`},
		{"duplicate id", good + "\n" + good, `line 2: id "a" already used on line 1`},
		{"long line", `{"id":"a","expected":"` + strings.Repeat("x", MaxLineSize) + `","predicted":"y"}`, "longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadPredictions(strings.NewReader(c.in))
			if !errors.Is(err, ErrPredictions) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrPredictions with %q", err, c.want)
			}
		})
	}
}

func FuzzReadPredictions(f *testing.F) {
	raw, _ := os.ReadFile("testdata/predictions.jsonl")
	f.Add(string(raw))
	f.Add(`{"id":"a","expected":"x","predicted":"y"}` + "\r\n")
	f.Add("{}\n[]\nnull")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ReadPredictions(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrPredictions) {
				t.Fatalf("error does not wrap ErrPredictions: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range p.Examples {
			if e.ID == "" || seen[e.ID] {
				t.Fatalf("accepted empty or duplicate id %q", e.ID)
			}
			seen[e.ID] = true
		}
		// Every accepted file must score without error.
		if _, err := NewRegistry().Compute([]string{Accuracy, TokenF1Metric, RougeLMetric}, p.Examples); err != nil {
			t.Fatal(err)
		}
	})
}
