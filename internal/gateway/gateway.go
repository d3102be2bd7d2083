package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/attest-ai/attest/internal/gateway/abuse"
	"github.com/attest-ai/attest/internal/gateway/credential"
	"github.com/attest-ai/attest/internal/gateway/provider"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
)

// Deps are what the gateway needs from the rest of attest.
type Deps struct {
	Auth     Authenticator
	Policies TenantPolicy
	// Ledger receives inference.request, inference.response, gateway.alert
	// and gateway.credential_rotated entries.
	Ledger ledger.Appender
	// Sealer is needed only by tenants in redacted or full retention.
	Sealer PayloadSealer
	// Guard defaults to NopGuard, which scans nothing and says so in
	// every audit entry.
	Guard Guard
	// Privacy decides consent and data flows; without it everyone
	// consents and only the providers' max_class limits routing.
	Privacy Privacy
	// Models is the model registry, needed by routes that name a
	// registry_model.
	Models ModelRegistry
	// Pseudonymize turns an end-user identifier into the pseudonymous
	// subject reference of the audit entries.
	Pseudonymize func(tenant, subject string) ledger.Ref
	// HashKey keys the HMACs of prompts and answers in the audit entries.
	HashKey []byte
	// Limits defaults to a memory backend.
	Limits limits.Backend
	// Registry defaults to a new registry; see Gateway.Registry.
	Registry *prometheus.Registry
	// Tracer defaults to no tracing; it is used only when Config.Tracing
	// is on.
	Tracer trace.TracerProvider
	Logger *slog.Logger
	// Client is the HTTP client for upstream calls and Vault.
	Client *http.Client
	Now    func() time.Time
}

// Gateway serves the OpenAI- and Anthropic-compatible APIs.
type Gateway struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	now       func() time.Time
	guard     Guard
	privacy   Privacy
	limiter   *limits.Limiter
	detector  *abuse.Detector
	metrics   *metrics
	registry  *prometheus.Registry
	tracer    trace.Tracer
	routes    map[string]*route
	models    []string
	providers map[string]*link
	holders   map[string]*credential.Holder

	tenantKeys sync.Map // tenant -> []byte, HMAC key per tenant
	stop       chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once
}

