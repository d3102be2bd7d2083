package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRequestEntryOverlapsUpstreamCall has the upstream wait, before it
// answers, for the request's inference.request entry: the entry must be
// queued while the upstream works, not after its answer.
func TestRequestEntryOverlapsUpstreamCall(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := newEnv(t)
		e.openai.SetReply(func(_, _ string) []string {
			deadline := time.Now().Add(3 * time.Second)
			for len(e.ledger.Entries("inference.request")) == 0 {
				if time.Now().After(deadline) {
					return []string{"entry not seen"}
				}
				time.Sleep(time.Millisecond)
			}
			return []string{"entry seen"}
		})
		body := `{"model":"strict","messages":[{"role":"user","content":"hi"}]}`
		if stream {
			body = `{"model":"strict","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		}
		st, _, b := e.post("/v1/chat/completions", keyA, body)
		if st != http.StatusOK || !strings.Contains(string(b), "entry seen") {
			t.Fatalf("stream=%v: %d %s", stream, st, b)
		}
	}
}

// TestAnswerWaitsForDurableEntry slows the ledger's confirmation: no answer
// may leave before its inference.request entry is durable.
func TestAnswerWaitsForDurableEntry(t *testing.T) {
	e := newEnv(t)
	const delay = 150 * time.Millisecond
	e.ledger.Delay = delay
	for _, body := range []string{
		`{"model":"strict","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"strict","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"embed","input":"hi"}`,
	} {
		path := "/v1/chat/completions"
		if strings.Contains(body, "embed") {
			path = "/v1/embeddings"
		}
		start := time.Now()
		st, _, b := e.post(path, keyA, body)
		if st != http.StatusOK {
			t.Fatalf("%s: %d %s", body, st, b)
		}
		if d := time.Since(start); d < delay {
			t.Fatalf("%s: answered after %v, before the entry was confirmed (%v)", body, d, delay)
		}
	}
}
