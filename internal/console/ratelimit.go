package console

import (
	"context"
	"sync"
	"time"
)

var _ failureCounter = (*limiter)(nil)

// limiter counts failed logins per key in fixed windows, in this process.
// The console keeps two: per client address and per existing user name, so
// neither one address guessing many passwords nor many addresses guessing
// one user's password gets far. With Deps.Failures set, sharedLimiter keeps
// the counts where every replica sees them instead.
type limiter struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	maxKeys int
	now     func() time.Time
	hits    map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, win time.Duration, maxKeys int, now func() time.Time) *limiter {
	return &limiter{max: max, window: win, maxKeys: maxKeys, now: now, hits: map[string]*window{}}
}

// blocked reports whether key used up its failures, and for how long.
func (l *limiter) blocked(_ context.Context, key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.hits[key]
	if !ok {
		return false, 0
	}
	left := l.window - l.now().Sub(w.start)
	if left <= 0 {
		delete(l.hits, key)
		return false, 0
	}
	return w.n >= l.max, left
}

// fail counts one failure against key.
func (l *limiter) fail(_ context.Context, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.hits[key]
	if ok && now.Sub(w.start) >= l.window {
		ok = false
	}
	if !ok {
		if len(l.hits) >= l.maxKeys {
			l.prune(now)
		}
		w = &window{start: now}
		l.hits[key] = w
	}
	w.n++
}

// reset forgets key, after a successful login.
func (l *limiter) reset(_ context.Context, key string) {
	l.mu.Lock()
	delete(l.hits, key)
	l.mu.Unlock()
}

// prune drops expired windows and, if the table is still full, arbitrary
// ones: memory stays bounded even under a flood of distinct addresses.
func (l *limiter) prune(now time.Time) {
	for k, w := range l.hits {
		if now.Sub(w.start) >= l.window {
			delete(l.hits, k)
		}
	}
	for k := range l.hits {
		if len(l.hits) < l.maxKeys {
			return
		}
		delete(l.hits, k)
	}
}
