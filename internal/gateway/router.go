package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/provider"
)

// Fallback kinds, as sent in the X-Attest-Fallback header and the audit
// entry.
const (
	FallbackSecondary = "secondary"
	FallbackAnswer    = "rule"
)

// FallbackHeader marks answers that did not come from the primary.
const FallbackHeader = "X-Attest-Fallback"

// route is a configured alias with its resolved chain.
type route struct {
	cfg   RouteConfig
	chain []link
	// dests describes the chain's providers to the privacy rules.
	dests []Destination
}

type link struct {
	p       provider.Provider
	model   string
	breaker *breaker
	dest    Destination
}

// served says who answered a request.
type served struct {
	provider string
	kind     string
	model    string
	fallback string
	attempts int
	// result is set for chat calls, embed for embeddings.
	result *provider.Result
	embed  *chat.EmbedResponse
	// release ends the attempt's context once a stream is done.
	release func()
}

// callFunc performs one attempt against a link.
type callFunc func(ctx context.Context, l link) error

// errAllFailed is wrapped in the error when no provider answered.
var errAllFailed = errors.New("every provider of the route failed")

// run walks the route's chain: each provider is tried up to MaxAttempts
// times with jittered exponential backoff on faults worth a retry, skipped
// while its breaker is open, and the next one is tried when it fails.
// It returns the index of the link that answered.
func (g *Gateway) run(ctx context.Context, rt *route, s *served, call callFunc) (int, error) {
	var last error
	for i, l := range rt.chain {
		if !l.breaker.Allow() {
			g.metrics.attempt(l.p.Name(), "breaker_open")
			last = &provider.Error{Provider: l.p.Name(), Retryable: true, Err: errors.New("circuit breaker open")}
			continue
		}
		for attempt := 0; attempt < g.cfg.Retry.MaxAttempts; attempt++ {
			if attempt > 0 {
				if !g.sleep(ctx, g.backoff(attempt, last)) {
					break
				}
			}
			s.attempts++
			err := g.attempt(ctx, rt, l, call, s)
			if err == nil {
				l.breaker.Success()
				g.metrics.attempt(l.p.Name(), "ok")
				return i, nil
			}
			last = err
			if ctx.Err() != nil {
				// The client left or the route deadline passed: no verdict
				// on the provider.
				l.breaker.Release()
				g.metrics.attempt(l.p.Name(), "cancelled")
				return -1, ctx.Err()
			}
			var pe *provider.Error
			if !errors.As(err, &pe) {
				pe = &provider.Error{Provider: l.p.Name(), Err: err}
			}
			if pe.Final {
				l.breaker.Release()
				g.metrics.attempt(l.p.Name(), "rejected")
				return -1, err
			}
			if l.breaker.Failure() {
				g.log.Warn("circuit breaker opened", "provider", l.p.Name())
			}
			g.metrics.attempt(l.p.Name(), outcomeOf(pe))
			if !pe.Retryable {
				break
			}
		}
	}
	if last == nil {
		last = errAllFailed
	}
	return -1, errors.Join(errAllFailed, last)
}

// attempt runs one call under the route's attempt timeout. For streams the
// timeout covers only the wait for the first event: once Chat returns, the
// stream lives on under the caller's context until released.
func (g *Gateway) attempt(ctx context.Context, rt *route, l link, call callFunc, s *served) error {
	actx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(rt.cfg.AttemptTimeout, cancel)
	err := call(actx, l)
	if !timer.Stop() && err == nil && s.result != nil && s.result.Stream != nil {
		// The timer fired as the first event arrived; the stream's context
		// is cancelled, so count it as a timeout.
		s.result.Stream.Close()
		s.result = nil
		err = &provider.Error{Provider: l.p.Name(), Retryable: true, Err: context.DeadlineExceeded}
	}
	if err != nil {
		timedOut := ctx.Err() == nil && actx.Err() != nil
		cancel()
		if timedOut {
			return &provider.Error{Provider: l.p.Name(), Retryable: true, Err: context.DeadlineExceeded}
		}
		return err
	}
	s.release = cancel
	return nil
}

func outcomeOf(e *provider.Error) string {
	switch {
	case e.AuthFailed:
		return "auth_failed"
	case errors.Is(e, context.DeadlineExceeded):
		return "timeout"
	case e.Status == http.StatusTooManyRequests:
		return "rate_limited"
	case e.Status >= 500:
		return "server_error"
	case e.Status != 0:
		return "client_error"
	}
	return "transport_error"
}

// backoff returns the wait before retry number attempt: exponential with
// full jitter, at least what the upstream asked for in Retry-After, at
// most MaxDelay.
func (g *Gateway) backoff(attempt int, last error) time.Duration {
	d := g.cfg.Retry.BaseDelay << (attempt - 1)
	if d > g.cfg.Retry.MaxDelay || d <= 0 {
		d = g.cfg.Retry.MaxDelay
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	var pe *provider.Error
	if errors.As(last, &pe) && pe.RetryAfter > d {
		d = min(pe.RetryAfter, g.cfg.Retry.MaxDelay)
	}
	return d
}

// sleep waits d unless ctx ends first or its deadline is too near for a
// retry to help.
func (g *Gateway) sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// chatCall serves a chat request along the route and falls back to the
// rule-based answer when every provider failed.
func (g *Gateway) chatCall(ctx context.Context, rt *route, req *chat.Request) (*served, error) {
	s := &served{}
	idx, err := g.run(ctx, rt, s, func(actx context.Context, l link) error {
		res, err := l.p.Chat(actx, req, l.model)
		if err != nil {
			return err
		}
		s.result = res
		return nil
	})
	if err == nil {
		l := rt.chain[idx]
		s.provider, s.kind, s.model = l.p.Name(), l.p.Kind(), l.model
		if idx > 0 {
			s.fallback = FallbackSecondary
		}
		return s, nil
	}
	if rt.cfg.Fallback == nil || errors.Is(err, context.Canceled) {
		return s, err
	}
	var pe *provider.Error
	if errors.As(err, &pe) && pe.Final {
		return s, err
	}
	r := &chat.Response{
		ID:         "fallback",
		Model:      rt.cfg.Alias,
		Created:    time.Now().Unix(),
		Parts:      []chat.Part{{Type: chat.PartText, Text: fallbackAnswer(rt.cfg.Fallback, req)}},
		StopReason: chat.StopEnd,
	}
	r.Usage.OutputTokens = chat.EstimateTokens(r.Parts[0].Text)
	s.provider, s.kind, s.model, s.fallback = "fallback", "rule", rt.cfg.Alias, FallbackAnswer
	s.result = &provider.Result{Response: r}
	if req.Stream {
		s.result = &provider.Result{Stream: chat.ResponseStream(r, 0)}
	}
	return s, nil
}

// embedCall serves an embeddings request along the route.
func (g *Gateway) embedCall(ctx context.Context, rt *route, req *chat.EmbedRequest) (*served, error) {
	s := &served{}
	idx, err := g.run(ctx, rt, s, func(actx context.Context, l link) error {
		res, err := l.p.Embed(actx, req, l.model)
		if err != nil {
			return err
		}
		s.embed = res
		return nil
	})
	if err != nil {
		return s, err
	}
	l := rt.chain[idx]
	s.provider, s.kind, s.model = l.p.Name(), l.p.Kind(), l.model
	if idx > 0 {
		s.fallback = FallbackSecondary
	}
	return s, nil
}
