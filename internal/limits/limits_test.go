package limits_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/limits"
	"github.com/attest-ai/attest/internal/limits/limitstest"
)

func TestMemory(t *testing.T) {
	limitstest.Run(t, func(now func() time.Time) limits.Backend { return limits.NewMemory(now) })
}

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

func TestMemorySweeps(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)}
	m := limits.NewMemory(c.now)
	l := limits.New(m, c.now)
	for i := 0; i < 5000; i++ {
		l.Admit(context.Background(), []limits.Scope{{Kind: "key", ID: "k", Limits: limits.Limits{RPM: 1 << 40}}}, 1)
		c.add(time.Minute)
	}
	if n := m.Len(); n > 300 {
		t.Errorf("%d counters live; expired windows are not swept", n)
	}
}

func BenchmarkAdmit(b *testing.B) {
	l := limits.New(limits.NewMemory(nil), nil)
	s := []limits.Scope{{Kind: "key", ID: "k", Limits: limits.Limits{RPM: 1 << 40, TPM: 1 << 40, DailyTokens: 1 << 40}}, {Kind: "tenant", ID: "t", Limits: limits.Limits{RPM: 1 << 40}}}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Admit(ctx, s, 250)
		}
	})
}
