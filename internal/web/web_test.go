package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
)

type env struct {
	t     *testing.T
	a     *app.App
	srv   *httptest.Server
	admin string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := config.Default()
	c.DataDir = t.TempDir()
	c.LogLevel = "error"
	a, err := app.Open(context.Background(), c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Web)
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &env{t: t, a: a, srv: srv, admin: a.AdminToken}
}

func (e *env) do(method, path, token string, body any) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func (e *env) key(tenant, role string) string {
	e.t.Helper()
	resp, body := e.do("POST", "/api/v1/keys", e.admin, map[string]any{"tenant": tenant, "name": "t-" + role, "role": role})
	if resp.StatusCode != 201 {
		e.t.Fatalf("create key: %d %s", resp.StatusCode, body)
	}
	var kr struct{ Token string }
	json.Unmarshal(body, &kr)
	return kr.Token
}

func TestBadRequestsChangeNothing(t *testing.T) {
	e := newEnv(t)
	before := e.a.Log.Size()
	big := `{"type":"a.b","body":{"x":"` + strings.Repeat("y", 2<<20) + `"}}`
	cases := []struct {
		name, token, body string
		status            int
		kind              string
	}{
		{"unauthenticated", "", `{"type":"a.b"}`, 401, "unauthenticated"},
		{"bad token", "atk_nope", `{"type":"a.b"}`, 401, "unauthenticated"},
		{"malformed", e.admin, `{"type":`, 400, "malformed-json"},
		{"wrong type", e.admin, `{"type":1}`, 400, "wrong-type"},
		{"unknown field", e.admin, `{"type":"a.b","actor":{"kind":"human","id":"me"}}`, 400, "unknown-field"},
		{"trailing data", e.admin, `{"type":"a.b"} {}`, 400, "malformed-json"},
		{"empty", e.admin, ``, 400, "empty-body"},
		{"oversize", e.admin, big, 413, "body-too-large"},
		{"invalid type", e.admin, `{"type":"Not A Type"}`, 422, "invalid-event"},
		{"body not object", e.admin, `{"type":"a.b","body":[1]}`, 422, "invalid-event"},
		{"duplicate keys", e.admin, `{"type":"a.b","body":{"k":1,"k":2}}`, 422, "invalid-event"},
		// Evidence the controls read is written only by the service that
		// checks it: a forged pass, signature check or approval is refused.
		{"forged control result", e.admin, `{"type":"control.evaluated","body":{"control":"AI-SEC-05","status":"pass"}}`, 403, "reserved-event-type"},
		{"forged verification", e.admin, `{"type":"model.verified","body":{"verified":true}}`, 403, "reserved-event-type"},
		{"forged approval", e.admin, `{"type":"change.approved","subjects":[{"kind":"change","id":"c1"}]}`, 403, "reserved-event-type"},
		{"forged inference", e.admin, `{"type":"inference.request"}`, 403, "reserved-event-type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/ledger/events", strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p struct {
				Type   string
				Status int
				Detail string
			}
			json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != c.status || !strings.HasSuffix(p.Type, "/"+c.kind) || p.Detail == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, p, c.status, c.kind)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	if e.a.Log.Size() != before {
		t.Fatalf("bad requests changed the ledger: %d -> %d", before, e.a.Log.Size())
	}
}

func TestRolesAndTenantIsolation(t *testing.T) {
	e := newEnv(t)
	a := e.key("tenant-a", "engineer")
	b := e.key("tenant-b", "engineer")
	aud := e.key("default", "auditor")
	consumer := e.key("tenant-a", "consumer")
	for i := 0; i < 3; i++ {
		if resp, body := e.do("POST", "/api/v1/ledger/events", a, map[string]any{"type": "demo.a", "body": map[string]int{"i": i}}); resp.StatusCode != 201 {
			t.Fatalf("append: %d %s", resp.StatusCode, body)
		}
	}
	resp, body := e.do("POST", "/api/v1/ledger/events", b, map[string]any{"type": "demo.b", "tenant": "tenant-a"})
	if resp.StatusCode != 403 {
		t.Fatalf("tenant b wrote into tenant a: %d %s", resp.StatusCode, body)
	}
	count := func(token, q string) int {
		resp, body := e.do("GET", "/api/v1/ledger/events?"+q, token, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("query: %d %s", resp.StatusCode, body)
		}
		var qr struct{ Events []json.RawMessage }
		json.Unmarshal(body, &qr)
		return len(qr.Events)
	}
	if n := count(b, "type=demo.a"); n != 0 {
		t.Fatalf("tenant b sees %d of tenant a's events", n)
	}
	if resp, _ := e.do("GET", "/api/v1/ledger/events?tenant=tenant-a", b, nil); resp.StatusCode != 403 {
		t.Fatalf("tenant b queried tenant a: %d", resp.StatusCode)
	}
	if n := count(aud, "type=demo.a"); n != 3 {
		t.Fatalf("auditor sees %d, want 3", n)
	}
	if resp, _ := e.do("GET", "/api/v1/ledger/events/3", b, nil); resp.StatusCode != 404 {
		t.Fatalf("tenant b read tenant a's entry by index: %d", resp.StatusCode)
	}
	// Auditors read but never write; consumers only call models.
	if resp, _ := e.do("POST", "/api/v1/ledger/events", aud, map[string]any{"type": "demo.x"}); resp.StatusCode != 403 {
		t.Fatalf("auditor appended: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/api/v1/ledger/events", consumer, nil); resp.StatusCode != 403 {
		t.Fatalf("consumer read evidence: %d", resp.StatusCode)
	}
	if resp, _ := e.do("POST", "/api/v1/keys", a, map[string]any{"tenant": "tenant-a", "name": "x", "role": "admin"}); resp.StatusCode != 403 {
		t.Fatalf("engineer created a key: %d", resp.StatusCode)
	}
	// An operator of tenant-a naming tenant-b is refused, not answered
	// with tenant-a's keys.
	op := e.key("tenant-a", "operator")
	if resp, body := e.do("GET", "/api/v1/keys?tenant=tenant-b", op, nil); resp.StatusCode != 403 || !strings.Contains(string(body), "other-tenant") {
		t.Fatalf("operator listing another tenant's keys: %d %s", resp.StatusCode, body)
	}
	// Revocation takes effect on the next request.
	resp, body = e.do("GET", "/api/v1/keys?tenant=tenant-b", e.admin, nil)
	var kl struct{ Keys []struct{ ID string } }
	json.Unmarshal(body, &kl)
	if len(kl.Keys) != 1 {
		t.Fatalf("keys of tenant-b: %s", body)
	}
	if resp, _ := e.do("POST", "/api/v1/keys/"+kl.Keys[0].ID+"/revoke", e.admin, nil); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, body := e.do("GET", "/api/v1/ledger/events", b, nil); resp.StatusCode != 401 || !strings.Contains(string(body), "key-revoked") {
		t.Fatalf("revoked key still works: %d %s", resp.StatusCode, body)
	}
}

func TestSubjectErasureAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sub := e.a.Vault.Pseudonym("default", "alice@example.com")
	sealed, err := e.a.Vault.Seal(ctx, "default", sub.ID, []byte("CANARY"), vaultOpts())
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.do("PUT", "/api/v1/subjects/alice@example.com/hold", e.admin, map[string]string{"reason": "matter-7"}); resp.StatusCode != 200 {
		t.Fatalf("hold: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/api/v1/subjects/alice@example.com/erasure", e.admin, nil); resp.StatusCode != 409 {
		t.Fatalf("erasure under hold: %d %s", resp.StatusCode, body)
	}
	e.do("DELETE", "/api/v1/subjects/alice@example.com/hold", e.admin, nil)
	resp, body := e.do("POST", "/api/v1/subjects/alice@example.com/erasure", e.admin, nil)
	if resp.StatusCode != 200 || strings.Contains(string(body), "alice") {
		t.Fatalf("erasure: %d %s", resp.StatusCode, body)
	}
	if _, _, err := e.a.Vault.Open(ctx, sealed.Ref); err == nil {
		t.Fatal("payload readable after erasure")
	}
	// A compliance key of tenant-a that names tenant-b is refused, never
	// turned into an erasure of the same identifier in tenant-a.
	comp := e.key("tenant-a", "compliance")
	other, err := e.a.Vault.Seal(ctx, "tenant-a", e.a.Vault.Pseudonym("tenant-a", "bob@example.com").ID, []byte("CANARY"), vaultOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/subjects/bob@example.com/erasure?tenant=tenant-b"},
		{"PUT", "/api/v1/subjects/bob@example.com/hold?tenant=tenant-b"},
		{"DELETE", "/api/v1/subjects/bob@example.com/hold?tenant=tenant-b"},
	} {
		if resp, body := e.do(c.method, c.path, comp, map[string]string{"reason": "matter-8"}); resp.StatusCode != 403 || !strings.Contains(string(body), "other-tenant") {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
		}
	}
	if _, _, err := e.a.Vault.Open(ctx, other.Ref); err != nil {
		t.Fatalf("tenant-a's subject was erased by a request naming tenant-b: %v", err)
	}
}

func TestMetricsHaveNoContent(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/v1/ledger/events", e.admin, map[string]any{"type": "demo.metrics", "body": map[string]string{"secret": "CANARY-METRIC"}})
	e.do("GET", "/api/v1/ledger/events/CANARY-PATH", e.admin, nil)
	resp, body := e.do("GET", "/metrics", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "attest_ledger_size") {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	if strings.Contains(string(body), "CANARY") {
		t.Fatal("request content reached the metrics")
	}
}
