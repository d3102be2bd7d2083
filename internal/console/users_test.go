package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// TestDirectory checks the console users as access reviews see and revoke
// them: a revoked user is disabled, signed out and cannot sign in again,
// and the last admin is never disabled.
func TestDirectory(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, nil)
	e.user("alice", access.RoleAdmin)
	pw := e.user("bob", access.RoleEngineer)
	on := true
	if _, err := e.c.users.update(ctx, cliActor, "bob", UserChange{OIDC: &on}); err != nil {
		t.Fatal(err)
	}
	bob := e.browser()
	bob.login("bob", pw)

	d := NewDirectory(e.st, e.log)
	us, err := d.ReviewUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(us, func(u access.ReviewUser) bool { return u.Name == "bob" })
	if i < 0 || us[i].Role != access.RoleEngineer || us[i].Tenant != "default" || us[i].Disabled || us[i].LastSeen.IsZero() ||
		!slices.Equal(us[i].SignIn, []string{access.SignInPassword, access.SignInOIDC}) {
		t.Fatalf("review users = %+v", us)
	}

	reviewer := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:cmp"}
	if err := d.DisableUser(ctx, reviewer, "bob", "access review ar-1"); err != nil {
		t.Fatal(err)
	}
	ds, err := e.st.ListDocs(ctx, sessionKind, globalTenant, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range ds {
		var ss session
		if json.Unmarshal(doc.Data, &ss) == nil && ss.User == "bob" {
			t.Fatal("a revoked user's session is still stored")
		}
	}
	if resp, _ := bob.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a revoked user's session still works: status %d", resp.StatusCode)
	}
	bob.get("/login")
	if resp, _ := bob.post("/login", url.Values{"name": {"bob"}, "password": {pw}}); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a revoked user signed in again")
	}
	evs := e.events(EventUserUpdated)
	var body map[string]any
	if n := len(evs); n == 0 || json.Unmarshal(evs[n-1].Body, &body) != nil || body["disabled"] != true ||
		body["reason"] != "access review ar-1" || evs[n-1].Actor != reviewer {
		t.Fatalf("user change events %+v", evs)
	}

	if err := d.DisableUser(ctx, reviewer, "alice", "access review ar-1"); !errors.Is(err, access.ErrLastAdmin) {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if u, _ := e.c.users.get(ctx, "alice"); u.Disabled {
		t.Fatal("the last admin was disabled")
	}
	if err := d.DisableUser(ctx, reviewer, "nobody", ""); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("disabling an unknown user: %v", err)
	}
}
