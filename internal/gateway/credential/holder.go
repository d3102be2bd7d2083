package credential

import (
	"context"
	"crypto/subtle"
	"sync"
	"sync/atomic"
)

// Rotation describes a change of credential, for the audit event. It holds
// no secret and no digest of one.
type Rotation struct {
	Provider   string
	Source     string
	Generation int64
	Version    string
	Reason     string
}

// Holder keeps the current value of one provider's credential.
type Holder struct {
	provider string
	src      Source
	onRotate func(context.Context, Rotation)

	mu  sync.Mutex // serialises refreshes
	cur atomic.Pointer[held]
}

type held struct {
	secret     Secret
	generation int64
}

// NewHolder returns a holder for provider's credential from src. onRotate
// runs after every change after the first load.
func NewHolder(provider string, src Source, onRotate func(context.Context, Rotation)) *Holder {
	return &Holder{provider: provider, src: src, onRotate: onRotate}
}

// Get returns the current value, empty before the first successful load.
func (h *Holder) Get() string {
	if c := h.cur.Load(); c != nil {
		return c.secret.Value
	}
	return ""
}

// Refresh re-reads the source and reports whether the value changed. On
// error the old value stays in use.
func (h *Holder) Refresh(ctx context.Context, reason string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, err := h.src.Fetch(ctx)
	if err != nil {
		return false, err
	}
	old := h.cur.Load()
	if old != nil && subtle.ConstantTimeCompare([]byte(old.secret.Value), []byte(s.Value)) == 1 {
		return false, nil
	}
	gen := int64(1)
	if old != nil {
		gen = old.generation + 1
	}
	h.cur.Store(&held{secret: s, generation: gen})
	if old != nil && h.onRotate != nil {
		h.onRotate(ctx, Rotation{Provider: h.provider, Source: h.src.Kind(), Generation: gen, Version: s.Version, Reason: reason})
	}
	return old != nil, nil
}
