package controls

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

func TestScanInference(t *testing.T) {
	for _, e := range []ledger.Event{
		request("acme", time.Hour, "zero", "vault:p1"),
		response("beta", time.Minute, 502, "", true),
		evT("inference.response", "t", 0, svc, map[string]any{"status": 200, "error": "upstream_timeout", "guard": map[string]any{"action": "block", "findings": map[string]int{"EMAIL": 2}}, "provider": "openai"}, ref("api_key", "k")),
	} {
		data, err := e.Canonical(now)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow inferenceEntry
		typ, ok := scanInference(data, &fast)
		if !ok {
			t.Fatalf("the scanner gave up on a canonical entry: %s", data)
		}
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatal(err)
		}
		if typ != e.Type || fast != slow {
			t.Fatalf("scanner %q %+v, encoding/json %+v", typ, fast, slow)
		}
	}
	for _, bad := range []string{
		`{"tenant":"a\u0062","time":"2026-01-01T00:00:00Z","type":"inference.request"}`, // escape in a kept field
		`{"Tenant":"a","time":"2026-01-01T00:00:00Z","type":"inference.request"}`,       // case-folded key
		`{"time":"yesterday","type":"inference.request"}`,
		`{"body":{"status":"200"},"time":"2026-01-01T00:00:00Z"}`,
		`{"time":"2026-01-01T00:00:00Z"} x`,
		`[1]`,
	} {
		var x inferenceEntry
		if _, ok := scanInference([]byte(bad), &x); ok {
			t.Errorf("the scanner accepted %s; it must defer to encoding/json", bad)
		}
	}
}

// FuzzScanInference holds the scanner to encoding/json: whenever it claims
// an answer for valid JSON, the answer must be what encoding/json decodes.
func FuzzScanInference(f *testing.F) {
	for _, e := range []ledger.Event{request("acme", time.Hour, "zero", "p"), response("b", 0, 200, "x", true)} {
		data, _ := e.Canonical(now)
		f.Add(data)
	}
	f.Add([]byte(`{"body":{"status":-1,"fail_open":false,"x":[1,{"a":null}],"provider":null},"time":"2026-01-01T00:00:00.5+02:00","tenant":"t","type":"inference.response"}`))
	f.Add([]byte(`{"body":null,"time":"2026-01-01T00:00:00Z","type":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast inferenceEntry
		typ, ok := scanInference(data, &fast)
		if !ok || !json.Valid(data) {
			return
		}
		var slow inferenceEntry
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("scanner accepted what encoding/json rejects (%v): %s", err, data)
		}
		if typ != slow.Type || fast != slow {
			t.Fatalf("scanner %+v, encoding/json %+v for %s", fast, slow, data)
		}
	})
}
