package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// TestConsoleGateway sends traffic through the real gateway and reads it
// back as the console's per-minute charts, from the ledger alone.
func TestConsoleGateway(t *testing.T) {
	e := openConsole(t)
	ctx, tenant := context.Background(), e.a.Config.Tenant
	admin := access.Principal{ID: "t", Kind: "test", Tenant: tenant, Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	tok, _, err := e.a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: tenant, Name: "app", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	const sent = 3
	for range sent {
		r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"hi"}]}`))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.a.Web.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("chat: %d %s", w.Code, w.Body)
		}
	}
	// Response entries follow the answers; wait for them.
	for i := 0; i < 100; i++ {
		es, _ := e.a.Store.QueryLedger(ctx, ledger.Query{Tenant: tenant, Type: "inference.response", Limit: sent})
		if len(es) == sent {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	alert := ledger.MustEvent("gateway.alert", tenant, ledger.Actor{Kind: ledger.ActorService, ID: "gateway"},
		map[string]any{"key_id": "k1", "signal": "extraction", "value": 9.0, "threshold": 5.0, "action": "alert"})
	if _, err := e.a.Log.Append(ctx, alert); err != nil {
		t.Fatal(err)
	}

	s, err := consoleGateway{store: e.a.Store, now: time.Now}.Snapshot(ctx, tenant, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, p := range s.RequestsPerMinute.Points {
		total += p.V
	}
	if total != sent {
		t.Fatalf("counted %v requests, sent %d", total, sent)
	}
	if n := len(s.RequestsPerMinute.Points); n < 60 || n > 61 {
		t.Fatalf("a 24h window read %d minutes; it is capped at an hour", n)
	}
	if len(s.Latency) != 3 || len(s.Latency[0].Points) == 0 {
		t.Fatalf("latency: %+v", s.Latency)
	}
	if len(s.Alerts) != 1 || !strings.Contains(s.Alerts[0].Title, "extraction on key k1") {
		t.Fatalf("alerts: %+v", s.Alerts)
	}
	e.page("/gateway", "extraction on key k1")
}

func TestBlockReason(t *testing.T) {
	for _, c := range []struct {
		r    statResponse
		want string
	}{
		{statResponse{}, ""},
		{statResponse{Guard: &statGuard{Action: "allow", Rules: []string{"x"}}}, ""},
		{statResponse{Guard: &statGuard{Action: "block", Rules: []string{"ignore_previous"}}}, "ignore_previous"},
		{statResponse{GuardOutput: &statGuard{Action: "block", Reasons: []string{"pii in output"}}}, "pii in output"},
		{statResponse{Guard: &statGuard{Action: "block"}}, "guard"},
	} {
		if got := c.r.blockReason(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
	if p := percentile([]float64{1, 2, 3, 4}, 50); p != 2 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile([]float64{1, 2, 3, 4}, 99); p != 4 {
		t.Errorf("p99 = %v", p)
	}
}
