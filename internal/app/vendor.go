package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vendor"
	"github.com/attest-ai/attest/internal/web"
)

// openVendors builds vendor review over the record store and mounts its API
// behind authentication: reading needs PermRead, changing PermCompliance.
func (a *App) openVendors() {
	a.Vendors = &vendor.Service{Store: vendor.NewRecordStore(a.Store), Ledger: a.Log, Reader: vendor.Reader{}, Policy: vendor.DefaultPolicy()}
	h := &vendor.Handler{
		Service: a.Vendors,
		Actor: func(r *http.Request) ledger.Actor {
			p, _ := web.PrincipalFrom(r.Context())
			return p.Actor()
		},
		Tenant: func(r *http.Request) string { return r.Context().Value(vendorTenant{}).(string) },
	}
	inner := http.NewServeMux()
	h.Routes(inner)
	guarded := func(w http.ResponseWriter, r *http.Request) {
		need := access.PermRead
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			need = access.PermCompliance
		}
		a.Web.Auth(need, func(w http.ResponseWriter, r *http.Request) {
			// ?tenant= as everywhere else: admin and auditor keys may
			// name another tenant, other keys that do are refused.
			tenant, ok := web.QueryTenant(w, r)
			if !ok {
				return
			}
			inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), vendorTenant{}, tenant)))
		})(w, r)
	}
	a.Web.Mux().HandleFunc("/api/v1/vendors", guarded)
	a.Web.Mux().HandleFunc("/api/v1/vendors/", guarded)
}

// vendorTenant is the context key of the tenant a vendor request acts on.
type vendorTenant struct{}

// seedVendors registers the model providers as vendors and reviews the
// synthetic demo packet for one of them.
func (a *App) seedVendors(ctx context.Context, s *demo.Seed) (string, error) {
	actor := s.Admin.Actor()
	v, err := a.Vendors.RegisterVendor(ctx, demo.Tenant, actor, vendor.Vendor{Name: "Example Model Cloud", Providers: []string{"demo"}})
	if err != nil {
		return "", err
	}
	if _, err := a.Vendors.RegisterVendor(ctx, demo.Tenant, actor, vendor.Vendor{Name: "Unreviewed LLM Inc", Providers: []string{"openai-primary"}}); err != nil {
		return "", err
	}
	r, err := a.Vendors.Review(ctx, demo.Tenant, actor, v.ID, vendor.DemoPacket(time.Now()), time.Now())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("reviewed a synthetic SOC 2 packet for %s: %s, %d red flags; one provider left unreviewed", v.Name, r.Verdict, len(r.RedFlags)), nil
}

// runVendorAlerts raises renewal alerts (due soon, expired) for every
// tenant with vendors, once at start and then daily.
func (a *App) runVendorAlerts(ctx context.Context) {
	actor := ledger.Actor{Kind: ledger.ActorService, ID: "vendor-renewals"}
	run := func() {
		vs, err := a.Vendors.Store.Vendors(ctx, "")
		if err != nil {
			a.Logger.Error("list vendors for renewal alerts", "err", err)
			return
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if seen[v.Tenant] {
				continue
			}
			seen[v.Tenant] = true
			if _, err := a.Vendors.Alerts(ctx, v.Tenant, actor, time.Now()); err != nil && ctx.Err() == nil {
				a.Logger.Error("vendor renewal alerts", "tenant", v.Tenant, "err", err)
			}
		}
	}
	run()
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		}
	}
}
