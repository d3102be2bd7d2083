package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestRetentionPolicyTenants checks that a tenant-scoped key sets retention
// policies of its own tenant only: it can neither name another tenant nor
// replace another tenant's policy, or the global one, by its id.
func TestRetentionPolicyTenants(t *testing.T) {
	e := newEnv(t)
	acme := e.key("acme", "compliance")
	beta := e.key("beta", "compliance")

	e.expect(200, "PUT", "/api/v1/privacy/retention/policies", e.admin, map[string]any{"max_age": "8760h"})
	e.expect(200, "PUT", "/api/v1/privacy/retention/policies", beta, map[string]any{"max_age": "720h"})
	before := e.a.Log.Size()
	for _, body := range []map[string]any{
		{"tenant": "beta", "max_age": "1h"},
		{"id": "beta-all", "max_age": "87600h"},
		{"id": "all-all", "max_age": "87600h"},
		{"id": "mine", "max_age": "720h"},
	} {
		e.expect(403, "PUT", "/api/v1/privacy/retention/policies", acme, body)
	}
	if e.a.Log.Size() != before {
		t.Fatal("a refused policy change left evidence")
	}

	var pol struct{ ID, Tenant string }
	json.Unmarshal(e.expect(200, "PUT", "/api/v1/privacy/retention/policies", acme, map[string]any{"tenant": "acme", "max_age": "720h"}), &pol)
	if pol.ID != "acme-all" || pol.Tenant != "acme" {
		t.Fatalf("own policy: %+v", pol)
	}
	e.expect(200, "PUT", "/api/v1/privacy/retention/policies", acme, map[string]any{"id": "acme-chats", "max_age": "48h"})

	var ps struct {
		Policies []struct {
			ID, Tenant string
			MaxAge     int64 `json:"max_age"`
		}
	}
	// The admin sees every policy; acme's key its own and the global one,
	// not beta's.
	for _, c := range []struct {
		token string
		want  map[string]string
	}{
		{e.admin, map[string]string{"all-all": "", "beta-all": "beta", "acme-all": "acme", "acme-chats": "acme"}},
		{acme, map[string]string{"all-all": "", "acme-all": "acme", "acme-chats": "acme"}},
	} {
		ps.Policies = nil
		json.Unmarshal(e.expect(200, "GET", "/api/v1/privacy/retention/policies", c.token, nil), &ps)
		if len(ps.Policies) != len(c.want) {
			t.Fatalf("policies: %+v, want %v", ps.Policies, c.want)
		}
		for _, p := range ps.Policies {
			if tn, ok := c.want[p.ID]; !ok || tn != p.Tenant {
				t.Fatalf("policy %s of tenant %q after the refusals: %+v", p.ID, p.Tenant, ps.Policies)
			}
		}
	}
	// Runs show acme's key the results of its own and the global policies.
	e.expect(201, "POST", "/api/v1/privacy/retention/runs", e.admin, nil)
	var rs struct {
		Runs []struct {
			Results []struct{ Policy, Tenant string }
		}
	}
	json.Unmarshal(e.expect(200, "GET", "/api/v1/privacy/retention/runs", e.admin, nil), &rs)
	if !strings.Contains(fmt.Sprint(rs.Runs), "beta") {
		t.Fatalf("the admin does not see beta's retention results: %+v", rs.Runs)
	}
	rs.Runs = nil
	json.Unmarshal(e.expect(200, "GET", "/api/v1/privacy/retention/runs", acme, nil), &rs)
	if len(rs.Runs) == 0 {
		t.Fatal("no retention run listed")
	}
	for _, res := range rs.Runs[0].Results {
		if res.Tenant == "beta" {
			t.Fatalf("acme's key sees beta's retention results: %+v", rs.Runs[0].Results)
		}
	}
	// An admin may still set another tenant's policy.
	e.expect(200, "PUT", "/api/v1/privacy/retention/policies", e.admin, map[string]any{"tenant": "beta", "class": "restricted", "max_age": "24h"})
}

// TestPrivacyTenant checks that the privacy endpoints act on the tenant
// named with ?tenant= for an admin or auditor key, and refuse any other key
// that names another tenant instead of quietly acting on its own: an
// erasure "done" in the wrong tenant leaves the subject's data in place.
func TestPrivacyTenant(t *testing.T) {
	e := newEnv(t)
	acme := e.key("acme", "compliance")
	auditor := e.key("acme", "auditor")

	var dsr struct{ Tenant, Status string }
	json.Unmarshal(e.expect(200, "POST", "/api/v1/privacy/subjects/alice@example.com/erase?tenant=beta", e.admin, nil), &dsr)
	if dsr.Tenant != "beta" || dsr.Status != "completed" {
		t.Fatalf("admin erasure in tenant beta: %+v", dsr)
	}
	e.expect(201, "POST", "/api/v1/privacy/consent?tenant=beta", e.admin, map[string]any{"subject": "bob", "purpose": "training", "granted": false})

	before := e.a.Log.Size()
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/privacy/subjects/alice@example.com/erase?tenant=beta"},
		{"POST", "/api/v1/privacy/subjects/alice@example.com/export?tenant=beta"},
		{"POST", "/api/v1/privacy/requests?tenant=beta"},
		{"POST", "/api/v1/privacy/consent?tenant=beta"},
		{"PUT", "/api/v1/privacy/classifications/dataset/tickets?tenant=beta"},
		{"GET", "/api/v1/privacy/requests?tenant=beta"},
		{"GET", "/api/v1/privacy/consent?tenant=beta"},
		{"GET", "/api/v1/privacy/classifications?tenant=beta"},
	} {
		e.expect(403, c.method, c.path, acme, map[string]any{})
	}
	if e.a.Log.Size() != before {
		t.Fatal("a refused privacy request left evidence")
	}

	var cs struct{ Consents []struct{ Purpose string } }
	json.Unmarshal(e.expect(200, "GET", "/api/v1/privacy/consent?tenant=beta", auditor, nil), &cs)
	if len(cs.Consents) != 1 || cs.Consents[0].Purpose != "training" {
		t.Fatalf("auditor reading beta's consents: %+v", cs.Consents)
	}
	json.Unmarshal(e.expect(200, "GET", "/api/v1/privacy/consent", acme, nil), &cs)
	if len(cs.Consents) != 0 {
		t.Fatalf("acme sees another tenant's consents: %+v", cs.Consents)
	}
}
