package guardbridge

import (
	"context"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/guard"
)

// session is the guard state of one request.
type session struct {
	req *guard.Request
	// open is set when the request went through unscanned under a
	// fail-open policy; its answer then goes through unscanned too, and
	// the verdicts say so.
	open bool
	// schema is the response_format schema; args says the engine holds
	// the any-JSON schema used for tool-call arguments instead.
	schema []byte
	args   bool
}

var _ gateway.GuardSession = (*session)(nil)

// openVerdict is the verdict on an answer passed through unscanned.
var openVerdict = gateway.GuardVerdict{Action: gateway.GuardAllow, FailOpen: true,
	Reasons: []string{"passed unscanned because the request could not be scanned and the tenant's policy fails open"}}

// anyJSON is the schema tool-call arguments are checked against while a
// response_format schema is set: that schema describes the text answer,
// and arguments need only be JSON.
var anyJSON = []byte(`true`)

func (s *session) Texts() []string {
	if s.open {
		return nil
	}
	return s.req.Texts()
}

func (s *session) SystemLine() string {
	if s.open {
		return ""
	}
	return s.req.CanaryLine()
}

// useSchema points the engine at the schema for text answers (args false)
// or for tool-call arguments. The engine keeps one schema per request, so
// it is swapped only when the kind of text changes.
func (s *session) useSchema(args bool) {
	if s.schema == nil || s.args == args {
		return
	}
	raw := s.schema
	if args {
		raw = anyJSON
	}
	// Both compiled once already, in Check and here.
	s.req.ExpectSchema(raw)
	s.args = args
}

func (s *session) Answer(ctx context.Context, text string, retried bool) (gateway.GuardVerdict, string) {
	if s.open {
		return openVerdict, text
	}
	s.useSchema(false)
	return s.check(ctx, text, retried)
}

func (s *session) ToolArgs(ctx context.Context, args string, retried bool) (gateway.GuardVerdict, string) {
	if s.open {
		return openVerdict, args
	}
	s.useSchema(true)
	return s.check(ctx, args, retried)
}

func (s *session) check(ctx context.Context, text string, retried bool) (gateway.GuardVerdict, string) {
	v, out := s.req.CheckResponse(ctx, text, retried)
	if !v.Scanned && v.Action == guard.Allow {
		// Failed open: the engine returns no text, and the answer goes
		// out as the model wrote it.
		out = text
	}
	return verdict(v), out
}

func (s *session) Stream() gateway.StreamFilter {
	return &filter{s: s}
}

// filter checks a streamed answer, one engine stream per text block.
type filter struct {
	s   *session
	cur *guard.ResponseStream
	v   gateway.GuardVerdict
}

var _ gateway.StreamFilter = (*filter)(nil)

func (f *filter) Text(ctx context.Context, _ int, delta string) (string, bool) {
	if f.s.open {
		return delta, false
	}
	if f.cur == nil {
		f.s.useSchema(false)
		f.cur = f.s.req.Stream()
	}
	out, err := f.cur.Write(ctx, delta)
	if err != nil {
		f.end(ctx)
		return "", true
	}
	return out, false
}

func (f *filter) EndText(ctx context.Context, _ int) (string, bool) {
	if f.s.open || f.cur == nil {
		return "", false
	}
	return f.end(ctx)
}

// end closes the current text block's engine stream and notes its
// verdict.
func (f *filter) end(ctx context.Context) (string, bool) {
	tail, v := f.cur.Close(ctx)
	f.cur = nil
	f.v = f.v.Merge(verdict(v))
	if v.Action == guard.Block || v.Action == guard.Retry {
		return "", true
	}
	return tail, false
}

func (f *filter) Close(ctx context.Context) gateway.GuardVerdict {
	if f.s.open {
		return openVerdict
	}
	if f.cur != nil {
		f.end(ctx)
	}
	return f.v
}
