package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
)

// fakeGateway answers chat completions with the expected label, except
// that its first answer is a 503 to exercise the retry.
func fakeGateway(t *testing.T, key string) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"no"}}`, http.StatusUnauthorized)
			return
		}
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var req struct {
			Model    string                     `json:"model"`
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		label := map[string]string{"refund please": "billing", "app crashes": "bug", "invoice wrong": "billing", "cannot log in": "billing"}[req.Messages[0].Content]
		if req.Model != "support" {
			label = "wrong model"
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": label}}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestEvalThroughTheGateway(t *testing.T) {
	srv, calls := fakeGateway(t, "atk_test")
	set, err := registry.ReadValidationSet(bytes.NewReader(validation))
	if err != nil {
		t.Fatal(err)
	}
	if set.Digest != validationDigest() || len(set.Examples) != 4 {
		t.Fatalf("set: %s, %d examples", set.Digest, len(set.Examples))
	}
	p := &registry.GatewayPredictor{BaseURL: srv.URL, APIKey: "atk_test", Model: "support"}
	examples, err := registry.Predict(context.Background(), p, set, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 5 {
		t.Fatalf("%d calls, want 4 plus one retry", calls.Load())
	}
	f := newFixture(t, registry.Policy{})
	f.model("support", registry.RiskLimited)
	f.suite("triage-v1", "support", 0.5, 0.1)
	su, err := f.svc.Suite(f.ctx, tenant, "triage-v1")
	f.must(err)
	m, err := f.svc.Score(su, examples, nil)
	f.must(err)
	if m[monitor.Accuracy] != 0.75 {
		t.Fatalf("accuracy %v, want 0.75 (one of four wrong)", m[monitor.Accuracy])
	}

	bad := &registry.GatewayPredictor{BaseURL: srv.URL, APIKey: "wrong", Model: "support"}
	_, err = registry.Predict(context.Background(), bad, set, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "answered 401") || strings.Contains(err.Error(), "refund") {
		t.Fatalf("a rejected key should fail clearly without the input: %v", err)
	}
}

func TestPredictionsMustAnswerTheValidationSet(t *testing.T) {
	set, err := registry.ReadValidationSet(bytes.NewReader(validation))
	if err != nil {
		t.Fatal(err)
	}
	read := func(s string) *monitor.Predictions {
		p, err := monitor.ReadPredictions(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := `{"id":"1","expected":"billing","predicted":"billing"}
{"id":"2","expected":"bug","predicted":"bug"}
{"id":"3","expected":"billing","predicted":"bug"}
{"id":"4","expected":"access","predicted":"access"}`
	ex, err := set.MatchPredictions(read(full))
	if err != nil || len(ex) != 4 {
		t.Fatalf("%d examples, %v", len(ex), err)
	}
	_, err = set.MatchPredictions(read(strings.Replace(full, `"expected":"access"`, `"expected":"billing"`, 1)))
	wantErr(t, err, registry.ErrInvalid, "expects another answer")
	_, err = set.MatchPredictions(read(full[:strings.LastIndex(full, "\n")]))
	wantErr(t, err, registry.ErrInvalid, "lack example")
}

func TestReadValidationSetErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no examples"},
		{`{"id":"1","input":"a"}`, "line 1 needs"},
		{`{"id":"1","input":"a","expected":"b"}` + "\n" + `{"id":"1","input":"c","expected":"d"}`, "line 2 repeats the id of line 1"},
		{"[1,2]", "line 1 is not a JSON object"},
		{`{"id":"1","input":"secret text","expected":3}`, "line 1 is not a JSON object"},
	} {
		_, err := registry.ReadValidationSet(strings.NewReader(tc.in))
		wantErr(t, err, registry.ErrValidationSet, tc.want)
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("error leaks the text: %v", err)
		}
	}
}
