package limits

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Memory is a Backend for a single replica.
type Memory struct {
	shards [32]memShard
	seed   maphash.Seed
	now    func() time.Time
}

type memKey struct {
	key string
	win int64
}

type memCounter struct {
	n       int64
	expires time.Time
}

type memShard struct {
	mu        sync.Mutex
	m         map[memKey]*memCounter
	lastSweep time.Time
}

// NewMemory returns an empty memory backend. now may be nil for the wall
// clock; expired counters are swept as the map is used, about once a
// minute.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{seed: maphash.MakeSeed(), now: now}
	for i := range m.shards {
		m.shards[i].m = map[memKey]*memCounter{}
	}
	return m
}

// Apply implements Backend.
func (m *Memory) Apply(_ context.Context, ops []Op) ([]int64, error) {
	out := make([]int64, len(ops))
	now := m.now()
	for i, op := range ops {
		s := &m.shards[maphash.String(m.seed, op.Key)%uint64(len(m.shards))]
		k := memKey{op.Key, op.Window.UnixNano()}
		s.mu.Lock()
		c := s.m[k]
		if c == nil {
			c = &memCounter{expires: op.Expires}
			s.m[k] = c
		}
		c.n += op.Delta
		out[i] = c.n
		// Windows last a minute or a day, so one sweep a minute per shard
		// keeps the map bounded at little cost.
		if now.Sub(s.lastSweep) >= time.Minute {
			s.lastSweep = now
			for k, c := range s.m {
				if now.After(c.expires) {
					delete(s.m, k)
				}
			}
		}
		s.mu.Unlock()
	}
	return out, nil
}

// Len returns the number of live counters, for tests.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		m.shards[i].mu.Lock()
		n += len(m.shards[i].m)
		m.shards[i].mu.Unlock()
	}
	return n
}

var _ Backend = (*Memory)(nil)
