package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/limits"
)

// TestLimiter runs one scenario on both counters: this process's, and the
// shared one over a limits backend.
func TestLimiter(t *testing.T) {
	for _, kind := range []string{"memory", "shared"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			now := time.Unix(1_700_000_040, 0) // on a minute
			clock := func() time.Time { return now }
			var l failureCounter = newLimiter(3, time.Minute, 100, clock)
			if kind == "shared" {
				l = &sharedLimiter{b: limits.NewMemory(clock), kind: "address", max: 3, window: time.Minute, now: clock, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			}
			for i := range 3 {
				if b, _ := l.blocked(ctx, "k"); b {
					t.Fatalf("blocked after %d failures", i)
				}
				l.fail(ctx, "k")
			}
			if b, left := l.blocked(ctx, "k"); !b || left != time.Minute {
				t.Fatalf("after 3 failures: blocked=%v left=%v", b, left)
			}
			if b, _ := l.blocked(ctx, "other"); b {
				t.Fatal("keys are not independent")
			}
			now = now.Add(time.Minute)
			if b, _ := l.blocked(ctx, "k"); b {
				t.Fatal("the window did not expire")
			}
			l.fail(ctx, "k")
			l.fail(ctx, "k")
			l.reset(ctx, "k")
			l.fail(ctx, "k")
			if b, _ := l.blocked(ctx, "k"); b {
				t.Fatal("reset did not clear the count")
			}
		})
	}
}

// TestSharedLimiterAcrossReplicas has two consoles' counters over one
// backend, as replicas over one PostgreSQL: failures on either count
// against both.
func TestSharedLimiterAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return time.Unix(1_700_000_050, 0) } // mid-window
	b := limits.NewMemory(clock)
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &sharedLimiter{b: b, kind: "user", max: 4, window: time.Minute, now: clock, log: discard}
	c := &sharedLimiter{b: b, kind: "user", max: 4, window: time.Minute, now: clock, log: discard}
	a.fail(ctx, "ada@example.com")
	c.fail(ctx, "ada@example.com")
	a.fail(ctx, "ada@example.com")
	c.fail(ctx, "ada@example.com")
	if blocked, _ := a.blocked(ctx, "ada@example.com"); !blocked {
		t.Fatal("four failures split over two replicas did not block")
	}
}

// failingBackend is a limits backend that cannot be reached.
type failingBackend struct{}

func (failingBackend) Apply(context.Context, []limits.Op) ([]int64, error) {
	return nil, fmt.Errorf("connection refused")
}

func TestSharedLimiterFailsClosed(t *testing.T) {
	l := &sharedLimiter{b: failingBackend{}, kind: "address", max: 30, window: time.Minute, now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if blocked, left := l.blocked(context.Background(), "10.0.0.1"); !blocked || left <= 0 {
		t.Fatal("sign-ins were let through with their failures uncounted")
	}
}

func TestLimiterStaysBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(3, time.Minute, 50, func() time.Time { return now })
	for i := range 1000 {
		l.fail(context.Background(), fmt.Sprint("addr-", i))
	}
	if n := len(l.hits); n > 50 {
		t.Fatalf("%d keys kept, the bound is 50", n)
	}
}
