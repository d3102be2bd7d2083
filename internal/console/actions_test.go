package console

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

func TestPrivacyActions(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	pw := e.user("cora", access.RoleCompliance)
	b.login("cora", pw)
	b.get("/privacy")
	resp, body := b.post("/privacy/requests", url.Values{"subject": {"customer-4711@example.com"}, "type": {"erasure"}, "days": {"14"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open request: %d %s", resp.StatusCode, clipBody(body))
	}
	mustContain(t, body, "Opened erasure request dsr_", "1 open, 0 overdue", "due in 14 days")
	mustNotContain(t, body, "customer-4711")
	if evs := e.events("dsr.opened"); len(evs) != 1 || strings.Contains(string(evs[0].Body), "customer-4711") {
		t.Fatalf("dsr evidence: %+v", evs)
	}
	for _, bad := range []url.Values{{"subject": {""}, "type": {"access"}, "days": {"30"}}, {"subject": {"x"}, "type": {"access"}, "days": {"365"}}, {"subject": {"x"}, "type": {"rectify"}, "days": {"30"}}} {
		if resp, _ := b.post("/privacy/requests", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: %d", bad, resp.StatusCode)
		}
	}
	e.clock.t = e.clock.t.Add(15*24*time.Hour + time.Hour)
	b.login("cora", pw) // the session expired meanwhile
	_, body = b.get("/privacy")
	mustContain(t, body, "1 overdue", `<span class="bad-text small">overdue by`, `class="overdue"`)
	resp, body = b.post("/privacy/retention", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("retention: %d", resp.StatusCode)
	}
	mustContain(t, body, "Retention run", "manual")
	_, body = b.get("/")
	mustContain(t, body, "Data-subject erasure request", "1 overdue")
}

var newTokenText = regexp.MustCompile(`id="new-token">(atk_[^<]+)<`)

func TestKeyActions(t *testing.T) {
	e := newTestEnv(t, nil)
	admin := access.Principal{ID: "t", Kind: "cli", Tenant: "default", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	_, k, err := e.access.CreateKey(context.Background(), admin, access.KeyRequest{Tenant: "default", Name: "svc", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("otto", e.user("otto", access.RoleOperator))
	b.get("/gateway")
	resp, body := b.post("/gateway/keys/"+k.ID+"/rotate", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	m := newTokenText.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token shown:\n%s", clipBody(body))
	}
	if _, err := e.access.Authenticate(context.Background(), m[1]); err != nil {
		t.Fatalf("the shown token does not work: %v", err)
	}
	mustContain(t, body, "rotating")
	if _, body := b.get("/gateway"); strings.Contains(body, m[1]) {
		t.Fatal("the token is shown again")
	}
	resp, body = b.post("/gateway/keys/"+k.ID+"/revoke", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	mustContain(t, body, "Revoked key "+k.ID)
	if len(e.events("key.revoked")) != 1 || len(e.events("key.rotated")) != 1 {
		t.Fatal("key changes are not evidenced")
	}
	// An operator may not touch an admin key.
	ks, _ := e.access.Keys(context.Background(), admin, "")
	var adminKey string
	for _, x := range ks {
		if x.Role == access.RoleOperator || x.Role == access.RoleAdmin {
			adminKey = x.ID
		}
	}
	if adminKey == "" {
		_, ak, _ := e.access.CreateKey(context.Background(), admin, access.KeyRequest{Tenant: "default", Name: "root", Role: access.RoleAdmin})
		adminKey = ak.ID
	}
	if resp, _ := b.post("/gateway/keys/"+adminKey+"/revoke", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("operator revoked an admin key: %d", resp.StatusCode)
	}
}

func TestVendorUpload(t *testing.T) {
	e, _ := worldEnv(t)
	b := e.browser()
	b.login("cora", e.user("cora", access.RoleCompliance))
	b.get("/vendors")
	post := func(vendor string, files map[string]string) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("vendor", vendor)
		for name, content := range files {
			w, _ := mw.CreateFormFile("files", name)
			io.WriteString(w, content)
		}
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/vendors/upload", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", b.csr)
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	resp, body := post("v-openai", map[string]string{"../../etc/soc2.pdf": "%PDF-1.7 report"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.StatusCode, clipBody(body))
	}
	mustContain(t, body, "Verdict for OpenAI", "2 red flag(s)")
	_, body = b.get("/vendors/reviews/rv-" + strings.TrimPrefix(regexp.MustCompile(`/vendors/reviews/rv-(\d+)`).FindString(body), "/vendors/reviews/rv-"))
	mustContain(t, body, "soc2.pdf, page 4")
	mustNotContain(t, body, "../")
	if resp, body := post("", map[string]string{"a.pdf": "x"}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose the vendor") {
		t.Fatalf("no vendor: %d", resp.StatusCode)
	}
	if resp, body := post("v-openai", map[string]string{"a.pdf": ""}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "documents are empty") {
		t.Fatalf("empty document: %d", resp.StatusCode)
	}
}

func TestAccessReviewDecision(t *testing.T) {
	e, w := worldEnv(t)
	b := e.browser()
	b.login("cora", e.user("cora", access.RoleCompliance))
	_, body := b.get("/access-reviews/ar-1")
	mustContain(t, body, "legacy-batch", "0 of 2 decided")
	resp, body := b.post("/access-reviews/ar-1/items/key:old", url.Values{"decision": {"revoke"}, "note": {"unused for four months"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("decide: %d", resp.StatusCode)
	}
	mustContain(t, body, "Recorded revoke for key:old", "1 of 2 decided", "by user:cora")
	if resp, _ := b.post("/access-reviews/ar-1/items/key:ci", url.Values{"decision": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("decision maybe: %d", resp.StatusCode)
	}
	_, items, _ := w.Campaign(context.Background(), access.Principal{}, "ar-1")
	if items[1].Decision != "revoke" || items[0].Decision != "" {
		t.Fatalf("items %+v", items)
	}
}

// TestAccessReviewCompletion covers a last decision whose completion is
// refused, and completing the campaign once the refusal is resolved.
func TestAccessReviewCompletion(t *testing.T) {
	e, w := worldEnv(t)
	b := e.browser()
	b.login("cora", e.user("cora", access.RoleCompliance))
	w.mu.Lock()
	w.refuseCompletion = errors.New("revoking user alice would leave no enabled admin")
	w.mu.Unlock()
	b.post("/access-reviews/ar-1/items/key:old", url.Values{"decision": {"revoke"}})
	_, body := b.get("/access-reviews/ar-1")
	if strings.Contains(body, "Complete the review") {
		t.Fatal("complete offered while an item is undecided")
	}
	resp, body := b.post("/access-reviews/ar-1/items/key:ci", url.Values{"decision": {"keep"}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("last decision with a refused completion: %d", resp.StatusCode)
	}
	mustContain(t, body, "Recorded keep for key:ci, but the review could not be completed", "no enabled admin", "Complete the review")
	if resp, _ := b.post("/access-reviews/ar-1/complete", nil); resp.StatusCode != http.StatusConflict {
		t.Fatalf("complete while refused: %d", resp.StatusCode)
	}
	w.mu.Lock()
	w.refuseCompletion = nil
	w.mu.Unlock()
	resp, body = b.post("/access-reviews/ar-1/complete", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("complete: %d", resp.StatusCode)
	}
	mustContain(t, body, "Review completed")
	if strings.Contains(body, "Complete the review") {
		t.Fatal("complete still offered on a completed campaign")
	}
}

func TestAuditExport(t *testing.T) {
	e, _ := worldEnv(t)
	b := e.browser()
	b.login("cora", e.user("cora", access.RoleCompliance))
	_, body := b.get("/audit")
	mustContain(t, body, `name="seed"`)
	if resp, _ := b.post("/audit/exports", url.Values{"from": {"2026-03-01"}, "to": {"2026-01-01"}, "seed": {"s"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("reversed period: %d", resp.StatusCode)
	}
	resp, _ := b.post("/audit/exports", url.Values{"from": {"2026-01-01"}, "to": {"2026-03-31"}, "seed": {"auditor-seed-42"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	job := resp.Header.Get("Location")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = b.get(job)
		if strings.Contains(body, "The package is ready") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export did not finish:\n%s", clipBody(body))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustContain(t, body, "Period 2026-01-01 to 2026-03-31", "auditor-seed-42", job+"/download")

	aud := e.browser()
	aud.login("ann", e.user("ann", access.RoleAuditor))
	resp, err := aud.hc.Get(e.srv.URL + job + "/download")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("the download is not the package: %v", err)
	}
	f, _ := zr.File[0].Open()
	info, _ := io.ReadAll(f)
	// The exporter sees the last day as included: its end is exclusive.
	if !strings.Contains(string(info), `"to":"2026-04-01"`) {
		t.Fatalf("package.json %s", info)
	}
	if resp, _ := aud.get("/audit/exports/exp-nope"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown export: %d", resp.StatusCode)
	}
	// An engineer of the same tenant sees the export but may not take the
	// package, which holds every tenant's events.
	eng := e.browser()
	eng.login("eve", e.user("eve", access.RoleEngineer))
	if resp, _ := eng.get(job + "/download"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("engineer download: %d", resp.StatusCode)
	}
}

func TestAdminCreatesUser(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	b.login("root", e.user("root", access.RoleAdmin))
	b.get("/users")
	resp, body := b.post("/users", url.Values{"name": {"zoe"}, "role": {"approver"}, "tenant": {"default"}, "password": {"on"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create: %d %s", resp.StatusCode, clipBody(body))
	}
	m := regexp.MustCompile(`id="new-password">([A-Z2-7]{26})<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no password shown")
	}
	zoe := e.browser()
	zoe.login("zoe", m[1])
	if resp, body := b.post("/users", url.Values{"name": {"bad name"}, "role": {"approver"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "letters, digits") {
		t.Fatalf("bad name: %d", resp.StatusCode)
	}
	evs := e.events(EventUserCreated)
	if len(evs) != 2 || evs[1].Actor.ID != "user:root" || strings.Contains(string(evs[1].Body), m[1]) {
		t.Fatalf("user evidence %+v", evs)
	}
}

// hostile is a source whose data tries to inject markup.
type hostile struct{ *FakeWorld }

func (hostile) Controls(context.Context, string) ([]ControlSummary, error) {
	return []ControlSummary{{ID: `x"><script>alert(1)</script>`, Title: "<img src=x onerror=alert(1)>", Status: "fail"}}, nil
}

func TestSourceDataIsEscaped(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.Controls = hostile{NewFakeWorld(d.Log, d.Now)} })
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	for _, p := range []string{"/controls", "/"} {
		_, body := b.get(p)
		mustNotContain(t, body, "<script>alert", "<img src=x")
		mustContain(t, body, "&lt;img src=x onerror=alert(1)&gt;")
	}
}
