package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// controlsEnv is a server with the controls routes over a real store.
type controlsEnv struct {
	t      *testing.T
	srv    *httptest.Server
	tokens map[access.Role]string
}

func newControlsEnv(t *testing.T) *controlsEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := ledger.Open(ctx, st, ledger.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	skey, vkey, _ := note.GenerateKey(rand.Reader, "web.test/attest")
	signer, _ := note.NewSigner(skey)
	svc := access.NewService(st, l)
	s := New(Deps{Log: l, Store: st, Signer: ledger.NewSigner(l, signer), VerifierKey: vkey, Access: svc, Logger: logger})
	// Mount the routes unless routes() already does.
	if _, pattern := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/controls", nil)); pattern != "GET /api/v1/controls" {
		s.controlRoutes()
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &controlsEnv{t: t, srv: srv, tokens: map[access.Role]string{}}
	sys := access.Principal{ID: "test", Kind: "cli", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	for _, role := range []access.Role{access.RoleAdmin, access.RoleCompliance, access.RoleAuditor, access.RoleEngineer, access.RoleConsumer} {
		tok, _, err := svc.CreateKey(ctx, sys, access.KeyRequest{Tenant: "acme", Name: string(role), Role: role, ActorKind: ledger.ActorHuman, Limits: access.Limits{RPM: 10}})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = tok
	}
	return e
}

func (e *controlsEnv) do(role access.Role, method, path string, body any) (int, []byte, http.Header) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if tok := e.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
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
	return resp.StatusCode, out, resp.Header
}

func (e *controlsEnv) want(role access.Role, method, path string, body any, status int) []byte {
	e.t.Helper()
	got, out, h := e.do(role, method, path, body)
	if got != status {
		e.t.Fatalf("%s %s as %s: %d %s, want %d", method, path, role, got, out, status)
	}
	if status >= 400 && h.Get("Content-Type") != "application/problem+json" {
		e.t.Fatalf("%s %s: error without problem details: %s", method, path, h.Get("Content-Type"))
	}
	return out
}

func TestControlsAPI(t *testing.T) {
	e := newControlsEnv(t)
	const (
		admin   = access.RoleAdmin
		comp    = access.RoleCompliance
		auditor = access.RoleAuditor
		eng     = access.RoleEngineer
	)
	e.want("", "GET", "/api/v1/controls", nil, 401)
	var list struct {
		Version  string `json:"catalog_version"`
		Criteria []any  `json:"criteria"`
		Controls []struct {
			ID     string          `json:"id"`
			Latest json.RawMessage `json:"latest"`
		} `json:"controls"`
	}
	json.Unmarshal(e.want(auditor, "GET", "/api/v1/controls", nil, 200), &list)
	if len(list.Criteria) != 61 || len(list.Controls) < 40 || list.Controls[0].Latest != nil {
		t.Fatalf("catalog: %d criteria, %d controls", len(list.Criteria), len(list.Controls))
	}
	e.want(auditor, "POST", "/api/v1/controls/evaluations", nil, 403)
	e.want(eng, "POST", "/api/v1/controls/evaluations", nil, 403)
	run := e.want(comp, "POST", "/api/v1/controls/evaluations", nil, 201)
	if !bytes.Contains(run, []byte(`"control":"AI-SEC-03"`)) {
		t.Fatalf("run: %s", run)
	}
	if out := e.want(auditor, "GET", "/api/v1/controls/AI-SEC-03", nil, 200); !bytes.Contains(out, []byte(`"latest"`)) {
		t.Fatalf("control: %s", out)
	}
	e.want(auditor, "GET", "/api/v1/controls/NOPE-1", nil, 404)
	e.want(auditor, "GET", "/api/v1/controls/checks", nil, 200)
	for _, p := range []string{"/api/v1/controls/history", "/api/v1/controls/history?control=AI-SEC-03", "/api/v1/controls/poam",
		"/api/v1/controls/readiness", "/api/v1/controls/scope", "/api/v1/audit/oscal/catalog", "/api/v1/audit/oscal/assessment-results", "/api/v1/audit/oscal/poam"} {
		e.want(auditor, "GET", p, nil, 200)
	}
	e.want(auditor, "GET", "/api/v1/controls/history?from=yesterday", nil, 400)
	e.want(auditor, "GET", "/api/v1/audit/oscal/ssp", nil, 404)
	if out := e.want(auditor, "GET", "/api/v1/controls/scope?format=markdown", nil, 200); !bytes.HasPrefix(out, []byte("# System description")) {
		t.Fatalf("markdown scope: %.80s", out)
	}

	// Scoping: a component without controls is flagged.
	e.want(auditor, "POST", "/api/v1/controls/scope/components", map[string]any{"name": "crm", "kind": "database", "stage": "storage"}, 403)
	e.want(comp, "POST", "/api/v1/controls/scope/components", map[string]any{"name": "crm", "kind": "database", "stage": "moon"}, 422)
	e.want(comp, "POST", "/api/v1/controls/scope/components", map[string]any{"name": "crm", "kind": "database", "stage": "storage"}, 201)
	if out := e.want(auditor, "GET", "/api/v1/controls/scope", nil, 200); !bytes.Contains(out, []byte(`"uncovered_components":["database:crm"]`)) {
		t.Fatalf("scope: %s", out)
	}
	e.want(comp, "DELETE", "/api/v1/controls/scope/components/database:crm", nil, 204)
	e.want(comp, "DELETE", "/api/v1/controls/scope/components/database:crm", nil, 404)
	e.want(comp, "PUT", "/api/v1/controls/scope/overview", map[string]any{"overview": "We run models."}, 204)

	// Manual attestation with evidence, downloadable by the auditor.
	ev := []byte("%PDF training roster")
	out := e.want(comp, "POST", "/api/v1/controls/ORG-05/attestations", map[string]any{"evidence_name": "training.pdf", "evidence": base64.StdEncoding.EncodeToString(ev)}, 201)
	var ref struct {
		Evidence string `json:"evidence_sha256"`
	}
	json.Unmarshal(out, &ref)
	if got := e.want(auditor, "GET", "/api/v1/controls/evidence/"+ref.Evidence, nil, 200); !bytes.Equal(got, ev) {
		t.Fatalf("evidence download: %q", got)
	}
	e.want(comp, "POST", "/api/v1/controls/AI-SEC-03/attestations", map[string]any{"evidence_name": "x.pdf", "evidence": "eA=="}, 422)
	e.want(comp, "POST", "/api/v1/controls/ORG-05/attestations", map[string]any{"evidence_name": "x.pdf", "evidence": "not base64!"}, 400)
}

