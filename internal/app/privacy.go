package app

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/web"
)

// Destinations are the gateway's providers as the privacy rules see them.
func (a *App) Destinations() []privacy.Destination {
	var out []privacy.Destination
	for _, p := range a.gatewayCfg.Providers {
		region := p.Region
		if region == "" {
			region = "unspecified"
		}
		out = append(out, privacy.Destination{Name: p.Name, Region: region, MaxClass: privacy.Class(p.MaxClass)})
	}
	return out
}

// DataFlows describes, per tenant, which providers and regions its data
// can reach under the current region policies.
func (a *App) DataFlows(ctx context.Context, tenants []string) ([]privacy.Flow, error) {
	return a.Privacy.DataFlows(ctx, tenants, a.Destinations())
}

// mountDataFlows serves the data-flow description: a tenant-scoped key sees
// its own tenant, an admin or auditor every tenant with settings or keys.
func (a *App) mountDataFlows() {
	a.Web.Mux().HandleFunc("GET /api/v1/privacy/data-flows", a.Web.Auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		p, _ := web.PrincipalFrom(r.Context())
		tenants := []string{p.Tenant}
		if p.Role.CrossTenant() {
			seen := map[string]bool{p.Tenant: true}
			keys, err := a.Store.Keys(r.Context(), "")
			if err != nil {
				web.WriteProblem(w, r, http.StatusInternalServerError, "internal", "could not list tenants")
				return
			}
			for _, k := range keys {
				if !seen[k.Tenant] {
					seen[k.Tenant] = true
					tenants = append(tenants, k.Tenant)
				}
			}
		}
		flows, err := a.DataFlows(r.Context(), tenants)
		if err != nil {
			web.WriteProblem(w, r, http.StatusInternalServerError, "internal", "could not compute data flows")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, map[string]any{"flows": flows, "providers": a.Destinations()})
	}))
}

func writeJSON(w http.ResponseWriter, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
