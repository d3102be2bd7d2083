package gateway

import (
	"context"
	"strconv"
)

// Guard actions.
const (
	GuardAllow  = "allow"
	GuardRedact = "redact"
	GuardBlock  = "block"
)

// GuardPart is one piece of text in a request, with the role it came from.
type GuardPart struct {
	Role string
	Text string
}

// GuardRequest is what a guard inspects.
type GuardRequest struct {
	Tenant string
	KeyID  string
	Route  string
	Parts  []GuardPart
}

// GuardVerdict is a guard's finding. Findings counts detections by type
// (such as "email" or "injection"); it is the only part that reaches the
// audit entry.
type GuardVerdict struct {
	Action   string
	Findings map[string]int
	// Parts holds replacement texts, aligned with the request's parts,
	// when Action is redact.
	Parts []string
}

// ChunkFilter filters a streamed answer's text. Chunk may hold text back
// (to catch a pattern cut across chunks) and returns what to send now;
// Close returns what is still held and the verdict for the whole answer.
type ChunkFilter interface {
	Chunk(text string) string
	Close() (string, GuardVerdict)
}

// Guard inspects requests and answers. The real implementation lives in
// internal/guard; the gateway only knows this interface.
type Guard interface {
	Inspect(ctx context.Context, req *GuardRequest) (GuardVerdict, error)
	// Output returns a filter for one answer, or nil to pass it through.
	Output(ctx context.Context, req *GuardRequest) ChunkFilter
	// Redact returns text with sensitive values removed, for the
	// redacted retention mode.
	Redact(ctx context.Context, text string) string
}

// NopGuard allows everything. Its Redact keeps nothing but the length,
// since without a real guard nothing can be known to be safe to keep.
type NopGuard struct{}

// Inspect implements Guard.
func (NopGuard) Inspect(context.Context, *GuardRequest) (GuardVerdict, error) {
	return GuardVerdict{Action: GuardAllow}, nil
}

// Output implements Guard.
func (NopGuard) Output(context.Context, *GuardRequest) ChunkFilter { return nil }

// Redact implements Guard.
func (NopGuard) Redact(_ context.Context, text string) string {
	return "[redacted " + strconv.Itoa(len(text)) + " bytes]"
}

var _ Guard = NopGuard{}
