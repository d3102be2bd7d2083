package app_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vendor"
)

// TestVendorAPITenant checks ?tenant= on the vendor API as on the rest:
// an admin key reads another tenant's vendors, and a tenant's compliance
// key that names another tenant is refused instead of quietly answered
// with its own tenant's.
func TestVendorAPITenant(t *testing.T) {
	ctx := context.Background()
	a := openApp(t)
	actor := ledger.Actor{Kind: ledger.ActorHuman, ID: "t"}
	if _, err := a.Vendors.RegisterVendor(ctx, "acme", actor, vendor.Vendor{Name: "Acme Model Cloud"}); err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{ID: "t", Kind: "cli", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	compliance, _, err := a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "beta", Name: "c", Role: access.RoleCompliance})
	if err != nil {
		t.Fatal(err)
	}
	get := func(token, path string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		a.Web.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	code, body := get(a.AdminToken, "/api/v1/vendors?tenant=acme")
	var list []struct{ Name string }
	if json.Unmarshal([]byte(body), &list); code != 200 || len(list) != 1 || list[0].Name != "Acme Model Cloud" {
		t.Errorf("admin, ?tenant=acme: %d %s", code, body)
	}
	if code, body := get(compliance, "/api/v1/vendors?tenant=acme"); code != 403 || !strings.Contains(body, "other-tenant") {
		t.Errorf("beta's compliance key, ?tenant=acme: %d %s", code, body)
	}
	if code, body := get(compliance, "/api/v1/vendors"); code != 200 || strings.Contains(body, "Acme") {
		t.Errorf("beta's compliance key, own tenant: %d %s", code, body)
	}
}
