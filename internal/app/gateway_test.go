package app_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/tenant"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestGatewayWiredEndToEnd drives the real process wiring (API keys,
// tenant settings, vault, ledger) through the official OpenAI SDK against
// the built-in demo provider.
func TestGatewayWiredEndToEnd(t *testing.T) {
	ctx := context.Background()
	a := openApp(t)
	srv := httptest.NewServer(a.Web)
	defer srv.Close()
	admin := access.Principal{ID: "t", Kind: "test", Tenant: "acme", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	tok, _, err := a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey(tok))
	canary := "CANARY-WIRED-7731"
	resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "demo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello " + canary)},
		User:     openai.String("end-user-9"),
	})
	if err != nil {
		t.Fatalf("chat through the gateway: %v", err)
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == "" {
		t.Fatalf("empty answer: %+v", resp)
	}
	// The response entry follows the answer; wait for it.
	var es []ledger.RawEntry
	for i := 0; i < 100; i++ {
		es, _ = a.Store.QueryLedger(ctx, ledger.Query{Tenant: "acme", Type: "inference.response", Limit: 5})
		if len(es) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	es, _ = a.Store.QueryLedger(ctx, ledger.Query{Tenant: "acme", Limit: 50})
	types := map[string]int{}
	for _, e := range es {
		ev, _ := ledger.ParseEntryData(e.Data)
		types[ev.Type]++
		if strings.Contains(string(e.Data), canary) || strings.Contains(string(e.Data), "end-user-9") {
			t.Fatalf("prompt or raw user id reached the ledger: %s", e.Data)
		}
	}
	if types["inference.request"] != 1 || types["inference.response"] != 1 {
		t.Fatalf("audit entries: %v", types)
	}
	// Full retention seals the body in the vault under the user's key.
	if _, err := a.Tenants.Set(ctx, admin.Actor(), tenant.Settings{Tenant: "acme", Retention: "full"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "demo", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("keep " + canary)}, User: openai.String("end-user-9"),
	}); err != nil {
		t.Fatal(err)
	}
	sub := a.Vault.Pseudonym("acme", "end-user-9")
	ps, _ := a.Store.SubjectPayloads(ctx, "acme", sub.ID)
	if len(ps) == 0 {
		t.Fatal("full retention kept nothing")
	}
	if _, pt, err := a.Vault.Open(ctx, ps[0].Ref); err != nil || !strings.Contains(string(pt), canary) {
		t.Fatalf("retained body unreadable: %v", err)
	}
	// Auditors cannot call models.
	aud, _, _ := a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "aud", Role: access.RoleAuditor})
	ac := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey(aud), option.WithMaxRetries(0))
	if _, err := ac.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "demo", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("auditor called a model: %v", err)
	}
}