// New builds a gateway from cfg. It loads every provider credential once,
// so a missing secret fails at start-up with a clear message.
func New(ctx context.Context, cfg Config, d Deps) (*Gateway, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway configuration: %w", err)
	}
	if d.Auth == nil || d.Policies == nil || d.Ledger == nil || d.Pseudonymize == nil {
		return nil, errors.New("gateway needs an authenticator, tenant policies, a ledger appender and a pseudonymizer")
	}
	if len(d.HashKey) < 16 {
		return nil, errors.New("gateway needs a hash key of at least 16 bytes to key the audit hashes")
	}
	if d.Guard == nil {
		d.Guard = NopGuard{}
	}
	if d.Privacy == nil {
		d.Privacy = localPrivacy{}
	}
	for _, r := range cfg.Routes {
		if r.RegistryModel != "" && d.Models == nil {
			return nil, fmt.Errorf("gateway route %s serves registry model %s, but no model registry is wired", r.Alias, r.RegistryModel)
		}
	}
	if d.Limits == nil {
		d.Limits = limits.NewMemory(d.Now)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Client == nil {
		d.Client = &http.Client{Transport: provider.NewTransport()}
	}
	tp := d.Tracer
	if tp == nil || !cfg.Tracing {
		tp = noop.NewTracerProvider()
	}
	g := &Gateway{
		cfg:       cfg,
		deps:      d,
		log:       d.Logger.With("component", "gateway"),
		now:       d.Now,
		guard:     d.Guard,
		privacy:   d.Privacy,
		limiter:   limits.New(d.Limits, d.Now),
		detector:  abuse.New(cfg.Abuse),
		registry:  d.Registry,
		tracer:    tp.Tracer("github.com/attest-ai/attest/internal/gateway"),
		routes:    map[string]*route{},
		providers: map[string]*link{},
		holders:   map[string]*credential.Holder{},
		stop:      make(chan struct{}),
	}
	g.metrics = newMetrics(d.Registry)
	for _, pc := range cfg.Providers {
		p, err := g.buildProvider(ctx, pc)
		if err != nil {
			return nil, err
		}
		g.providers[pc.Name] = &link{p: p, breaker: newBreaker(cfg.Breaker, d.Now), dest: Destination{Name: pc.Name, Region: pc.Region, MaxClass: pc.MaxClass}}
		g.metrics.breaker.WithLabelValues(pc.Name).Set(0)
	}
	for _, rc := range cfg.Routes {
		rt := &route{cfg: rc}
		for _, t := range rc.Chain {
			l := *g.providers[t.Provider]
			l.model = t.Model
			rt.chain = append(rt.chain, l)
			rt.dests = append(rt.dests, l.dest)
		}
		g.routes[rc.Alias] = rt
		g.models = append(g.models, rc.Alias)
	}
	// A provider's listed models are reachable by name, as a one-link route
	// that inherits no fallback.
	for _, pc := range cfg.Providers {
		for _, m := range pc.Models {
			if _, taken := g.routes[m]; taken {
				continue
			}
			l := *g.providers[pc.Name]
			l.model = m
			rc := RouteConfig{Alias: m}
			g.routes[m] = &route{cfg: Config{Routes: []RouteConfig{rc}}.withDefaults().Routes[0], chain: []link{l}, dests: []Destination{l.dest}}
			g.models = append(g.models, m)
		}
	}
	return g, nil
}

func (g *Gateway) buildProvider(ctx context.Context, pc ProviderConfig) (provider.Provider, error) {
	var key func() string
	var authFailed func()
	if src := g.credentialSource(pc); src != nil {
		h := credential.NewHolder(pc.Name, src, g.rotated)
		if _, err := h.Refresh(ctx, "start"); err != nil {
			return nil, fmt.Errorf("provider %s credential: %w", pc.Name, err)
		}
		g.holders[pc.Name] = h
		key = h.Get
		authFailed = func() { g.refreshSoon(pc.Name) }
	}
	switch pc.Kind {
	case provider.KindDemo:
		return provider.NewDemo(pc.Name), nil
	case provider.KindAnthropic:
		return provider.NewAnthropic(provider.AnthropicOptions{Name: pc.Name, BaseURL: pc.BaseURL, APIVersion: pc.APIVersion, Key: key, AuthFailed: authFailed, Client: g.deps.Client}), nil
	default:
		return provider.NewOpenAI(provider.OpenAIOptions{Name: pc.Name, Kind: pc.Kind, BaseURL: pc.BaseURL, APIVersion: pc.APIVersion, Key: key, AuthFailed: authFailed, Client: g.deps.Client})
	}
}

func (g *Gateway) credentialSource(pc ProviderConfig) credential.Source {
	c := pc.Credential
	switch {
	case c.Env != "":
		return credential.Env{Name: c.Env}
	case c.File != "":
		return credential.File{Path: c.File}
	case c.Vault != nil:
		v := c.Vault
		return &credential.Vault{Address: v.Address, Mount: v.Mount, Path: v.Path, Field: v.Field, Namespace: v.Namespace,
			TokenEnv: v.TokenEnv, TokenFile: v.TokenFile, Client: g.deps.Client}
	}
	return nil
}

