package privacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// Policy limits how long retained payloads of a class live in a tenant.
// An empty Tenant or Class applies to all.
type Policy struct {
	ID     string        `json:"id"`
	Tenant string        `json:"tenant"`
	Class  Class         `json:"class,omitempty"`
	MaxAge time.Duration `json:"max_age"`
	SetBy  string        `json:"set_by"`
	Time   time.Time     `json:"time"`
}

// Run is the evidence of one retention run.
type Run struct {
	ID       string         `json:"id"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Status   string         `json:"status"` // ok or failed
	Error    string         `json:"error,omitempty"`
	Results  []PolicyResult `json:"results"`
	Trigger  string         `json:"trigger"` // schedule or manual
	Ledger   uint64         `json:"ledger_index"`
}

// PolicyResult says what one policy deleted: counts, never content.
type PolicyResult struct {
	Policy  string    `json:"policy"`
	Tenant  string    `json:"tenant,omitempty"`
	Class   Class     `json:"class,omitempty"`
	Cutoff  time.Time `json:"cutoff"`
	Deleted int       `json:"deleted"`
	Expired int       `json:"expired"` // payloads past their own sealed expiry
}

const globalTenant = "*"

// SetPolicy creates or replaces a retention policy.
func (s *Service) SetPolicy(ctx context.Context, actor ledger.Actor, p Policy) (Policy, error) {
	if p.MaxAge < time.Hour {
		return Policy{}, fmt.Errorf("%w: max_age must be at least 1h, got %s", ErrInvalid, p.MaxAge)
	}
	if p.Class != "" {
		if _, err := ParseClass(string(p.Class)); err != nil {
			return Policy{}, err
		}
	}
	if p.ID == "" {
		p.ID = fmt.Sprintf("%s-%s", orAll(p.Tenant), orAll(string(p.Class)))
	}
	if err := records.ValidID("policy id", p.ID); err != nil {
		return Policy{}, err
	}
	p.SetBy, p.Time = actor.ID, s.now().UTC()
	tenant := p.Tenant
	if tenant == "" {
		tenant = globalTenant
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent("retention.policy_set", tenant, actor,
		map[string]any{"policy": p.ID, "class": p.Class, "max_age_seconds": int64(p.MaxAge.Seconds())})); err != nil {
		return Policy{}, fmt.Errorf("record policy: %w", err)
	}
	if _, err := s.policies.Mutate(ctx, globalTenant, p.ID, func(old *Policy) error { *old = p; return nil }); err == records.ErrNotFound {
		return p, s.policies.Create(ctx, globalTenant, p.ID, p)
	} else if err != nil {
		return Policy{}, err
	}
	return p, nil
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

// Policies lists every retention policy.
func (s *Service) Policies(ctx context.Context) ([]Policy, error) {
	return s.policies.List(ctx, globalTenant)
}

// RunRetention deletes what every policy says has expired, plus payloads
// past their own sealed expiry, and records what it deleted. A failed run is
// recorded too: a control reads both.
func (s *Service) RunRetention(ctx context.Context, actor ledger.Actor, trigger string) (Run, error) {
	id := make([]byte, 6)
	rand.Read(id)
	r := Run{ID: "rr_" + hex.EncodeToString(id), Started: s.now().UTC(), Status: "ok", Trigger: trigger}
	ps, err := s.Policies(ctx)
	now := s.now().UTC()
	if err == nil {
		var expired int
		expired, err = s.vst.DeleteExpiredPayloads(ctx, "", "", now)
		r.Results = append(r.Results, PolicyResult{Policy: "sealed-expiry", Cutoff: now, Expired: expired})
	}
	for _, p := range ps {
		if err != nil {
			break
		}
		cutoff := now.Add(-p.MaxAge)
		var n int
		n, err = s.vst.DeletePayloadsCreatedBefore(ctx, p.Tenant, string(p.Class), cutoff)
		r.Results = append(r.Results, PolicyResult{Policy: p.ID, Tenant: p.Tenant, Class: p.Class, Cutoff: cutoff, Deleted: n})
	}
	r.Finished = s.now().UTC()
	if err != nil {
		r.Status, r.Error = "failed", err.Error()
	}
	idx, lerr := s.log.Append(ctx, ledger.MustEvent("retention.run", globalTenant, actor, map[string]any{
		"run": r.ID, "status": r.Status, "error": r.Error, "results": r.Results, "trigger": trigger,
		"started": r.Started, "finished": r.Finished,
	}))
	if lerr != nil {
		return r, fmt.Errorf("record retention run: %w", lerr)
	}
	r.Ledger = idx
	if cerr := s.runs.Create(ctx, globalTenant, r.ID, r); cerr != nil {
		return r, cerr
	}
	if err != nil {
		return r, fmt.Errorf("retention run failed: %w", err)
	}
	return r, nil
}

// Runs lists retention runs, newest last.
func (s *Service) Runs(ctx context.Context) ([]Run, error) {
	rs, err := s.runs.List(ctx, globalTenant)
	sortBy(rs, func(r Run) time.Time { return r.Started })
	return rs, err
}

// RunScheduled enforces retention every interval until ctx ends.
func (s *Service) RunScheduled(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	actor := ledger.Actor{Kind: ledger.ActorService, ID: "retention-job"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.RunRetention(ctx, actor, "schedule"); err != nil && ctx.Err() == nil {
				logger.Error("retention run", "err", err)
			}
		}
	}
}
