package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/output"
	"github.com/attest-ai/attest/internal/guard/pii"
)

// Request is the guard state of one request: the texts to send upstream
// and what is needed to check the answer. The PII token mapping lives
// only here, in memory, and dies with it.
type Request struct {
	e       *Engine
	verdict Verdict
	texts   []string
	red     *pii.Redactor
	canary  string
	planted bool
	schema  *output.Schema
}

// Texts returns the parts to send upstream, in the order given, with PII
// replaced and a canary planted in the system prompt. After a blocking or
// unscanned verdict they are the original texts and must not be sent
// unless the verdict allows it.
func (r *Request) Texts() []string { return r.texts }

// CanaryLine returns a sentence to add as a system message when the
// request had no system prompt to plant the canary in; empty otherwise.
func (r *Request) CanaryLine() string {
	if r.canary == "" || r.planted {
		return ""
	}
	r.planted = true
	return output.CanaryLine(r.canary)
}

// ExpectSchema records the json_schema of the request's response_format;
// answers are then validated against it.
func (r *Request) ExpectSchema(raw []byte) error {
	s, err := output.CompileSchema(raw)
	if err != nil {
		return err
	}
	r.schema = s
	return nil
}

// CheckResponse checks a complete answer. It returns the verdict and the
// text to give the client: PII redacted by the tenant's policy and the
// request's tokens restored. retried says this answer is already the one
// retry that a Retry verdict allows.
func (r *Request) CheckResponse(ctx context.Context, answer string, retried bool) (Verdict, string) {
	e := r.e
	type checked struct {
		v    Verdict
		text string
	}
	res, err := guarded(ctx, e.policy.timeout(), func(ctx context.Context) (checked, error) {
		v := Verdict{Action: Allow, Scanned: true}
		text := answer
		var findings []pii.Finding
		if r.red != nil {
			findings = e.pii.Scanner.Scan(answer)
			var pr pii.Result
			text, pr = r.red.Apply(answer, findings)
			v.Entities = pr.Counts
			v.Modified = text != answer
			text = r.red.Restore(text)
		}
		if e.policy.Output != nil {
			ov := e.policy.Output.Check(answer, output.Request{Schema: r.schema, Canary: r.canary, Retried: retried}, findings, e.pii)
			v.raise(Action(ov.Action), "")
			v.Reasons = append(v.Reasons, ov.Reasons...)
		}
		return checked{v, text}, ctx.Err()
	})
	if err != nil {
		return e.failed(err), ""
	}
	return res.v, res.text
}

// ErrStopped is returned by a ResponseStream that must not release any
// more text.
var ErrStopped = errors.New("answer stopped by the guards")

// ResponseStream checks a streamed answer chunk by chunk. Text is released
// only once it is safe: PII split across chunks is still caught, and a
// leaked canary is caught before it is released.
type ResponseStream struct {
	r        *Request
	s        *pii.StreamRedactor
	whole    strings.Builder // kept only to validate a schema at the end
	window   string          // recent text, for canary checks across chunks
	released int
	verdict  Verdict
	stopped  bool
	// passthrough is set when the guards failed and the policy fails
	// open: chunks then go out unscanned, as the verdict says. The failed
	// call may still be running, so the guard state is not touched again.
	passthrough bool
}

// Stream starts checking a streamed answer.
func (r *Request) Stream() *ResponseStream {
	rs := &ResponseStream{r: r, verdict: Verdict{Action: Allow, Scanned: true}}
	if r.red != nil {
		rs.s = r.red.Stream(true)
	}
	return rs
}

// Write adds a chunk and returns the text that may be released now. After
// ErrStopped the gateway must end the stream; Close gives the verdict.
func (s *ResponseStream) Write(ctx context.Context, chunk string) (string, error) {
	if s.stopped {
		return "", ErrStopped
	}
	if s.passthrough {
		return chunk, nil
	}
	e := s.r.e
	out, err := guarded(ctx, e.policy.timeout(), func(ctx context.Context) (string, error) {
		return s.write(chunk), nil
	})
	if err != nil {
		s.fail(err)
		if s.passthrough {
			return chunk, nil
		}
		return "", ErrStopped
	}
	if s.stopped {
		return "", ErrStopped
	}
	return out, nil
}

