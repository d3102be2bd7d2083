package gateway

import (
	"sync"
	"time"
)

// Breaker states.
const (
	breakerClosed = iota
	breakerOpen
	breakerHalfOpen
)

// breaker is a provider's circuit breaker. After Failures faults in a row
// it opens and refuses calls; after Cooldown it lets one trial call
// through, and a health probe that succeeds closes it at once.
type breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu       sync.Mutex
	state    int
	fails    int
	openedAt time.Time
	trial    bool
}

func newBreaker(cfg BreakerConfig, now func() time.Time) *breaker {
	return &breaker{failures: cfg.Failures, cooldown: cfg.Cooldown, now: now}
}

// Allow reports whether a call may go to the provider.
func (b *breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return false
		}
		b.state, b.trial = breakerHalfOpen, true
		return true
	case breakerHalfOpen:
		if b.trial {
			return false
		}
		b.trial = true
		return true
	}
	return true
}

// Success records a good call or probe and closes the breaker.
func (b *breaker) Success() {
	b.mu.Lock()
	b.state, b.fails, b.trial = breakerClosed, 0, false
	b.mu.Unlock()
}

// Failure records a provider fault; it reports whether the breaker opened.
func (b *breaker) Failure() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails++
	if b.state == breakerHalfOpen || (b.state == breakerClosed && b.fails >= b.failures) {
		b.state, b.openedAt, b.trial = breakerOpen, b.now(), false
		return true
	}
	return false
}

// Release gives back a half-open trial that ended without a verdict, such
// as a call the client cancelled.
func (b *breaker) Release() {
	b.mu.Lock()
	if b.state == breakerHalfOpen {
		b.trial = false
	}
	b.mu.Unlock()
}

// State returns 0 closed, 1 open or 2 half-open.
func (b *breaker) State() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}
