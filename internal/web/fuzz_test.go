package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
)

// FuzzAppendEventBody sends arbitrary bodies to the append endpoint: the
// answer is always 201 or a 4xx problem, never a 5xx or a panic.
func FuzzAppendEventBody(f *testing.F) {
	for _, s := range []string{`{"type":"a.b","body":{"x":1}}`, `{"type":"a.b","subjects":[{"kind":"k","id":"i"}]}`, `{`, `{"type":"a.b","body":{"a":{"b":[1,2,{"c":null}]}}}`, `{"type":"a.b","body":{"\u0000":"\ud800"}}`} {
		f.Add(s)
	}
	c := config.Default()
	c.DataDir = f.TempDir()
	c.LogLevel = "error"
	a, err := app.Open(context.Background(), c, app.NewLogger(c, io.Discard))
	if err != nil {
		f.Fatal(err)
	}
	defer a.Close()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/ledger/events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+a.AdminToken)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		a.Web.ServeHTTP(w, req)
		if w.Code != http.StatusCreated && (w.Code < 400 || w.Code >= 500) {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}
