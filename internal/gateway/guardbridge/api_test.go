package guardbridge_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/guardbridge"
)

func TestPolicyAPI(t *testing.T) {
	e := newEnv(t, nil)
	const path = "/api/v1/guard/policy"
	st, _, body := e.do(http.MethodGet, path, keyAdmin, "")
	if st != http.StatusOK || jsonPath(t, body, "default") != true || jsonPath(t, body, "fail_open") != false || jsonPath(t, body, "canary") != true {
		t.Fatalf("default policy: %d %s", st, body)
	}
	if jsonPath(t, body, "pii.EMAIL") != "redact" || jsonPath(t, body, "injection.block") == nil {
		t.Errorf("the default does not turn every guard on: %s", body)
	}

	next := guardbridge.DefaultDoc("")
	next.Default = false
	next.PolicySHA256 = ""
	next.PII = nil
	next.FailOpen = true
	good, _ := json.Marshal(next)
	for _, c := range []struct {
		name, key, body string
		status          int
		detail          string
	}{
		{"no key", "", string(good), http.StatusUnauthorized, "API key"},
		{"consumer", keyUser, string(good), http.StatusForbidden, "admin"},
		{"not JSON", keyAdmin, `{"pii":`, http.StatusBadRequest, "ends early"},
		{"misspelt field", keyAdmin, `{"fail_opn":true}`, http.StatusBadRequest, "unknown field"},
		{"bad action", keyAdmin, `{"pii":{"EMAIL":"shred"}}`, http.StatusBadRequest, "unknown action"},
		{"bad type", keyAdmin, `{"pii":{"SHOE_SIZE":"redact"}}`, http.StatusBadRequest, "unknown entity type"},
		{"bad threshold", keyAdmin, `{"injection":{"block":2,"flag":0.5,"indirect_block":0.5,"indirect_flag":0.2}}`, http.StatusBadRequest, "thresholds"},
		{"bad timeout", keyAdmin, `{"timeout_ms":-1}`, http.StatusBadRequest, "timeout_ms"},
		{"other tenant", keyAdmin, `{"tenant":"globex"}`, http.StatusForbidden, "own tenant"},
	} {
		st, h, out := e.do(http.MethodPut, path, c.key, c.body)
		if st != c.status || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(out, c.detail) {
			t.Errorf("%s: %d %s %s", c.name, st, h.Get("Content-Type"), out)
		}
	}
	if n := len(e.ledger.Entries("guard.policy_set")); n != 0 {
		t.Fatalf("refused changes were recorded: %d", n)
	}

	// The ledger cannot take the change: it is not made.
	e.ledger.Fail.Store(true)
	if st, _, out := e.do(http.MethodPut, path, keyAdmin, string(good)); st != http.StatusServiceUnavailable {
		t.Fatalf("a change the ledger did not record: %d %s", st, out)
	}
	e.ledger.Fail.Store(false)
	if _, _, out := e.do(http.MethodGet, path, keyAdmin, ""); jsonPath(t, out, "default") != true {
		t.Fatalf("policy changed without evidence: %s", out)
	}

	st, _, out := e.do(http.MethodPut, path, keyAdmin, string(good))
	if st != http.StatusOK || jsonPath(t, out, "fail_open") != true || jsonPath(t, out, "updated_by") != "key:key_admin" {
		t.Fatalf("set: %d %s", st, out)
	}
	ps := e.ledger.Entries("guard.policy_set")
	if len(ps) != 1 || ps[0].Event.Tenant != tenant || ps[0].Event.Actor.Kind != "human" {
		t.Fatalf("policy change evidence: %+v", ps)
	}
	var ev map[string]any
	json.Unmarshal(ps[0].Event.Body, &ev)
	if ev["policy_sha256"] != jsonPath(t, out, "policy_sha256") || ev["fail_open"] != true || ev["injection_model_sha256"] == "" {
		t.Errorf("event body %v does not describe the stored policy %s", ev, out)
	}
	if float64(ps[0].Index) != jsonPath(t, out, "ledger_index").(float64) {
		t.Errorf("ledger index %d, stored %v", ps[0].Index, jsonPath(t, out, "ledger_index"))
	}
	// It applies to the very next request: PII is no longer scanned.
	e.chat("openai", userBody("openai", "gpt", "Be brief.", "Mail "+email, ""))
	if !strings.Contains(sent(t, e.openai), email) {
		t.Error("the new policy did not apply to the next request")
	}
	if st, _, out := e.do(http.MethodGet, path, keyUser, ""); st != http.StatusForbidden {
		t.Errorf("a consumer key read the policy: %d %s", st, out)
	}
}
