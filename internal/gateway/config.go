// Package gateway is attest's OpenAI- and Anthropic-compatible AI gateway:
// it authenticates callers, applies limits and guards, routes each request
// along a chain of providers with retries, circuit breakers and fallback,
// and writes a write-ahead audit entry for every request to the ledger.
package gateway

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/gateway/abuse"
	"github.com/attest-ai/attest/internal/gateway/provider"
)

// Config is the gateway section of attest's configuration file.
type Config struct {
	Providers []ProviderConfig `yaml:"providers"`
	Routes    []RouteConfig    `yaml:"routes"`
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// CredentialRefresh is how often provider credentials are re-read.
	CredentialRefresh time.Duration `yaml:"credential_refresh"`
	Retry             RetryConfig   `yaml:"retry"`
	Breaker           BreakerConfig `yaml:"breaker"`
	Abuse             abuse.Config  `yaml:"abuse"`
	// Tracing turns on OpenTelemetry spans; prompt and answer content is
	// never recorded in them.
	Tracing bool `yaml:"tracing"`
}

// ProviderConfig describes one upstream.
type ProviderConfig struct {
	Name string `yaml:"name"`
	// Kind is openai, azure, anthropic, openai-compatible or demo.
	Kind    string `yaml:"kind"`
	BaseURL string `yaml:"base_url"`
	// Region is where the provider processes data; tenants restricted to
	// regions never reach a provider outside them.
	Region string `yaml:"region"`
	// MaxClass is the most sensitive data class the provider may receive
	// (public, internal, confidential or restricted); empty allows all.
	MaxClass string `yaml:"max_class"`
	// APIVersion is Azure's api-version or Anthropic's anthropic-version.
	APIVersion string           `yaml:"api_version"`
	Credential CredentialConfig `yaml:"credential"`
	// Models lists upstream model names a client may ask for directly,
	// without a route alias.
	Models []string `yaml:"models"`
}

// CredentialConfig says where a provider's API key is. Exactly one of
// Env, File and Vault is set; there is deliberately no field for the key
// itself.
type CredentialConfig struct {
	Env   string       `yaml:"env"`
	File  string       `yaml:"file"`
	Vault *VaultConfig `yaml:"vault"`
}

// IsZero reports whether no credential is configured, as for the built-in
// demo provider or a local server that needs no key.
func (c CredentialConfig) IsZero() bool { return c.Env == "" && c.File == "" && c.Vault == nil }

// VaultConfig names a HashiCorp Vault KV v2 secret.
type VaultConfig struct {
	Address   string `yaml:"address"`
	Mount     string `yaml:"mount"`
	Path      string `yaml:"path"`
	Field     string `yaml:"field"`
	Namespace string `yaml:"namespace"`
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
}

// RouteConfig maps a model alias to an ordered chain of provider models.
type RouteConfig struct {
	Alias string   `yaml:"alias"`
	Chain []Target `yaml:"chain"`
	// Timeout bounds the whole request, all attempts included; for streams
	// it bounds the time to the first event.
	Timeout time.Duration `yaml:"timeout"`
	// AttemptTimeout bounds one attempt's wait for an answer (for streams,
	// its first event), so a hung primary leaves time for the next one.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	// StreamTimeout bounds a whole stream once it has started.
	StreamTimeout time.Duration   `yaml:"stream_timeout"`
	Fallback      *FallbackConfig `yaml:"fallback"`
	// RegistryModel names a model in the model registry that this route
	// serves; each request is refused unless the registry allows the
	// version at RegistryAlias (default production).
	RegistryModel string `yaml:"registry_model"`
	RegistryAlias string `yaml:"registry_alias"`
}

// Target is one link of a chain.
type Target struct {
	Provider string `yaml:"provider"`
	Model    string `yaml:"model"`
}

// FallbackConfig is the rule-based answer given when every provider of a
// route failed. The first rule whose keywords all occur in the last user
// message wins; otherwise Default is answered.
type FallbackConfig struct {
	Rules   []FallbackRule `yaml:"rules"`
	Default string         `yaml:"default"`
}

// FallbackRule answers Answer when the prompt contains every keyword
// (case-insensitive).
type FallbackRule struct {
	Keywords []string `yaml:"keywords"`
	Answer   string   `yaml:"answer"`
}

// RetryConfig tunes retries of one provider before the chain moves on.
type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"`
	BaseDelay   time.Duration `yaml:"base_delay"`
	MaxDelay    time.Duration `yaml:"max_delay"`
}

// BreakerConfig tunes the per-provider circuit breakers.
type BreakerConfig struct {
	// Failures in a row open the breaker.
	Failures int `yaml:"failures"`
	// Cooldown is how long an open breaker refuses calls before a trial.
	Cooldown time.Duration `yaml:"cooldown"`
	// ProbeInterval is how often open breakers' providers are probed.
	ProbeInterval time.Duration `yaml:"probe_interval"`
}

// DemoProvider and DemoRoute are the names of the built-in demo provider
// and its route alias.
const (
	DemoProvider = "demo"
	DemoRoute    = "demo"
	// DemoRegion is the region of demo providers: in-process.
	DemoRegion = "local"
)

