// Package limitstest is the conformance suite every limits.Backend passes.
package limitstest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/limits"
)

func unique(p string) string { return p + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Run checks the limiter on a backend, so the memory and PostgreSQL
// backends pass the same cases. Counter names are unique per run, so a
// shared database needs no cleaning.
func Run(t *testing.T, newBackend func(now func() time.Time) limits.Backend) {
	ctx := context.Background()
	t.Run("rpm", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 1, 2, 3, 4, 30, 0, time.UTC)}
		l := limits.New(newBackend(c.now), c.now)
		s := []limits.Scope{{Kind: "key", ID: unique("rpm"), Limits: limits.Limits{RPM: 3}}}
		for i := 0; i < 3; i++ {
			if d, _, err := l.Admit(ctx, s, 1); err != nil || !d.Allowed {
				t.Fatalf("request %d refused: %+v %v", i, d, err)
			}
		}
		d, _, _ := l.Admit(ctx, s, 1)
		if d.Allowed || d.Limit != limits.LimitRPM || d.Scope != "key" || d.RetryAfter != 30*time.Second {
			t.Fatalf("fourth request: %+v", d)
		}
		// Refusals are not counted: after the window, three more pass.
		c.add(30 * time.Second)
		for i := 0; i < 3; i++ {
			if d, _, _ := l.Admit(ctx, s, 1); !d.Allowed {
				t.Fatalf("next window, request %d refused", i)
			}
		}
	})
	t.Run("tokens and settle", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 1, 2, 23, 59, 0, 0, time.UTC)}
		l := limits.New(newBackend(c.now), c.now)
		s := []limits.Scope{{Kind: "tenant", ID: unique("tok"), Limits: limits.Limits{TPM: 100, DailyTokens: 150}}}
		d, tk, _ := l.Admit(ctx, s, 10)
		if !d.Allowed {
			t.Fatal("first request refused")
		}
		// The request really used 120 tokens: the minute budget is gone.
		if err := l.Settle(ctx, tk, 120); err != nil {
			t.Fatal(err)
		}
		d, _, _ = l.Admit(ctx, s, 1)
		if d.Allowed || d.Limit != limits.LimitTPM {
			t.Fatalf("over TPM: %+v", d)
		}
		c.add(time.Minute) // next minute and next UTC day
		d, _, _ = l.Admit(ctx, s, 1)
		if !d.Allowed {
			t.Fatalf("new day refused: %+v", d)
		}
	})
	t.Run("daily", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)}
		l := limits.New(newBackend(c.now), c.now)
		s := []limits.Scope{{Kind: "key", ID: unique("day"), Limits: limits.Limits{DailyTokens: 50}}, {Kind: "tenant", ID: unique("t")}}
		l.Admit(ctx, s, 60)
		d, _, _ := l.Admit(ctx, s, 1)
		if d.Allowed || d.Limit != limits.LimitDaily || d.RetryAfter != 12*time.Hour {
			t.Fatalf("over the daily budget: %+v", d)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)}
		b := newBackend(c.now)
		s := []limits.Scope{{Kind: "key", ID: unique("conc"), Limits: limits.Limits{RPM: 50}}}
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for r := 0; r < 4; r++ {
			// Several limiters on one backend stand for several replicas.
			l := limits.New(b, c.now)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 40; i++ {
					if d, _, err := l.Admit(ctx, s, 1); err == nil && d.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if allowed != 50 {
			t.Errorf("%d requests allowed, want exactly 50", allowed)
		}
	})
}
