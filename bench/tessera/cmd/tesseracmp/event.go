package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// response carries the core fields of the gateway's inference.response
// audit entry; with the envelope it makes an entry of about 400 bytes.
type response struct {
	RequestID    string `json:"request_id"`
	Status       int    `json:"status"`
	LatencyUS    int    `json:"latency_us"`
	InputTokens  int    `json:"input_tokens"`
	OutputTokens int    `json:"output_tokens"`
	Provider     string `json:"provider"`
	Model        string `json:"model"`
	RequestMAC   string `json:"request_mac"`
}

var requestMAC = strings.Repeat("5e", 32)

// event is the i-th benchmark event, from the gateway's service actor
// about the API key it used.
func event(i int) ledger.Event {
	key := fmt.Sprintf("k_%02d", i%64)
	return ledger.MustEvent("inference.response", "tenant-a", ledger.Actor{Kind: ledger.ActorService, ID: "gateway"},
		response{
			RequestID: fmt.Sprintf("req_%016x", i), Status: 200, LatencyUS: 1200 + i%5000,
			InputTokens: 512 + i%97, OutputTokens: 128 + i%31,
			Provider: "openai", Model: "gpt-4o-mini", RequestMAC: requestMAC,
		},
		ledger.Ref{Kind: "key", ID: key})
}

// entry is event i as the exact bytes attest would store as its leaf, so
// Tessera is given the same data and the same encoding work per add.
func entry(i int) ([]byte, error) {
	e := event(i)
	return e.Canonical(time.Now())
}