// DefaultConfig returns the configuration of a fresh install: the demo
// provider behind the "demo" alias, so the quick start works with no
// upstream.
func DefaultConfig() Config {
	c := Config{
		Providers: []ProviderConfig{{Name: DemoProvider, Kind: provider.KindDemo, Models: []string{provider.DemoModel}}},
		Routes: []RouteConfig{{
			Alias: DemoRoute,
			Chain: []Target{{Provider: DemoProvider, Model: provider.DemoModel}},
			Fallback: &FallbackConfig{
				Default: "The demo model is unavailable right now; this is attest's configured fallback answer.",
			},
		}},
		Abuse: abuse.DefaultConfig(),
	}
	return c.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.CredentialRefresh == 0 {
		c.CredentialRefresh = 5 * time.Minute
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 2
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = 100 * time.Millisecond
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = 2 * time.Second
	}
	if c.Breaker.Failures == 0 {
		c.Breaker.Failures = 5
	}
	if c.Breaker.Cooldown == 0 {
		c.Breaker.Cooldown = 10 * time.Second
	}
	if c.Breaker.ProbeInterval == 0 {
		c.Breaker.ProbeInterval = 5 * time.Second
	}
	for i := range c.Providers {
		// The demo model runs inside attest, so its data stays local.
		if p := &c.Providers[i]; p.Kind == provider.KindDemo && p.Region == "" {
			p.Region = DemoRegion
		}
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Timeout == 0 {
			r.Timeout = 60 * time.Second
		}
		if r.AttemptTimeout == 0 || r.AttemptTimeout > r.Timeout {
			r.AttemptTimeout = r.Timeout
		}
		if r.StreamTimeout == 0 {
			r.StreamTimeout = 10 * time.Minute
		}
		if r.RegistryModel != "" && r.RegistryAlias == "" {
			r.RegistryAlias = "production"
		}
	}
	return c
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)

// Validate checks the configuration and says what to fix.
func (c Config) Validate() error {
	var errs []error
	names := map[string]bool{}
	for i, p := range c.Providers {
		where := fmt.Sprintf("gateway.providers[%d]", i)
		if !namePattern.MatchString(p.Name) {
			errs = append(errs, fmt.Errorf("%s.name must be 1-128 letters, digits or ._:/- characters", where))
		}
		if names[p.Name] {
			errs = append(errs, fmt.Errorf("%s.name %q is used twice", where, p.Name))
		}
		names[p.Name] = true
		switch p.Kind {
		case provider.KindOpenAI, provider.KindAzure, provider.KindAnthropic, provider.KindCompatible, provider.KindDemo:
		default:
			errs = append(errs, fmt.Errorf("%s.kind %q must be openai, azure, anthropic, openai-compatible or demo", where, p.Kind))
		}
		n := 0
		if p.Credential.Env != "" {
			n++
		}
		if p.Credential.File != "" {
			n++
		}
		if p.Credential.Vault != nil {
			n++
			if p.Credential.Vault.Address == "" || p.Credential.Vault.Path == "" {
				errs = append(errs, fmt.Errorf("%s.credential.vault needs address and path", where))
			}
		}
		if n > 1 {
			errs = append(errs, fmt.Errorf("%s.credential: set only one of env, file and vault", where))
		}
		if p.MaxClass != "" && !slices.Contains(classOrder, p.MaxClass) {
			errs = append(errs, fmt.Errorf("%s.max_class %q must be public, internal, confidential or restricted", where, p.MaxClass))
		}
		needsKey := p.Kind == provider.KindOpenAI || p.Kind == provider.KindAzure || p.Kind == provider.KindAnthropic
		if n == 0 && needsKey {
			errs = append(errs, fmt.Errorf("%s.credential: a %s provider needs its API key from env, file or vault (keys are never written in the config)", where, p.Kind))
		}
	}
	aliases := map[string]bool{}
	for i, r := range c.Routes {
		where := fmt.Sprintf("gateway.routes[%d]", i)
		if !namePattern.MatchString(r.Alias) {
			errs = append(errs, fmt.Errorf("%s.alias must be 1-128 letters, digits or ._:/- characters", where))
		}
		if aliases[r.Alias] {
			errs = append(errs, fmt.Errorf("%s.alias %q is used twice", where, r.Alias))
		}
		aliases[r.Alias] = true
		if len(r.Chain) == 0 && r.Fallback == nil {
			errs = append(errs, fmt.Errorf("%s needs a chain of providers or a fallback answer", where))
		}
		for j, t := range r.Chain {
			if !names[t.Provider] {
				errs = append(errs, fmt.Errorf("%s.chain[%d].provider %q is not a configured provider", where, j, t.Provider))
			}
			if t.Model == "" {
				errs = append(errs, fmt.Errorf("%s.chain[%d].model is required", where, j))
			}
		}
		if r.RegistryModel != "" && !namePattern.MatchString(r.RegistryModel) {
			errs = append(errs, fmt.Errorf("%s.registry_model must be 1-128 letters, digits or ._:/- characters", where))
		}
		if r.RegistryAlias != "" && r.RegistryModel == "" {
			errs = append(errs, fmt.Errorf("%s.registry_alias needs registry_model", where))
		}
		if r.Timeout < 0 || r.AttemptTimeout < 0 || r.StreamTimeout < 0 {
			errs = append(errs, fmt.Errorf("%s: timeouts must not be negative", where))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("gateway.max_body_bytes must not be negative"))
	}
	return errors.Join(errs...)
}
