package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/attest-ai/attest/internal/limits"
)

// failureCounter counts failed sign-ins per key: a client address or a
// user name.
type failureCounter interface {
	blocked(ctx context.Context, key string) (bool, time.Duration)
	fail(ctx context.Context, key string)
	reset(ctx context.Context, key string)
}

// sharedLimiter keeps the counts in a limits.Backend, which replicas share
// when it is PostgreSQL's, so an attacker gets one allowance however many
// replicas answer. Windows are fixed. Keys are hashed: user names may be
// e-mail addresses, which must not reach the counter table.
type sharedLimiter struct {
	b      limits.Backend
	kind   string
	max    int
	window time.Duration
	now    func() time.Time
	log    *slog.Logger
}

var _ failureCounter = (*sharedLimiter)(nil)

func (l *sharedLimiter) op(key string, delta int64) limits.Op {
	sum := sha256.Sum256([]byte(key))
	win := l.now().UTC().Truncate(l.window)
	return limits.Op{Key: "console-login:" + l.kind + ":" + hex.EncodeToString(sum[:16]), Window: win, Expires: win.Add(l.window + time.Minute), Delta: delta}
}

func (l *sharedLimiter) count(ctx context.Context, key string, delta int64) (int64, error) {
	vs, err := l.b.Apply(ctx, []limits.Op{l.op(key, delta)})
	if err != nil {
		return 0, err
	}
	return vs[0], nil
}

// blocked fails closed: sign-ins whose failures cannot be counted are
// refused for a minute rather than let through uncounted.
func (l *sharedLimiter) blocked(ctx context.Context, key string) (bool, time.Duration) {
	n, err := l.count(ctx, key, 0)
	if err != nil {
		l.log.Error("console sign-in limits unavailable; refusing sign-ins", "err", err)
		return true, time.Minute
	}
	win := l.now().UTC().Truncate(l.window)
	return n >= int64(l.max), win.Add(l.window).Sub(l.now())
}

func (l *sharedLimiter) fail(ctx context.Context, key string) {
	if _, err := l.count(ctx, key, 1); err != nil {
		l.log.Error("count failed console sign-in", "err", err)
	}
}

func (l *sharedLimiter) reset(ctx context.Context, key string) {
	n, err := l.count(ctx, key, 0)
	if err == nil && n > 0 {
		_, err = l.count(ctx, key, -n)
	}
	if err != nil {
		l.log.Error("reset console sign-in failures", "err", err)
	}
}
