package gateway

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// Guard actions, mildest first. Retry applies to answers only: the
// gateway asks the model once more.
const (
	GuardAllow = "allow"
	GuardFlag  = "flag"
	GuardRetry = "retry"
	GuardBlock = "block"
)

var guardRank = map[string]int{GuardAllow: 0, GuardFlag: 1, GuardRetry: 2, GuardBlock: 3}

// Guard part roles besides the chat roles.
const (
	GuardRoleSystem = "system"
	GuardRoleTool   = "tool"
)

// GuardPart is one piece of text in a request: the system prompt, a
// message, a tool call's arguments or a tool's result. Untrusted marks
// text that came from neither the user nor the tenant (tool results,
// retrieved documents); it is screened for indirect injection.
type GuardPart struct {
	Role      string
	Text      string
	Untrusted bool
}

// GuardRequest is what a guard screens.
type GuardRequest struct {
	Tenant string
	KeyID  string
	Route  string
	Parts  []GuardPart
	// Schema is the JSON Schema of a json_schema response_format; answers
	// are validated against it.
	Schema json.RawMessage
}

// GuardVerdict is a guard's decision. It holds counts, types, scores and
// reasons that quote no content, so it goes into the audit entry as it is.
type GuardVerdict struct {
	Action string
	// Scanned is false when the text was not scanned: no guard is
	// configured, or the guard failed and the tenant's policy fails open.
	Scanned  bool
	FailOpen bool
	// Modified says personal data was replaced in the text passed on.
	Modified bool
	// Findings counts detections by entity type, such as EMAIL.
	Findings map[string]int
	// Injection and IndirectInjection are the highest injection scores of
	// the direct and the untrusted parts.
	Injection         float64
	IndirectInjection float64
	Rules             []string
	Reasons           []string
}

// Merge folds o into v: the stricter action, summed findings, the higher
// scores. A verdict is scanned only if both were.
func (v GuardVerdict) Merge(o GuardVerdict) GuardVerdict {
	if v.Action == "" {
		return o
	}
	if guardRank[o.Action] > guardRank[v.Action] {
		v.Action = o.Action
	}
	v.Scanned = v.Scanned && o.Scanned
	v.FailOpen = v.FailOpen || o.FailOpen
	v.Modified = v.Modified || o.Modified
	if len(o.Findings) > 0 {
		f := make(map[string]int, len(v.Findings)+len(o.Findings))
		maps.Copy(f, v.Findings)
		for k, n := range o.Findings {
			f[k] += n
		}
		v.Findings = f
	}
	v.Injection = max(v.Injection, o.Injection)
	v.IndirectInjection = max(v.IndirectInjection, o.IndirectInjection)
	for _, r := range o.Rules {
		if !slices.Contains(v.Rules, r) {
			v.Rules = append(v.Rules[:len(v.Rules):len(v.Rules)], r)
		}
	}
	v.Reasons = append(v.Reasons[:len(v.Reasons):len(v.Reasons)], o.Reasons...)
	return v
}

// Guard screens requests and answers. The gateway knows only this
// interface; package guardbridge adapts internal/guard to it.
type Guard interface {
	// Check screens a request and returns the verdict with the request's
	// guard state. An error means the guard could not decide, and the
	// gateway blocks the request (fail closed). A tenant that chose to
	// fail open gets an allowing verdict with Scanned false instead.
	Check(ctx context.Context, req *GuardRequest) (GuardVerdict, GuardSession, error)
	// Redact returns text with personal data replaced, for the redacted
	// retention mode.
	Redact(ctx context.Context, tenant, text string) string
}

// GuardSession is the guard state of one request: the rewritten texts,
// the reversible tokens, the canary and the expected schema. It lives only
// in memory, for as long as the request runs.
type GuardSession interface {
	// Texts returns the texts to send upstream, aligned with the request's
	// parts, or nil to send them unchanged.
	Texts() []string
	// SystemLine returns a line to send as the system prompt when the
	// request had none (it carries the canary), or "".
	SystemLine() string
	// Answer checks a whole answer's text and returns the text to give
	// the client. retried says it is already the one retry.
	Answer(ctx context.Context, text string, retried bool) (GuardVerdict, string)
	// ToolArgs checks the arguments of a tool call in an answer.
	ToolArgs(ctx context.Context, args string, retried bool) (GuardVerdict, string)
	// Stream starts checking a streamed answer; nil passes it through.
	Stream() StreamFilter
}

// StreamFilter checks a streamed answer's text as it arrives. It may hold
// text back, so that an entity cut across chunks is still caught.
type StreamFilter interface {
	// Text filters a text delta of the block at index and returns what may
	// be sent now; stop says the answer must end here.
	Text(ctx context.Context, index int, delta string) (out string, stop bool)
	// EndText releases what is held for a text block that has ended.
	EndText(ctx context.Context, index int) (out string, stop bool)
	// Close returns the verdict on the whole answer.
	Close(ctx context.Context) GuardVerdict
}

// InputError is a guard's refusal of input the client can correct, such
// as a response_format schema that does not compile. It answers 400.
type InputError struct {
	Param   string
	Message string
}

func (e *InputError) Error() string { return e.Message }

// NopGuard lets everything through unscanned, and its verdicts say so. Its
// Redact keeps nothing but the length, since without a real guard nothing
// can be known to be safe to keep.
type NopGuard struct{}

var unscanned = GuardVerdict{Action: GuardAllow}

// Check implements Guard.
func (NopGuard) Check(context.Context, *GuardRequest) (GuardVerdict, GuardSession, error) {
	return unscanned, nopSession{}, nil
}

// Redact implements Guard.
func (NopGuard) Redact(_ context.Context, _, text string) string {
	return "[redacted " + strconv.Itoa(len(text)) + " bytes]"
}

type nopSession struct{}

func (nopSession) Texts() []string    { return nil }
func (nopSession) SystemLine() string { return "" }
func (nopSession) Answer(_ context.Context, text string, _ bool) (GuardVerdict, string) {
	return unscanned, text
}
func (nopSession) ToolArgs(_ context.Context, args string, _ bool) (GuardVerdict, string) {
	return unscanned, args
}
func (nopSession) Stream() StreamFilter { return nil }

var (
	_ Guard        = NopGuard{}
	_ GuardSession = nopSession{}
)