func TestAccessReviewAPI(t *testing.T) {
	e := newControlsEnv(t)
	out := e.want(access.RoleCompliance, "POST", "/api/v1/access-reviews", map[string]any{"due_days": 7}, 201)
	var started struct {
		Review access.Review       `json:"review"`
		Items  []access.ReviewItem `json:"items"`
	}
	json.Unmarshal(out, &started)
	if len(started.Items) < 5 {
		t.Fatalf("review items: %s", out)
	}
	id := started.Review.ID
	e.want(access.RoleEngineer, "GET", "/api/v1/access-reviews", nil, 403)
	e.want(access.RoleAuditor, "GET", "/api/v1/access-reviews/"+id, nil, 200)
	e.want(access.RoleAuditor, "POST", "/api/v1/access-reviews/"+id+"/decisions", decisionRequest{Item: started.Items[0].ID, Decision: "keep"}, 403)
	e.want(access.RoleCompliance, "POST", "/api/v1/access-reviews/"+id+"/complete", nil, 409)
	var revoked string
	for _, it := range started.Items {
		d := "keep"
		if it.Kind == "key" && it.Name == "consumer" {
			d, revoked = "revoke", it.ID
		}
		by := access.RoleCompliance
		if it.Name == "compliance" || it.ID == "role:compliance" {
			by = access.RoleAdmin // nobody reviews their own access
			e.want(access.RoleCompliance, "POST", "/api/v1/access-reviews/"+id+"/decisions", decisionRequest{Item: it.ID, Decision: d}, 403)
		}
		e.want(by, "POST", "/api/v1/access-reviews/"+id+"/decisions", decisionRequest{Item: it.ID, Decision: d, Note: "ok"}, 200)
	}
	e.want(access.RoleCompliance, "POST", "/api/v1/access-reviews/"+id+"/decisions", decisionRequest{Item: "key:none", Decision: "keep"}, 404)
	e.want(access.RoleCompliance, "POST", "/api/v1/access-reviews/"+id+"/decisions", decisionRequest{Item: revoked, Decision: "maybe"}, 422)
	// Applying a revocation needs a role that manages keys.
	e.want(access.RoleCompliance, "POST", "/api/v1/access-reviews/"+id+"/complete", nil, 403)
	if out := e.want(access.RoleAdmin, "POST", "/api/v1/access-reviews/"+id+"/complete", nil, 200); !strings.Contains(string(out), `"revoked":1`) {
		t.Fatalf("complete: %s", out)
	}
	// The revoked consumer key no longer authenticates.
	e.want(access.RoleConsumer, "GET", "/api/v1/controls", nil, 401)
	e.want(access.RoleAdmin, "POST", "/api/v1/access-reviews/"+id+"/complete", nil, 409)
}

// TestControlsErrorStatus maps review refusals to the statuses docs/API.md
// promises; a campaign that would disable the last console admin is a
// conflict the reviewer resolves by changing a decision.
func TestControlsErrorStatus(t *testing.T) {
	s := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, tc := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("%w: revoking user alice", access.ErrLastAdmin), http.StatusConflict},
		{access.ErrUndecided, http.StatusConflict},
		{access.ErrReviewClosed, http.StatusConflict},
		{access.ErrSelfReview, http.StatusForbidden},
		{access.ErrForbidden, http.StatusForbidden},
		{fmt.Errorf("console user x: %w", access.ErrNotFound), http.StatusNotFound},
		{access.ErrInvalidRequest, http.StatusUnprocessableEntity},
	} {
		w := httptest.NewRecorder()
		s.controlsError(w, httptest.NewRequest("POST", "/api/v1/access-reviews/ar-1/complete", nil), tc.err)
		if w.Code != tc.want {
			t.Errorf("%v: status %d, want %d", tc.err, w.Code, tc.want)
		}
		if tc.want < 500 && !strings.Contains(w.Body.String(), tc.err.Error()) {
			t.Errorf("%v: the problem does not carry the reason: %s", tc.err, w.Body)
		}
	}
}
