package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// ModelVersion is a registered model version the registry allows a route
// to serve.
type ModelVersion struct {
	// ID is NAME@VERSION.
	ID     string
	Digest string
}

// ErrNotServable is wrapped by a ModelRegistry's refusal; its message says
// why (unsigned, not verified at load, not approved) and what to do.
var ErrNotServable = errors.New("model version may not be served")

// ModelRegistry says whether a tenant may be served a registered model at
// an alias such as production. It is asked on every request to a route
// that names a registry model, so a revoked approval applies at once.
type ModelRegistry interface {
	CanServe(ctx context.Context, tenant, model, alias string) (ModelVersion, error)
}

// checkServable asks the registry about a route backed by a registered
// model and notes the version that will be served.
func (g *Gateway) checkServable(ctx context.Context, w http.ResponseWriter, x *exchange, rt *route) bool {
	m := rt.cfg.RegistryModel
	if m == "" {
		return true
	}
	v, err := g.deps.Models.CanServe(ctx, x.caller.Tenant, m, rt.cfg.RegistryAlias)
	switch {
	case errors.Is(err, ErrNotServable):
		g.refuse(w, x, "model_not_servable", &chat.Error{Status: http.StatusForbidden, Kind: chat.KindPermission, Code: "model_not_servable",
			Message: "the model registry does not allow serving " + x.route + ": " + strings.TrimPrefix(err.Error(), ErrNotServable.Error()+": ")})
		return false
	case err != nil:
		g.log.Error("ask the model registry", "request_id", x.id, "route", x.route, "err", err)
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "registry_unavailable",
			Message: "the model registry cannot confirm that " + x.route + " may be served; retry shortly"})
		return false
	}
	x.registryVersion, x.registryDigest = v.ID, v.Digest
	return true
}
