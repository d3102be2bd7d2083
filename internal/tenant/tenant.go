// Package tenant holds per-tenant settings that govern the gateway: the
// retention mode for prompts and answers, whether the tenant opted into
// fail-open when the ledger is down, and tenant-wide limits. Every change
// is a ledger event, because an auditor will ask who turned what on.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// Retention modes.
const (
	RetainZero     = "zero"
	RetainRedacted = "redacted"
	RetainFull     = "full"
)

// Settings are one tenant's gateway policy.
type Settings struct {
	Tenant string `json:"tenant"`
	// Retention is zero (default: metadata and keyed hashes only),
	// redacted (redacted bodies kept encrypted for RetentionDays) or full
	// (bodies encrypted under per-subject keys until erased).
	Retention     string `json:"retention"`
	RetentionDays int    `json:"retention_days,omitempty"`
	// FailOpen lets requests through when the ledger cannot take entries.
	FailOpen bool `json:"fail_open"`
	// Tenant-wide limits; zero is unlimited.
	RPM         int64     `json:"rpm,omitempty"`
	TPM         int64     `json:"tpm,omitempty"`
	DailyTokens int64     `json:"daily_tokens,omitempty"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	Updated     time.Time `json:"updated,omitzero"`
}

// Validate checks a settings change.
func (s *Settings) Validate() error {
	switch s.Retention {
	case "":
		s.Retention = RetainZero
	case RetainZero, RetainFull:
	case RetainRedacted:
		if s.RetentionDays <= 0 {
			return errors.New("redacted retention needs retention_days, such as 30")
		}
	default:
		return fmt.Errorf("retention %q: use zero, redacted or full", s.Retention)
	}
	if s.RetentionDays < 0 || s.RPM < 0 || s.TPM < 0 || s.DailyTokens < 0 {
		return errors.New("retention_days and limits must not be negative")
	}
	return nil
}

// Service reads and changes tenant settings. Reads are cached briefly
// because the gateway asks on every request.
type Service struct {
	t   records.Table[Settings]
	log ledger.Appender
	now func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	s   Settings
	exp time.Time
}

// cacheTTL bounds how long another replica's change takes to apply here.
const cacheTTL = time.Second

// New returns the tenant service.
func New(rs records.Store, log ledger.Appender) *Service {
	return &Service{t: records.NewTable[Settings](rs, "tenant.settings"), log: log, now: time.Now, cache: map[string]cached{}}
}

// Get returns a tenant's settings; tenants never configured get the
// defaults (zero retention, fail closed).
func (s *Service) Get(ctx context.Context, tenant string) (Settings, error) {
	s.mu.Lock()
	if c, ok := s.cache[tenant]; ok && s.now().Before(c.exp) {
		s.mu.Unlock()
		return c.s, nil
	}
	s.mu.Unlock()
	st, err := s.t.Get(ctx, tenant, "settings")
	if errors.Is(err, records.ErrNotFound) {
		st, err = Settings{Tenant: tenant, Retention: RetainZero}, nil
	}
	if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	s.cache[tenant] = cached{s: st, exp: s.now().Add(cacheTTL)}
	s.mu.Unlock()
	return st, nil
}

// Set records and applies new settings for a tenant.
func (s *Service) Set(ctx context.Context, actor ledger.Actor, next Settings) (Settings, error) {
	if err := next.Validate(); err != nil {
		return Settings{}, err
	}
	prev, err := s.Get(ctx, next.Tenant)
	if err != nil {
		return Settings{}, err
	}
	next.UpdatedBy, next.Updated = actor.ID, s.now().UTC()
	ref := ledger.Ref{Kind: "tenant", ID: next.Tenant}
	if prev.FailOpen != next.FailOpen {
		// The opt-in to fail open is itself evidence: it weakens a control.
		if _, err := s.log.Append(ctx, ledger.MustEvent("gateway.fail_open_set", next.Tenant, actor, map[string]any{"enabled": next.FailOpen}, ref)); err != nil {
			return Settings{}, fmt.Errorf("record fail-open change: %w", err)
		}
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent("tenant.settings_set", next.Tenant, actor, map[string]any{
		"retention": next.Retention, "retention_days": next.RetentionDays, "fail_open": next.FailOpen,
		"rpm": next.RPM, "tpm": next.TPM, "daily_tokens": next.DailyTokens,
	}, ref)); err != nil {
		return Settings{}, fmt.Errorf("record settings: %w", err)
	}
	if _, err := s.t.Mutate(ctx, next.Tenant, "settings", func(cur *Settings) error { *cur = next; return nil }); errors.Is(err, records.ErrNotFound) {
		err = s.t.Create(ctx, next.Tenant, "settings", next)
		if err != nil {
			return Settings{}, err
		}
	} else if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	delete(s.cache, next.Tenant)
	s.mu.Unlock()
	return next, nil
}

// All lists every configured tenant.
func (s *Service) All(ctx context.Context) ([]Settings, error) { return s.t.List(ctx, "") }
