package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/limits"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/store/postgres"
	"github.com/attest-ai/attest/internal/tenant"
	"github.com/attest-ai/attest/internal/vault"
	"gopkg.in/yaml.v3"
)

// gatewayConfig decodes the gateway section over the defaults (which
// include the demo provider), rejecting unknown keys.
func gatewayConfig(n yaml.Node) (gateway.Config, error) {
	cfg := gateway.DefaultConfig()
	if n.Kind == 0 {
		return cfg, nil
	}
	b, err := yaml.Marshal(&n)
	if err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("gateway section: %w", err)
	}
	return cfg, nil
}

// gatewayAuth adapts API keys to the gateway's callers.
type gatewayAuth struct{ s *access.Service }

func (g gatewayAuth) Authenticate(ctx context.Context, token string) (gateway.Caller, error) {
	p, err := g.s.Authenticate(ctx, token)
	switch {
	case errors.Is(err, access.ErrExpired):
		return gateway.Caller{}, fmt.Errorf("%w", gateway.ErrExpiredKey)
	case errors.Is(err, access.ErrRevoked):
		return gateway.Caller{}, fmt.Errorf("%w", gateway.ErrRevokedKey)
	case errors.Is(err, access.ErrUnknownKey), errors.Is(err, access.ErrUnauthenticated):
		return gateway.Caller{}, fmt.Errorf("%w", gateway.ErrUnknownKey)
	case err != nil:
		return gateway.Caller{}, err
	}
	return gateway.Caller{KeyID: p.ID, Tenant: p.Tenant, Role: string(p.Role), AllowedModels: p.Models, ActorKind: p.ActorKind,
		Limits: limits.Limits{RPM: p.Limits.RPM, TPM: p.Limits.TPM, DailyTokens: p.Limits.DailyTokens}}, nil
}

// gatewayPolicy adapts tenant settings.
type gatewayPolicy struct{ t *tenant.Service }

func (g gatewayPolicy) Policy(ctx context.Context, name string) (gateway.Policy, error) {
	s, err := g.t.Get(ctx, name)
	if err != nil {
		return gateway.Policy{}, err
	}
	return gateway.Policy{Retention: s.Retention, RetentionDays: s.RetentionDays, FailOpen: s.FailOpen,
		Limits: limits.Limits{RPM: s.RPM, TPM: s.TPM, DailyTokens: s.DailyTokens}}, nil
}

// gatewaySealer keeps retained bodies in the vault under the subject's key.
type gatewaySealer struct{ v *vault.Vault }

func (g gatewaySealer) Seal(ctx context.Context, tenant, subject, kind string, plaintext []byte, ttl time.Duration) (string, string, error) {
	s, err := g.v.Seal(ctx, tenant, subject, plaintext, vault.SealOptions{Kind: kind, Class: "confidential", TTL: ttl})
	return s.Ref, s.MAC, err
}

// gatewayPrivacy enforces consent, classification and regions from the
// privacy service. It reads on every request, so an opt-out or a region
// restriction applies to the very next one.
type gatewayPrivacy struct{ s *privacy.Service }

func (g gatewayPrivacy) Consent(ctx context.Context, tenant, subject string) (gateway.Consent, error) {
	ai, err := g.s.Allowed(ctx, tenant, subject, privacy.PurposeAI)
	if err != nil || !ai {
		return gateway.Consent{}, err
	}
	review, err := g.s.Allowed(ctx, tenant, subject, privacy.PurposeHumanReview)
	return gateway.Consent{AIProcessing: true, HumanReview: review}, err
}

// Route takes an untagged request to be of the tenant's class (an
// unlabelled tenant is confidential) and never less sensitive than the
// class of the tenant's region policy.
func (g gatewayPrivacy) Route(ctx context.Context, tenant, class string, dests []gateway.Destination) (string, []gateway.RouteDecision, error) {
	c := privacy.Class(class)
	if c == "" {
		var err error
		if c, err = g.s.ClassOf(ctx, tenant, "tenant", tenant); err != nil {
			return "", nil, err
		}
	}
	tr, err := g.s.Regions(ctx, tenant)
	if err != nil {
		return "", nil, err
	}
	if tr.Class != "" && tr.Class.Exceeds(c) {
		c = tr.Class
	}
	out := make([]gateway.RouteDecision, len(dests))
	for i, d := range dests {
		dec, err := g.s.Check(ctx, tenant, c, privacy.Destination{Name: d.Name, Region: d.Region, MaxClass: privacy.Class(d.MaxClass)})
		if err != nil {
			return "", nil, err
		}
		out[i] = gateway.RouteDecision{Allowed: dec.Allowed, Reason: dec.Reason}
	}
	return string(c), out, nil
}

// gatewayModels asks the model registry whether a route's model may be
// served.
type gatewayModels struct{ r *registry.Service }

func (g gatewayModels) CanServe(ctx context.Context, tenant, model, alias string) (gateway.ModelVersion, error) {
	v, err := g.r.CanServe(ctx, tenant, model, alias)
	if errors.Is(err, registry.ErrNotServable) {
		why := strings.TrimPrefix(err.Error(), registry.ErrNotServable.Error()+": ")
		return gateway.ModelVersion{}, fmt.Errorf("%w: %s", gateway.ErrNotServable, why)
	}
	if err != nil {
		return gateway.ModelVersion{}, err
	}
	return gateway.ModelVersion{ID: v.ID(), Digest: v.Digest}, nil
}

// openGateway builds the gateway from the configuration and mounts it.
func (a *App) openGateway(ctx context.Context) error {
	cfg, err := gatewayConfig(a.Config.Gateway)
	if err != nil {
		return err
	}
	a.gatewayCfg = cfg
	key, err := a.Vault.Secret(ctx, "gateway-hmac")
	if err != nil {
		return err
	}
	guard, err := a.openGuard(ctx)
	if err != nil {
		return err
	}
	d := gateway.Deps{
		Auth: gatewayAuth{a.Access}, Policies: gatewayPolicy{a.Tenants}, Ledger: a.Log,
		Sealer: gatewaySealer{a.Vault}, Pseudonymize: a.Vault.Pseudonym, HashKey: key,
		Registry: a.Registry, Logger: a.Logger, Guard: guard,
		Privacy: gatewayPrivacy{a.Privacy}, Models: gatewayModels{a.Models},
	}
	if cfg.Tracing {
		if a.tracer, err = newTracerProvider(ctx); err != nil {
			return err
		}
		d.Tracer = a.tracer
	}
	if pg, ok := a.Store.(*postgres.Store); ok {
		// Limits shared by every replica.
		lim := postgres.NewLimits(pg.Pool())
		if err := lim.Migrate(ctx); err != nil {
			return fmt.Errorf("create limit counters: %w", err)
		}
		d.Limits = lim
		a.limitCounters = lim
		a.sweepLimits = lim.Sweep
	}
	gw, err := gateway.New(ctx, cfg, d)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	a.Gateway = gw
	gw.Routes(a.Web.Mux())
	return nil
}
