package app

import (
	"context"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/guardbridge"
)

// openGuard builds the gateway's guard: each tenant's guard policy from
// the record store (every guard on and failing closed for tenants that
// set none), with policy changes recorded in the ledger before they apply.
// It mounts GET and PUT /api/v1/guard/policy for the tenants' API keys.
// A guard set on the App beforehand (tests) is used as it is.
func (a *App) openGuard(ctx context.Context) (gateway.Guard, error) {
	if a.guard != nil {
		return a.guard, nil
	}
	key, err := a.Vault.Secret(ctx, "guard-pii-hash")
	if err != nil {
		return nil, err
	}
	pol, err := guardbridge.NewPolicies(a.Store, a.Log, key)
	if err != nil {
		return nil, err
	}
	g, err := guardbridge.New(pol)
	if err != nil {
		return nil, err
	}
	api := &guardbridge.API{Policies: pol, Auth: gatewayAuth{a.Access}, Logger: a.Logger, MaxBodyBytes: a.Config.MaxBodyBytes}
	api.Routes(a.Web.Mux())
	a.guard = g
	return g, nil
}
