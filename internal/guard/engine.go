package guard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/guard/injection"
	"github.com/attest-ai/attest/internal/guard/output"
	"github.com/attest-ai/attest/internal/guard/pii"
)

// Action is what the gateway does with a request or answer.
type Action string

// The actions.
const (
	Allow Action = "allow"
	Flag  Action = "flag"
	Retry Action = "retry" // answers only: ask the model once more
	Block Action = "block"
)

var actionRank = map[Action]int{Allow: 0, Flag: 1, Retry: 2, Block: 3}

// Part is one piece of a request: a message, the system prompt, a
// tool-call's arguments or a tool's result. Untrusted marks content that
// did not come from the user or the tenant (tool results, retrieved
// documents); it is screened as indirect injection.
type Part struct {
	Role      string `json:"role"`
	Text      string `json:"-"`
	Untrusted bool   `json:"untrusted,omitempty"`
}

// Verdict is the guards' decision on a request or an answer. It holds
// counts, types, scores and reasons, never any of the text, so it can go
// into the audit record as it is.
type Verdict struct {
	Action  Action   `json:"action"`
	Reasons []string `json:"reasons,omitempty"`
	// Scanned is false when the guards did not finish; the text then went
	// through (fail open) or was blocked (fail closed) without a scan.
	Scanned  bool `json:"scanned"`
	FailOpen bool `json:"fail_open,omitempty"`
	// Modified is true when PII was replaced in the text passed on.
	Modified bool `json:"modified,omitempty"`
	// Entities counts PII findings by type.
	Entities map[pii.Type]int `json:"entities,omitempty"`
	// Injection is the highest injection probability of the direct parts,
	// IndirectInjection that of the untrusted parts.
	Injection         float64  `json:"injection,omitempty"`
	IndirectInjection float64  `json:"indirect_injection,omitempty"`
	InjectionRules    []string `json:"injection_rules,omitempty"`
}

func (v *Verdict) raise(a Action, reason string) {
	if actionRank[a] > actionRank[v.Action] {
		v.Action = a
	}
	if reason != "" {
		v.Reasons = append(v.Reasons, reason)
	}
}

// Engine applies one tenant's policy. It is safe for concurrent use.
type Engine struct {
	policy Policy
	pii    *pii.Guard
	inj    *injection.Detector
	// canaryKey derives the day's canary: the policy's hash key, or a
	// random key of this engine's own when the policy has none.
	canaryKey []byte
}

// New builds an engine. It fails if the policy is invalid or an embedded
// model does not match its digest; the caller should then refuse traffic
// for the tenant rather than run without guards.
func New(p Policy) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{policy: p, canaryKey: p.HashKey}
	if len(e.canaryKey) == 0 {
		e.canaryKey = []byte(output.NewCanary())
	}
	if len(p.PII) > 0 {
		g, err := pii.NewGuard(p.piiPolicy())
		if err != nil {
			return nil, err
		}
		e.pii = g
	}
	if p.Injection != nil {
		d, err := injection.New()
		if err != nil {
			return nil, err
		}
		e.inj = d
	}
	return e, nil
}

// Policy returns the engine's policy.
func (e *Engine) Policy() Policy { return e.policy }

// ErrGuardFailed wraps every guard failure: an error, a panic or a
// timeout.
var ErrGuardFailed = errors.New("guard failed")

// guarded calls f with the policy's deadline and turns a panic, an error
// or an expired deadline into ErrGuardFailed. On timeout it returns at
// once; f keeps its results to itself and stops at its next check of ctx.
func guarded[T any](ctx context.Context, timeout time.Duration, f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("%w: panic: %v", ErrGuardFailed, r)}
			}
		}()
		v, err := f(ctx)
		done <- result{v, err}
	}()
	var zero T
	select {
	case r := <-done:
		if r.err != nil {
			if !errors.Is(r.err, ErrGuardFailed) {
				r.err = fmt.Errorf("%w: %w", ErrGuardFailed, r.err)
			}
			return zero, r.err
		}
		return r.v, nil
	case <-ctx.Done():
		return zero, fmt.Errorf("%w: not finished within %v: %w", ErrGuardFailed, timeout, ctx.Err())
	}
}