// canaryWindow is how much recent text is searched for a canary that
// arrives split over chunks.
const canaryWindow = 512

func (s *ResponseStream) write(chunk string) string {
	e := s.r.e
	if s.r.schema != nil {
		s.whole.WriteString(chunk)
	}
	if s.r.canary != "" {
		s.window += chunk
		if output.Leaked(s.window, s.r.canary) {
			s.stop(e.outputAction(func(p *output.Policy) output.Action { return p.OnCanary }), "answer reveals the system prompt canary")
			return ""
		}
		if len(s.window) > canaryWindow {
			cut := len(s.window) - canaryWindow
			for cut < len(s.window) && !utf8.RuneStart(s.window[cut]) {
				cut++
			}
			s.window = s.window[cut:]
		}
	}
	out := chunk
	if s.s != nil {
		out = s.s.Write(chunk)
		s.checkPII()
	}
	return s.release(out)
}

func (s *ResponseStream) release(out string) string {
	if s.stopped {
		return ""
	}
	if op := s.r.e.policy.Output; op != nil && op.MaxChars > 0 && s.released+len(out) > op.MaxChars {
		s.stop(op.OnLength, fmt.Sprintf("answer exceeds %d characters", op.MaxChars))
		return ""
	}
	s.released += len(out)
	return out
}

func (s *ResponseStream) checkPII() {
	res := s.s.Result()
	s.verdict.Entities = res.Counts
	if len(res.Blocked) > 0 {
		s.stop(s.r.e.outputAction(func(p *output.Policy) output.Action { return p.OnPII }), "answer contains "+string(res.Blocked[0]))
	}
}

func (e *Engine) outputAction(pick func(*output.Policy) output.Action) output.Action {
	if e.policy.Output == nil {
		return output.Block
	}
	return pick(e.policy.Output)
}

// stop ends the stream if a stops it; a flag only notes the reason. A
// retry cannot be honoured once text was released, so it blocks.
func (s *ResponseStream) stop(a output.Action, reason string) {
	switch a {
	case output.Allow:
		return
	case output.Flag:
		s.verdict.raise(Flag, reason)
		return
	}
	s.verdict.raise(Block, reason)
	s.stopped = true
}

// fail records a guard failure. Text the redactor still held is dropped
// either way, because the failed call may still own it.
func (s *ResponseStream) fail(err error) {
	fv := s.r.e.failed(err)
	s.verdict.Scanned = false
	s.verdict.raise(fv.Action, fv.Reasons[0])
	s.verdict.FailOpen = fv.FailOpen
	s.stopped = !fv.FailOpen
	s.passthrough = fv.FailOpen
}

// Close releases what is still held and returns it with the verdict on the
// whole answer.
func (s *ResponseStream) Close(ctx context.Context) (string, Verdict) {
	if s.stopped || s.passthrough {
		return "", s.verdict
	}
	e := s.r.e
	out, err := guarded(ctx, e.policy.timeout(), func(ctx context.Context) (string, error) {
		var out string
		if s.s != nil {
			out = s.s.Flush()
			s.checkPII()
		}
		out = s.release(out)
		if s.r.schema != nil && e.policy.Output != nil && !s.stopped {
			if err := s.r.schema.Validate([]byte(s.whole.String())); err != nil {
				// Text already went out, so a retry is no longer possible.
				a := e.policy.Output.OnSchema
				if a == output.Retry {
					a = output.Block
				}
				s.stop(a, err.Error())
			}
		}
		return out, nil
	})
	if err != nil {
		s.fail(err)
		return "", s.verdict
	}
	if s.stopped {
		return "", s.verdict
	}
	return out, s.verdict
}
