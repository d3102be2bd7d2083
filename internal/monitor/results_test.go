package monitor

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestResultsStatement(t *testing.T) {
	r := Results{
		Suite: "support-v1", SuiteDigest: "sha256:" + strings.Repeat("1", 64),
		Model: "support@3", ModelDigest: "sha256:" + strings.Repeat("a", 64),
		Metrics: map[string]float64{Accuracy: 0.93}, Examples: 500,
		PredictionsSHA256: strings.Repeat("b", 64), FinishedOn: t0,
	}
	b, err := r.Statement()
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Type    string `json:"_type"`
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string  `json:"predicateType"`
		Predicate     Results `json:"predicate"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != ResultsPredicateType ||
		st.Subject[0].Name != "support@3" || st.Subject[0].Digest["sha256"] != strings.Repeat("a", 64) ||
		st.Predicate.Metrics[Accuracy] != 0.93 || !st.Predicate.FinishedOn.Equal(t0) {
		t.Fatalf("statement %s", b)
	}
	for _, bad := range []string{"abc", strings.Repeat("a", 64), "sha256:" + strings.Repeat("g", 64), "sha256:" + strings.Repeat("A", 64)} {
		r.ModelDigest = bad
		if _, err := r.Statement(); err == nil {
			t.Fatalf("model digest %q accepted", bad)
		}
	}
	r.ModelDigest, r.Metrics = "sha256:"+strings.Repeat("a", 64), nil
	if _, err := r.Statement(); err == nil {
		t.Fatal("results without metrics accepted")
	}
}
