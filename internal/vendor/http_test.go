package vendor

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
)

func newTestServer(t *testing.T) (*httptest.Server, *Service, *memLedger) {
	t.Helper()
	s, l := newTestService()
	h := &Handler{
		Service: s,
		Actor:   func(*http.Request) ledger.Actor { return testActor },
		Tenant:  func(r *http.Request) string { return r.Header.Get("X-Tenant") },
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, s, l
}

func do(t *testing.T, method, url, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Tenant", "acme")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestHTTPFlow(t *testing.T) {
	srv, _, l := newTestServer(t)
	resp, body := do(t, "POST", srv.URL+"/api/v1/vendors", "application/json", strings.NewReader(`{"name":"Nimbus","providers":["nimbus"]}`))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create vendor: %d %s", resp.StatusCode, body)
	}
	var v Vendor
	json.Unmarshal(body, &v)
	if resp.Header.Get("Location") != "/api/v1/vendors/"+v.ID || v.Tenant != "acme" {
		t.Errorf("vendor %+v at %s", v, resp.Header.Get("Location"))
	}

	soc2, _ := os.ReadFile(filepath.Join("testdata", "fixtures", "soc2-type2-ai-in-scope.txt"))
	bridge, _ := os.ReadFile(filepath.Join("testdata", "fixtures", "bridge-letter.txt"))
	ct, mp := multipartBody(t, map[string]string{"as_of": "2025-11-21"}, map[string][]byte{"reports/soc2.txt": soc2, "bridge.txt": bridge})
	resp, body = do(t, "POST", srv.URL+"/api/v1/vendors/"+v.ID+"/reviews", ct, mp)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create review: %d %s", resp.StatusCode, body)
	}
	var r Review
	json.Unmarshal(body, &r)
	if r.Verdict != VerdictFastTrack || len(r.Documents) != 2 || r.AsOf != "2025-11-21" || r.Actor != testActor {
		t.Errorf("review verdict %s, %d documents, as of %s, actor %+v", r.Verdict, len(r.Documents), r.AsOf, r.Actor)
	}
	for _, d := range r.Documents {
		if strings.Contains(d.Name, "/") {
			t.Errorf("document name %q keeps the client's path", d.Name)
		}
	}
	if len(l.ofType(EventReviewed)) != 1 {
		t.Error("no vendor.reviewed event")
	}

	resp, body = do(t, "GET", srv.URL+resp.Header.Get("Location"), "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"verdict": "fast_track"`) {
		t.Errorf("get review: %d", resp.StatusCode)
	}
	resp, body = do(t, "GET", srv.URL+"/api/v1/vendors/"+v.ID+"/reviews/"+r.ID+"?format=html", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("Ten-minute check")) {
		t.Errorf("html review: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	resp, body = do(t, "GET", srv.URL+"/api/v1/vendors/"+v.ID, "", nil)
	var detail vendorDetail
	json.Unmarshal(body, &detail)
	if resp.StatusCode != http.StatusOK || len(detail.Documents) != 2 || len(detail.Reviews) != 1 {
		t.Errorf("vendor detail: %d %+v", resp.StatusCode, detail)
	}
	resp, body = do(t, "GET", srv.URL+"/api/v1/vendors", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"latest_review"`) {
		t.Errorf("list: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", srv.URL+"/api/v1/vendors/calendar?as_of=2025-12-10", "", nil)
	var entries []CalendarEntry
	json.Unmarshal(body, &entries)
	if resp.StatusCode != http.StatusOK || len(entries) != 2 {
		t.Errorf("calendar: %d %s", resp.StatusCode, body)
	}
}

func TestHTTPProblems(t *testing.T) {
	srv, s, _ := newTestServer(t)
	s.Reader.MaxFileBytes = 1 << 10
	_, created := do(t, "POST", srv.URL+"/api/v1/vendors", "application/json", strings.NewReader(`{"name":"Nimbus"}`))
	var v Vendor
	json.Unmarshal(created, &v)
	reviews := srv.URL + "/api/v1/vendors/" + v.ID + "/reviews"
	ctBig, bodyBig := multipartBody(t, nil, map[string][]byte{"big.pdf": bytes.Repeat([]byte("x"), 4<<10)})
	ctNone, bodyNone := multipartBody(t, map[string]string{"as_of": "2025-11-21"}, nil)
	ctOne, bodyOne := multipartBody(t, nil, map[string][]byte{"a.txt": []byte("hello")})
	ctBadDate, bodyBadDate := multipartBody(t, map[string]string{"as_of": "yesterday"}, map[string][]byte{"a.txt": []byte("hello")})
	tests := []struct {
		name, method, url, ct string
		body                  io.Reader
		status                int
		kind                  string
	}{
		{"duplicate vendor", "POST", srv.URL + "/api/v1/vendors", "application/json", strings.NewReader(`{"name":"nimbus"}`), http.StatusConflict, "conflict"},
		{"unknown field", "POST", srv.URL + "/api/v1/vendors", "application/json", strings.NewReader(`{"nme":"x"}`), http.StatusBadRequest, "malformed-json"},
		{"bad provider", "POST", srv.URL + "/api/v1/vendors", "application/json", strings.NewReader(`{"name":"y","providers":["Open AI"]}`), http.StatusBadRequest, "invalid-request"},
		{"wrong media type", "POST", srv.URL + "/api/v1/vendors", "text/plain", strings.NewReader(`name`), http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{"unknown vendor", "GET", srv.URL + "/api/v1/vendors/vnd_nope", "", nil, http.StatusNotFound, "not-found"},
		{"upload not multipart", "POST", reviews, "application/json", strings.NewReader(`{}`), http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{"file over the limit", "POST", reviews, ctBig, bodyBig, http.StatusRequestEntityTooLarge, "document-too-large"},
		{"no files", "POST", reviews, ctNone, bodyNone, http.StatusBadRequest, "no-documents"},
		{"bad as_of", "POST", reviews, ctBadDate, bodyBadDate, http.StatusBadRequest, "invalid-request"},
		{"empty multipart body", "POST", reviews, ctBadDate, strings.NewReader(""), http.StatusBadRequest, "malformed-multipart"},
		{"review of unknown vendor", "POST", srv.URL + "/api/v1/vendors/vnd_nope/reviews", ctOne, bodyOne, http.StatusNotFound, "not-found"},
		{"unknown review", "GET", reviews + "/rev_nope", "", nil, http.StatusNotFound, "not-found"},
		{"bad calendar date", "GET", srv.URL + "/api/v1/vendors/calendar?as_of=soon", "", nil, http.StatusBadRequest, "invalid-request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, tt.url, tt.ct, tt.body)
			var p struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			json.Unmarshal(body, &p)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/problem+json" || p.Type != problemBase+tt.kind || p.Detail == "" {
				t.Errorf("got %d %s %+v, want %d %s", resp.StatusCode, resp.Header.Get("Content-Type"), p, tt.status, tt.kind)
			}
		})
	}
	// A review under another vendor's ID is not found.
	_, body2 := do(t, "POST", srv.URL+"/api/v1/vendors", "application/json", strings.NewReader(`{"name":"Other"}`))
	var ov Vendor
	json.Unmarshal(body2, &ov)
	ct, mp := multipartBody(t, nil, map[string][]byte{"a.txt": []byte("hello there")})
	resp, body := do(t, "POST", reviews, ct, mp)
	var r Review
	json.Unmarshal(body, &r)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("review: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", srv.URL+"/api/v1/vendors/"+ov.ID+"/reviews/"+r.ID, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("review read through another vendor: %d", resp.StatusCode)
	}
}
