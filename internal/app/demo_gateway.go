package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/attest-ai/attest/internal/demo"
)

// seedGateway sends a little traffic through the real gateway handler with
// the demo consumer key, against the built-in demo provider: Chat
// Completions, Responses, Messages and embeddings, a stream, and named end
// users, so the audit trail and the gateway metrics have data.
func (a *App) seedGateway(ctx context.Context, s *demo.Seed) (string, error) {
	reqs := []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"demo","messages":[{"role":"user","content":"Summarize our refund policy."}],"user":"customer-7"}`},
		{"/v1/chat/completions", `{"model":"demo","stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is SOC 2?"}],"user":"customer-8"}`},
		{"/v1/messages", `{"model":"demo","max_tokens":64,"messages":[{"role":"user","content":"Classify: my invoice is wrong"}],"metadata":{"user_id":"customer-9"}}`},
		{"/v1/responses", `{"model":"demo","instructions":"Answer in one line.","input":"Which region serves us?","user":"customer-7"}`},
		{"/v1/embeddings", `{"model":"demo","input":"attest"}`},
	}
	ok := 0
	var failed string
	for i := 0; i < 3; i++ {
		for _, rq := range reqs {
			r := httptest.NewRequestWithContext(ctx, "POST", rq.path, strings.NewReader(rq.body))
			r.Header.Set("Authorization", "Bearer "+s.ConsumerToken)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("anthropic-version", "2023-06-01")
			w := httptest.NewRecorder()
			a.Web.ServeHTTP(w, r)
			if w.Code < 300 {
				ok++
			} else if failed == "" {
				failed = fmt.Sprintf("%s answered %d: %s", rq.path, w.Code, strings.TrimSpace(w.Body.String()))
			}
		}
	}
	if failed != "" {
		// The demo exists to show the gateway working; a refusal here is a
		// bug to report, not a figure to print.
		return "", fmt.Errorf("%d of %d demo requests failed; the first: %s", 3*len(reqs)-ok, 3*len(reqs), failed)
	}
	return fmt.Sprintf("%d requests through the gateway (demo provider), each with write-ahead audit entries", ok), nil
}
