// Package gatewaytest provides protocol-faithful fakes for testing and
// benchmarking the gateway: OpenAI, Azure OpenAI and Anthropic upstreams
// that record what they were sent, a HashiCorp Vault KV v2 server, an
// in-memory ledger and a static authenticator.
package gatewaytest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/ledger"
)

// Ledger is an in-memory ledger.Appender. Each append validates and
// canonicalises the event as the real ledger does, without fsync.
type Ledger struct {
	// Fail makes every append fail while set.
	Fail atomic.Bool
	// Delay is added to every append, to mimic a group commit.
	Delay time.Duration

	mu      sync.Mutex
	entries []ledger.Entry
}

// ErrLedgerDown is what a failing Ledger returns.
var ErrLedgerDown = errors.New("ledger is down")

var _ ledger.Submitter = (*Ledger)(nil)

// Append implements ledger.Appender.
func (l *Ledger) Append(ctx context.Context, e ledger.Event) (uint64, error) {
	p, err := l.Submit(ctx, e)
	if err != nil {
		return 0, err
	}
	return p.Wait(ctx)
}

// Submit implements ledger.Submitter: the entry is stored at once and
// confirmed Delay later.
func (l *Ledger) Submit(ctx context.Context, e ledger.Event) (ledger.Pending, error) {
	if l.Fail.Load() {
		return nil, ErrLedgerDown
	}
	data, err := e.Canonical(time.Now())
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	i := uint64(len(l.entries))
	l.entries = append(l.entries, ledger.Entry{Index: i, Event: e, Data: data})
	l.mu.Unlock()
	return pending{index: i, at: time.Now().Add(l.Delay)}, nil
}

type pending struct {
	index uint64
	at    time.Time
}

func (p pending) Wait(ctx context.Context) (uint64, error) {
	if d := time.Until(p.at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
		}
	}
	return p.index, nil
}

// Entries returns the entries of type typ ("" for all).
func (l *Ledger) Entries(typ string) []ledger.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ledger.Entry
	for _, e := range l.entries {
		if typ == "" || e.Event.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// Len returns the number of entries.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset drops every entry.
func (l *Ledger) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

var _ ledger.Appender = (*Ledger)(nil)

// Auth is a static gateway.Authenticator: tokens map to callers, or to
// errors such as gateway.ErrRevokedKey.
type Auth struct {
	mu      sync.RWMutex
	callers map[string]gateway.Caller
	errs    map[string]error
}

// NewAuth returns an authenticator with no keys.
func NewAuth() *Auth {
	return &Auth{callers: map[string]gateway.Caller{}, errs: map[string]error{}}
}

// Add registers a key.
func (a *Auth) Add(token string, c gateway.Caller) {
	a.mu.Lock()
	a.callers[token] = c
	delete(a.errs, token)
	a.mu.Unlock()
}

// Fail makes a key fail with err from now on.
func (a *Auth) Fail(token string, err error) {
	a.mu.Lock()
	a.errs[token] = err
	a.mu.Unlock()
}

// Authenticate implements gateway.Authenticator.
func (a *Auth) Authenticate(_ context.Context, token string) (gateway.Caller, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if err, ok := a.errs[token]; ok {
		return gateway.Caller{}, err
	}
	c, ok := a.callers[token]
	if !ok {
		return gateway.Caller{}, gateway.ErrUnknownKey
	}
	return c, nil
}

var _ gateway.Authenticator = (*Auth)(nil)

// Pseudonym is a trivial pseudonymizer for tests: it is not keyed and must
// never be used outside them.
func Pseudonym(tenant, subject string) ledger.Ref {
	return ledger.Ref{Kind: "subject", ID: "p_" + tenant + "_" + hexHash(subject)}
}

// Sealer records what it was asked to seal, as a stand-in for the vault.
type Sealer struct {
	mu    sync.Mutex
	Calls []SealCall
}

// SealCall is one recorded Seal.
type SealCall struct {
	Tenant, Subject, Kind string
	Plaintext             []byte
	TTL                   time.Duration
}

// Seal implements gateway.PayloadSealer.
func (s *Sealer) Seal(_ context.Context, tenant, subject, kind string, plaintext []byte, ttl time.Duration) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls = append(s.Calls, SealCall{tenant, subject, kind, append([]byte(nil), plaintext...), ttl})
	return "vault:" + kind + ":" + hexHash(string(plaintext))[:12], hexHash(string(plaintext)), nil
}

// SealCalls returns a copy of the recorded calls.
func (s *Sealer) SealCalls() []SealCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SealCall(nil), s.Calls...)
}

var _ gateway.PayloadSealer = (*Sealer)(nil)