// rotated records a credential change. The event names the provider, the
// source kind and the new generation, never the secret.
func (g *Gateway) rotated(ctx context.Context, r credential.Rotation) {
	g.metrics.rotations.WithLabelValues(r.Provider).Inc()
	g.log.Info("provider credential rotated", "provider", r.Provider, "source", r.Source, "generation", r.Generation, "reason", r.Reason)
	body := map[string]any{"provider": r.Provider, "source": r.Source, "generation": r.Generation, "reason": r.Reason}
	if r.Version != "" {
		body["source_version"] = r.Version
	}
	e := ledger.MustEvent("gateway.credential_rotated", systemTenant, gatewayActor, body, ledger.Ref{Kind: "provider", ID: r.Provider})
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := g.deps.Ledger.Append(actx, e); err != nil {
		g.metrics.auditFails.WithLabelValues(e.Type, "false").Inc()
		g.log.Error("record credential rotation", "provider", r.Provider, "err", err)
	}
}

// systemTenant owns events that belong to no customer tenant.
const systemTenant = "system"

var gatewayActor = ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}

// RotateCredentials re-reads every provider credential now, for an
// operator who has just rotated a key. It reports how many changed.
func (g *Gateway) RotateCredentials(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for name, h := range g.holders {
		changed, err := h.Refresh(ctx, "on_demand")
		if err != nil {
			errs = append(errs, fmt.Errorf("provider %s: %w", name, err))
		}
		if changed {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// refreshSoon re-reads one credential after the upstream refused it.
func (g *Gateway) refreshSoon(name string) {
	h := g.holders[name]
	if h == nil {
		return
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := h.Refresh(ctx, "auth_failure"); err != nil {
			g.log.Warn("re-read provider credential after upstream refused it", "provider", name, "err", err)
		}
	}()
}

// Start runs the background work: credential refresh and health probes of
// providers whose breaker is open. Close stops it.
func (g *Gateway) Start() {
	g.wg.Add(2)
	go g.loop(g.cfg.CredentialRefresh, func(ctx context.Context) {
		if _, err := g.RotateCredentials(ctx); err != nil {
			g.log.Warn("refresh provider credentials", "err", err)
		}
	})
	go g.loop(g.cfg.Breaker.ProbeInterval, g.probe)
}

func (g *Gateway) loop(every time.Duration, f func(context.Context)) {
	defer g.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			f(ctx)
			cancel()
		}
	}
}

// probe checks the providers whose breaker is open and closes the breaker
// of those that answer.
func (g *Gateway) probe(ctx context.Context) {
	for name, l := range g.providers {
		st := l.breaker.State()
		g.metrics.breaker.WithLabelValues(name).Set(float64(st))
		if st == breakerClosed {
			continue
		}
		if err := l.p.Probe(ctx); err != nil {
			continue
		}
		l.breaker.Success()
		g.metrics.breaker.WithLabelValues(name).Set(breakerClosed)
		g.log.Info("circuit breaker closed after health probe", "provider", name)
	}
}

// Close stops the background work.
func (g *Gateway) Close() {
	g.closeOnce.Do(func() { close(g.stop) })
	g.wg.Wait()
}

// Registry returns the Prometheus registry holding the gateway's metrics,
// for the server's /metrics endpoint.
func (g *Gateway) Registry() *prometheus.Registry { return g.registry }

// tenantKey derives a per-tenant HMAC key, so equal prompts of two tenants
// hash differently.
func (g *Gateway) tenantKey(tenant string) []byte {
	if k, ok := g.tenantKeys.Load(tenant); ok {
		return k.([]byte)
	}
	m := hmac.New(sha256.New, g.deps.HashKey)
	m.Write([]byte("attest gateway tenant hash key\x00"))
	m.Write([]byte(tenant))
	k := m.Sum(nil)
	g.tenantKeys.Store(tenant, k)
	return k
}

// FailOpenEvent is the gateway.fail_open_set event that must be appended
// whenever a tenant's fail-open choice changes.
func FailOpenEvent(tenant string, actor ledger.Actor, enabled bool) (ledger.Event, error) {
	return ledger.NewEvent("gateway.fail_open_set", tenant, actor, map[string]any{"enabled": enabled}, ledger.Ref{Kind: "tenant", ID: tenant})
}
