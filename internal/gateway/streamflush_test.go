package gateway_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// flushWriter records what each flush sends.
type flushWriter struct {
	h       http.Header
	code    int
	buf     bytes.Buffer
	flushes []string
}

func (f *flushWriter) Header() http.Header         { return f.h }
func (f *flushWriter) WriteHeader(code int)        { f.code = code }
func (f *flushWriter) Write(p []byte) (int, error) { return f.buf.Write(p) }
func (f *flushWriter) Flush() {
	f.flushes = append(f.flushes, f.buf.String())
	f.buf.Reset()
}

// TestStreamSendsHeldEventsInOneWrite checks that the events the gateway
// holds before its first byte (the role and the first token, read while
// it could still fail over) leave in one flush: a flush each would make the
// client wait for a second write before its first token.
func TestStreamSendsHeldEventsInOneWrite(t *testing.T) {
	e := newEnv(t)
	e.openai.SetReply(func(_, _ string) []string { return []string{"one ", "two ", "three"} })
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions",
		strings.NewReader(`{"model":"strict","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+keyA)
	w := &flushWriter{h: http.Header{}}
	e.gw.Handler().ServeHTTP(w, req)
	if w.code != http.StatusOK || len(w.flushes) == 0 {
		t.Fatalf("status %d, %d flushes", w.code, len(w.flushes))
	}
	first := w.flushes[0]
	if !strings.Contains(first, `"role":"assistant"`) || !strings.Contains(first, `"content":"one "`) {
		t.Fatalf("first flush holds %q; want the role and the first token together", first)
	}
	if all := strings.Join(w.flushes, "") + w.buf.String(); !strings.Contains(all, "three") || !strings.Contains(all, "[DONE]") {
		t.Fatalf("stream incomplete: %q", all)
	}
}
