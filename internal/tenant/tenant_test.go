package tenant_test

import (
	"context"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/tenant"
)

func TestSettings(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, _ := ledger.Open(ctx, st, ledger.Options{})
	defer l.Close()
	s := tenant.New(st, l)
	def, err := s.Get(ctx, "acme")
	if err != nil || def.Retention != "zero" || def.FailOpen {
		t.Fatalf("defaults must be zero retention, fail closed: %+v %v", def, err)
	}
	admin := ledger.Actor{Kind: ledger.ActorHuman, ID: "admin"}
	for _, bad := range []tenant.Settings{{Tenant: "acme", Retention: "forever"}, {Tenant: "acme", Retention: "redacted"}, {Tenant: "acme", RPM: -1}} {
		if _, err := s.Set(ctx, admin, bad); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
	if _, err := s.Set(ctx, admin, tenant.Settings{Tenant: "acme", Retention: "full", FailOpen: true}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, "acme")
	if got.Retention != "full" || !got.FailOpen {
		t.Fatalf("not applied: %+v", got)
	}
	es, _ := st.QueryLedger(ctx, ledger.Query{Type: "gateway.fail_open_set", Limit: 10})
	if len(es) != 1 || !strings.Contains(string(es[0].Data), `"enabled":true`) {
		t.Fatalf("fail-open opt-in not recorded: %d", len(es))
	}
	if _, err := s.Set(ctx, admin, tenant.Settings{Tenant: "acme", Retention: "full", FailOpen: true, RPM: 10}); err != nil {
		t.Fatal(err)
	}
	if es, _ := st.QueryLedger(ctx, ledger.Query{Type: "gateway.fail_open_set", Limit: 10}); len(es) != 1 {
		t.Fatal("unchanged fail-open recorded again")
	}
}
