// Package limits enforces request and token limits per API key and per
// tenant: requests per minute, tokens per minute and a daily token budget.
//
// Counters live in fixed windows (one minute, one UTC day) in a Backend:
// memory for a single replica, PostgreSQL so that limits hold across
// replicas. A fixed window may let through up to twice a limit across a
// window boundary; in exchange each admission is one round trip.
package limits

import (
	"context"
	"fmt"
	"time"
)

// Limits are ceilings for one key or tenant. Zero means no limit.
type Limits struct {
	RPM         int64 `yaml:"rpm" json:"rpm,omitempty"`
	TPM         int64 `yaml:"tpm" json:"tpm,omitempty"`
	DailyTokens int64 `yaml:"daily_tokens" json:"daily_tokens,omitempty"`
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool { return l.RPM == 0 && l.TPM == 0 && l.DailyTokens == 0 }

// Op adds Delta to the counter Key in the window starting at Window. The
// backend may forget the counter after Expires.
type Op struct {
	Key     string
	Window  time.Time
	Expires time.Time
	Delta   int64
}

// Backend stores counters. Apply adds every op's delta and returns each
// counter's value after the addition, in op order. Each op must be atomic;
// the ops of one call need not be atomic together.
type Backend interface {
	Apply(ctx context.Context, ops []Op) ([]int64, error)
}

// Scope is one party whose limits apply to a request.
type Scope struct {
	// Kind is "key" or "tenant"; ID must be unique within its kind.
	Kind   string
	ID     string
	Limits Limits
}

// Names of the limits, for decisions and metrics.
const (
	LimitRPM   = "rpm"
	LimitTPM   = "tpm"
	LimitDaily = "daily_tokens"
)

// Decision is the answer to an admission.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
	// Scope and Limit name what was hit when not allowed.
	Scope string
	Limit string
}

// Ticket remembers what an admitted request reserved, so Settle can
// correct the token estimate with the real count.
type Ticket struct {
	est int64
	ops []Op // token ops only
}

// Limiter applies limits through a backend.
type Limiter struct {
	b   Backend
	now func() time.Time
}

// New returns a limiter on b. now may be nil for the wall clock.
func New(b Backend, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{b: b, now: now}
}

type check struct {
	op    int
	limit int64
	scope string
	name  string
	tok   bool
}

// Admit counts a request with an estimated token count against every
// scope and reports whether it may proceed. A refused request is taken
// back out of the counters, so refusals do not use up the budget.
func (l *Limiter) Admit(ctx context.Context, scopes []Scope, estTokens int64) (Decision, *Ticket, error) {
	now := l.now().UTC()
	minute := now.Truncate(time.Minute)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	// At most three limits a scope: size both lists once.
	ops := make([]Op, 0, 3*len(scopes))
	checks := make([]check, 0, 3*len(scopes))
	add := func(key string, win time.Time, span time.Duration, delta, limit int64, scope, name string, tok bool) {
		checks = append(checks, check{op: len(ops), limit: limit, scope: scope, name: name, tok: tok})
		ops = append(ops, Op{Key: key, Window: win, Expires: win.Add(span + time.Minute), Delta: delta})
	}
	for _, s := range scopes {
		base := s.Kind + ":" + s.ID + ":"
		if s.Limits.RPM > 0 {
			add(base+LimitRPM, minute, time.Minute, 1, s.Limits.RPM, s.Kind, LimitRPM, false)
		}
		if s.Limits.TPM > 0 {
			add(base+LimitTPM, minute, time.Minute, estTokens, s.Limits.TPM, s.Kind, LimitTPM, true)
		}
		if s.Limits.DailyTokens > 0 {
			add(base+LimitDaily, day, 24*time.Hour, estTokens, s.Limits.DailyTokens, s.Kind, LimitDaily, true)
		}
	}
	t := &Ticket{est: estTokens}
	if len(ops) == 0 {
		return Decision{Allowed: true}, t, nil
	}
	totals, err := l.b.Apply(ctx, ops)
	if err != nil {
		return Decision{}, nil, fmt.Errorf("count request against limits: %w", err)
	}
	if len(totals) != len(ops) {
		return Decision{}, nil, fmt.Errorf("count request against limits: backend answered %d counters for %d", len(totals), len(ops))
	}
	for _, c := range checks {
		total := totals[c.op]
		// Tokens: refuse once the budget is used up; a request may take
		// the counter past the limit since its true size is unknown yet.
		over := total > c.limit
		if c.tok {
			over = total-ops[c.op].Delta >= c.limit
		}
		if !over {
			continue
		}
		undo := make([]Op, len(ops))
		for i, op := range ops {
			op.Delta = -op.Delta
			undo[i] = op
		}
		if _, err := l.b.Apply(ctx, undo); err != nil {
			return Decision{}, nil, fmt.Errorf("return refused request to limits: %w", err)
		}
		end := minute.Add(time.Minute)
		if c.name == LimitDaily {
			end = day.Add(24 * time.Hour)
		}
		wait := end.Sub(now)
		if wait < time.Second {
			wait = time.Second
		}
		return Decision{RetryAfter: wait, Scope: c.scope, Limit: c.name}, nil, nil
	}
	for i, c := range checks {
		if c.tok {
			t.ops = append(t.ops, ops[i])
		}
	}
	return Decision{Allowed: true}, t, nil
}

// Settle replaces the estimate of an admitted request with its real token
// count, in the windows it was admitted in.
func (l *Limiter) Settle(ctx context.Context, t *Ticket, tokens int64) error {
	if t == nil || len(t.ops) == 0 || tokens == t.est {
		return nil
	}
	ops := make([]Op, len(t.ops))
	for i, op := range t.ops {
		op.Delta = tokens - t.est
		ops[i] = op
	}
	if _, err := l.b.Apply(ctx, ops); err != nil {
		return fmt.Errorf("settle token count: %w", err)
	}
	return nil
}
