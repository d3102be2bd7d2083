package access

import (
	"context"
	"testing"
)

// TestBootstrap checks that the first start creates one admin key, with
// gateway limits so that it passes the rate-limit control, and that later
// starts create none.
func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	svc := NewService(st, &memLog{})
	tok, err := svc.Bootstrap(ctx, "acme")
	if err != nil || tok == "" {
		t.Fatalf("first bootstrap: %q, %v", tok, err)
	}
	p, err := svc.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	k := st.keys[p.ID]
	if k.Role != RoleAdmin || k.Tenant != "acme" || k.Limits != BootstrapLimits || k.Limits.RPM == 0 {
		t.Fatalf("bootstrap key: %+v", k)
	}
	if tok, err := svc.Bootstrap(ctx, "acme"); err != nil || tok != "" {
		t.Fatalf("second bootstrap created a key: %q, %v", tok, err)
	}
}
