package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

func testAccess(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	svc := access.NewService(st, l)
	admin, err := svc.Bootstrap(ctx, "default")
	if err != nil || !strings.HasPrefix(admin, "atk_") {
		t.Fatalf("bootstrap: %q %v", admin, err)
	}
	if again, err := svc.Bootstrap(ctx, "default"); err != nil || again != "" {
		t.Fatalf("second bootstrap created another admin: %v", err)
	}
	ap, err := svc.Authenticate(ctx, admin)
	if err != nil || ap.Role != access.RoleAdmin {
		t.Fatalf("authenticate admin: %+v %v", ap, err)
	}
	tok, k, err := svc.CreateKey(ctx, ap, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer, Models: []string{"gpt-4o"}, Limits: access.Limits{RPM: 60}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, tok)
	if err != nil || p.Tenant != "acme" || p.Limits.RPM != 60 || len(p.Models) != 1 {
		t.Fatalf("authenticate consumer: %+v %v", p, err)
	}
	// A consumer cannot mint keys; an operator only consumer keys of its tenant.
	if _, _, err := svc.CreateKey(ctx, p, access.KeyRequest{Tenant: "acme", Name: "x", Role: access.RoleAdmin}); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("consumer minted a key: %v", err)
	}
	// Wrong secret (last character changed), unknown key, malformed token.
	last := "A"
	if tok[len(tok)-1] == 'A' {
		last = "B"
	}
	for _, bad := range []string{tok[:len(tok)-1] + last, "atk_aaaaaaaaaaaaaaaa_" + strings.Repeat("x", 43), "Bearer nonsense", ""} {
		if _, err := svc.Authenticate(ctx, bad); err == nil {
			t.Fatalf("authenticated %q", bad)
		}
	}
	// Rotation: both work during the grace period, then only the new one.
	newTok, nk, err := svc.Rotate(ctx, ap, k.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, tok); err != nil {
		t.Fatalf("old key during grace: %v", err)
	}
	if _, err := svc.Authenticate(ctx, newTok); err != nil {
		t.Fatalf("new key: %v", err)
	}
	old, _ := st.Key(ctx, k.ID)
	if old.ReplacedBy != nk.ID || old.Expires.IsZero() {
		t.Fatalf("rotated key not marked: %+v", old)
	}
	old.Expires = time.Now().Add(-time.Second)
	st.UpdateKey(ctx, old)
	if _, err := svc.Authenticate(ctx, tok); !errors.Is(err, access.ErrExpired) {
		t.Fatalf("old key after grace: %v", err)
	}
	// Revocation takes effect at once.
	if _, err := svc.Revoke(ctx, ap, nk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, newTok); !errors.Is(err, access.ErrRevoked) {
		t.Fatalf("revoked key: %v", err)
	}
	ks, _ := svc.Keys(ctx, p, "")
	for _, x := range ks {
		if x.Tenant != "acme" {
			t.Fatalf("tenant-scoped listing shows %s", x.Tenant)
		}
	}
	// Every change is evidence and no secret reaches the ledger.
	es, _ := st.QueryLedger(ctx, ledger.Query{Limit: 100})
	types := map[string]int{}
	for _, e := range es {
		ev, _ := ledger.ParseEntryData(e.Data)
		types[ev.Type]++
		if strings.Contains(string(e.Data), tok[20:]) || strings.Contains(string(e.Data), newTok[20:]) {
			t.Fatal("a key secret reached the ledger")
		}
	}
	if types["key.created"] != 3 || types["key.rotated"] != 1 || types["key.revoked"] != 1 {
		t.Fatalf("key events: %v", types)
	}
	// A human key's owner is stored, survives an update and names the
	// person behind the key.
	_, hk, err := svc.CreateKey(ctx, ap, access.KeyRequest{Tenant: "acme", Name: "bob-laptop", Role: access.RoleApprover, ActorKind: ledger.ActorHuman, Owner: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Revoke(ctx, ap, hk.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Key(ctx, hk.ID); got.Owner != "bob" || got.Revoked.IsZero() {
		t.Fatalf("stored human key: %+v", got)
	}
	if who, err := svc.Person(ctx, ledger.Actor{Kind: ledger.ActorHuman, ID: "key:" + hk.ID}); err != nil || who != "user:bob" {
		t.Fatalf("person behind the key: %q %v", who, err)
	}
}