// failed is the verdict when the guards could not finish.
func (e *Engine) failed(err error) Verdict {
	if e.policy.FailOpen {
		return Verdict{Action: Allow, Scanned: false, FailOpen: true,
			Reasons: []string{"passed unscanned because the tenant's policy fails open: " + err.Error()}}
	}
	return Verdict{Action: Block, Scanned: false,
		Reasons: []string{"blocked because the guards could not scan it (fail closed): " + err.Error()}}
}

// CheckRequest screens the parts of a request. The returned Request holds
// the texts to send upstream, with PII replaced and a canary planted, and
// the state needed to check the answer. When the verdict blocks, the
// texts must not be sent anywhere.
func (e *Engine) CheckRequest(ctx context.Context, parts []Part) (Verdict, *Request) {
	req := &Request{e: e, texts: make([]string, len(parts))}
	for i, p := range parts {
		req.texts[i] = p.Text
	}
	if e.pii != nil {
		req.red = e.pii.Redactor()
	}
	type checked struct {
		v   Verdict
		out []string
	}
	res, err := guarded(ctx, e.policy.timeout(), func(ctx context.Context) (checked, error) {
		out := make([]string, len(parts))
		v := e.checkParts(ctx, parts, req.red, out)
		return checked{v, out}, ctx.Err()
	})
	if err != nil {
		fv := e.failed(err)
		req.verdict = fv
		return fv, req
	}
	v := res.v
	copy(req.texts, res.out)
	if e.policy.Canary {
		req.canary = output.DailyCanary(e.canaryKey, time.Now())
		if i := slices.IndexFunc(parts, func(p Part) bool { return p.Role == "system" || p.Role == "developer" }); i >= 0 {
			req.texts[i] += "\n\n" + output.CanaryLine(req.canary)
			req.planted = true
		}
	}
	req.verdict = v
	return v, req
}

func (e *Engine) checkParts(ctx context.Context, parts []Part, red *pii.Redactor, out []string) Verdict {
	v := Verdict{Action: Allow, Scanned: true}
	for i, p := range parts {
		if ctx.Err() != nil {
			return v
		}
		out[i] = p.Text
		if red != nil {
			text, res := red.Redact(p.Text)
			if text != p.Text {
				v.Modified = true
			}
			out[i] = text
			v.Entities = mergeCounts(v.Entities, res.Counts)
			for _, t := range res.Blocked {
				v.raise(Block, fmt.Sprintf("%s in %s part; the policy blocks it", t, roleName(p)))
			}
		}
		if e.inj != nil && (p.Untrusted || p.Role == "user" || p.Role == "") {
			s := e.inj.Score(p.Text)
			if p.Untrusted {
				v.IndirectInjection = max(v.IndirectInjection, s.Probability)
			} else {
				v.Injection = max(v.Injection, s.Probability)
			}
			for _, r := range s.Rules {
				if !slices.Contains(v.InjectionRules, r) {
					v.InjectionRules = append(v.InjectionRules, r)
				}
			}
			switch e.policy.Injection.Decide(s.Probability, p.Untrusted) {
			case injection.Block:
				v.raise(Block, fmt.Sprintf("%s injection score %.2f in %s part", kind(p), s.Probability, roleName(p)))
			case injection.Flag:
				v.raise(Flag, fmt.Sprintf("%s injection score %.2f in %s part", kind(p), s.Probability, roleName(p)))
			}
		}
	}
	return v
}

func kind(p Part) string {
	if p.Untrusted {
		return "indirect"
	}
	return "direct"
}

func roleName(p Part) string {
	if p.Role == "" {
		return "unnamed"
	}
	return p.Role
}

// mergeCounts adds b into a.
func mergeCounts(a, b map[pii.Type]int) map[pii.Type]int {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[pii.Type]int{}
	}
	for t, n := range b {
		a[t] += n
	}
	return a
}
