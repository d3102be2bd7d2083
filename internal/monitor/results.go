package monitor

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ResultsPredicateType identifies attest's evaluation results predicate.
const ResultsPredicateType = "https://github.com/attest-ai/attest/evaluation/v1"

// Results are the outcome of running an evaluation suite on a model
// version, in the form that is signed and recorded.
type Results struct {
	Suite string `json:"suite"`
	// SuiteDigest identifies the locked validation set, "sha256:<hex>".
	SuiteDigest string `json:"suite_digest"`
	// Model is "name@version"; ModelDigest its OMS root digest.
	Model             string             `json:"model"`
	ModelDigest       string             `json:"model_digest"`
	Metrics           map[string]float64 `json:"metrics"`
	Examples          int                `json:"examples"`
	PredictionsSHA256 string             `json:"predictions_sha256"`
	Gate              *Decision          `json:"gate,omitempty"`
	FinishedOn        time.Time          `json:"finished_on"`
}

// Statement wraps the results in an in-toto v1 statement about the model,
// ready to be signed as a DSSE payload (signing.SignEnvelope).
func (r *Results) Statement() ([]byte, error) {
	root, ok := strings.CutPrefix(r.ModelDigest, "sha256:")
	if _, err := hex.DecodeString(root); !ok || err != nil || len(root) != 64 || strings.ToLower(root) != root {
		return nil, fmt.Errorf("model digest %q must be \"sha256:\" and 64 hex digits", r.ModelDigest)
	}
	if r.Model == "" || r.Suite == "" || len(r.Metrics) == 0 {
		return nil, fmt.Errorf("evaluation results need the model, the suite and at least one metric")
	}
	st := struct {
		Type          string `json:"_type"`
		Subject       []any  `json:"subject"`
		PredicateType string `json:"predicateType"`
		Predicate     any    `json:"predicate"`
	}{
		Type:          "https://in-toto.io/Statement/v1",
		Subject:       []any{map[string]any{"name": r.Model, "digest": map[string]string{"sha256": root}}},
		PredicateType: ResultsPredicateType,
		Predicate:     r,
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode evaluation results: %w", err)
	}
	return b, nil
}
