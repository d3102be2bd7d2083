package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/provider"
)

// guardParts lists a request's texts for the guard with pointers to where
// each came from, so a rewritten text can be put back. It also counts the
// parts no guard can read.
func guardParts(req *chat.Request) (parts []GuardPart, targets []*string, unscanned int) {
	n := 1
	for _, m := range req.Messages {
		n += len(m.Parts)
	}
	parts = make([]GuardPart, 0, n)
	targets = make([]*string, 0, n)
	if len(req.SystemParts) == 0 && req.System != "" {
		// A request built without its parts still has its system prompt
		// scanned, as one part.
		req.SystemParts = []string{req.System}
	}
	for i := range req.SystemParts {
		if req.SystemParts[i] != "" {
			parts = append(parts, GuardPart{Role: GuardRoleSystem, Text: req.SystemParts[i]})
			targets = append(targets, &req.SystemParts[i])
		}
	}
	for mi := range req.Messages {
		m := &req.Messages[mi]
		for pi := range m.Parts {
			p := &m.Parts[pi]
			switch p.Type {
			case chat.PartText:
				if p.Text != "" {
					parts = append(parts, GuardPart{Role: m.Role, Text: p.Text})
					targets = append(targets, &p.Text)
				}
			case chat.PartToolCall:
				if p.Args != "" {
					parts = append(parts, GuardPart{Role: m.Role, Text: p.Args})
					targets = append(targets, &p.Args)
				}
			case chat.PartToolResult:
				// A tool's output comes from outside: instructions in it
				// are indirect injection.
				parts = append(parts, GuardPart{Role: GuardRoleTool, Text: p.Text, Untrusted: true})
				targets = append(targets, &p.Text)
			default:
				unscanned++
			}
		}
	}
	return parts, targets, unscanned
}

// isSystemPart reports whether p points into req.SystemParts.
func isSystemPart(req *chat.Request, p *string) bool {
	for i := range req.SystemParts {
		if p == &req.SystemParts[i] {
			return true
		}
	}
	return false
}

// inspect runs the request guard. A block refuses the request; rewritten
// texts (placeholders, tokens, the canary) replace the originals, and
// req.Edited records where, so that only those members are re-encoded.
func (g *Gateway) inspect(ctx context.Context, w http.ResponseWriter, x *exchange, req *chat.Request) (GuardSession, bool) {
	parts, targets, unscanned := guardParts(req)
	x.unscannedParts = unscanned
	gr := &GuardRequest{Tenant: x.caller.Tenant, KeyID: x.caller.KeyID, Route: x.route, Parts: parts}
	if f := req.ResponseFormat; f != nil && f.Type == chat.FormatJSONSchema && len(f.Schema) > 0 {
		gr.Schema = f.Schema
	}
	sess, ok := g.check(ctx, w, x, gr)
	if !ok {
		return nil, false
	}
	if texts := sess.Texts(); len(texts) == len(targets) {
		for i, t := range texts {
			if *targets[i] == t {
				continue
			}
			req.Rewrites = append(req.Rewrites, chat.Rewrite{Old: *targets[i], New: t})
			*targets[i] = t
			if isSystemPart(req, targets[i]) {
				req.Edited |= chat.EditSystem
			} else {
				req.Edited |= chat.EditMessages
			}
		}
		if req.Edited&chat.EditSystem != 0 {
			req.JoinSystem()
		}
	}
	if line := sess.SystemLine(); line != "" {
		req.SystemLine = line
		req.SystemParts = append(req.SystemParts, line)
		req.JoinSystem()
		req.Edited |= chat.EditSystem
	}
	return sess, true
}

// check asks the guard and refuses what it blocks. A guard that fails
// blocks the request: nothing passes unscanned unless the tenant's policy
// says so, and then the verdict records it.
func (g *Gateway) check(ctx context.Context, w http.ResponseWriter, x *exchange, gr *GuardRequest) (GuardSession, bool) {
	v, sess, err := g.guard.Check(ctx, gr)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			param, msg := ie.Param, ie.Message
			if param == "response_format" {
				// Name the schema where this API takes it.
				switch x.proto {
				case chat.Responses:
					param = "text.format"
				case chat.Anthropic:
					param = "output_config.format"
				}
				msg = strings.ReplaceAll(msg, "response_format", param)
			}
			g.refuse(w, x, "bad_request", chat.BadRequest(param, "%s", msg))
			return nil, false
		}
		g.log.Error("guard check failed; request blocked (fail closed)", "request_id", x.id, "tenant", x.caller.Tenant, "err", err)
		x.guarded = true
		x.inputVerdict = GuardVerdict{Action: GuardBlock, Reasons: []string{"the guard failed, so the request was blocked unscanned (fail closed)"}}
		g.refuse(w, x, "guard_unavailable", guardUnavailable("request"))
		return nil, false
	}
	x.guarded = true
	x.inputVerdict = v
	if v.Action == GuardBlock {
		if !v.Scanned {
			g.refuse(w, x, "guard_unavailable", guardUnavailable("request"))
			return nil, false
		}
		g.refuse(w, x, "guard_block", &chat.Error{Status: http.StatusBadRequest, Kind: chat.KindInvalidRequest, Code: "content_policy",
			Message: "the request was blocked by the content policy: " + reasons(v)})
		return nil, false
	}
	return sess, true
}

func guardUnavailable(what string) *chat.Error {
	return &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "guard_unavailable",
		Message: "the content guards could not check the " + what + " in time and the tenant's policy fails closed, so it was blocked; retry shortly"}
}

func answerBlocked(v GuardVerdict) *chat.Error {
	if !v.Scanned {
		return guardUnavailable("answer")
	}
	return &chat.Error{Status: http.StatusUnprocessableEntity, Kind: chat.KindInvalidRequest, Code: "answer_blocked",
		Message: "the model's answer was withheld by the content policy: " + reasons(v)}
}

func reasons(v GuardVerdict) string {
	if len(v.Reasons) == 0 {
		return "no reason given"
	}
	return strings.Join(v.Reasons, "; ")
}

// guardAnswer checks a whole answer. On a retry verdict it asks the route
// once more and checks the new answer, which the guard then blocks rather
// than retries. It returns who served the answer to send.
// A failed retry returns the upstream error.
func (g *Gateway) guardAnswer(ctx, cctx context.Context, x *exchange, rt *route, req *chat.Request, sess GuardSession, s *served) (*served, *chat.Error, error) {
	for retried := false; ; retried = true {
		v := checkResponse(ctx, sess, s.result, retried)
		x.outputVerdict = v
		switch v.Action {
		case GuardBlock:
			return s, answerBlocked(v), nil
		case GuardRetry:
			if retried {
				return s, answerBlocked(v), nil
			}
		default:
			return s, nil, nil
		}
		first := s.result.Response.Usage
		closeServed(s)
		attempts := s.attempts
		next, err := g.chatCall(cctx, rt, req)
		next.attempts += attempts
		x.served, x.guardRetried = *next, true
		if err != nil {
			return next, nil, err
		}
		u := &next.result.Response.Usage
		u.InputTokens += first.InputTokens
		u.OutputTokens += first.OutputTokens
		s = next
	}
}

// checkResponse checks an answer's text and tool calls, rewrites them with
// what the client may see, and returns the verdict on the whole.
func checkResponse(ctx context.Context, sess GuardSession, res *provider.Result, retried bool) GuardVerdict {
	resp := res.Response
	var v GuardVerdict
	text, first, tools := -1, -1, 0
	var b strings.Builder
	for i, p := range resp.Parts {
		switch p.Type {
		case chat.PartText:
			if first < 0 {
				first = i
			}
			b.WriteString(p.Text)
			text = i
		case chat.PartToolCall:
			tools++
		}
	}
	changed := false
	for i := range resp.Parts {
		p := &resp.Parts[i]
		if p.Type != chat.PartToolCall || p.Args == "" {
			continue
		}
		// Tokens hide behind JSON escapes if the model's encoder wrote
		// < and > that way.
		tv, args := sess.ToolArgs(ctx, chat.UnescapeHTML(p.Args), retried)
		v = v.Merge(tv)
		if args != p.Args {
			p.Args, changed = args, true
		}
	}
	// An answer that only calls tools has no text to check; one with
	// neither is checked as empty text, which a schema rejects.
	if text >= 0 || tools == 0 {
		whole := b.String()
		tv, out := sess.Answer(ctx, whole, retried)
		v = v.Merge(tv)
		if out != whole || text != first {
			changed = true
			if first < 0 {
				resp.Parts = append(resp.Parts, chat.Part{Type: chat.PartText, Text: out})
			} else {
				// Several text parts are checked as one and sent as one.
				resp.Parts[first].Text = out
				kept := resp.Parts[:first+1]
				for _, p := range resp.Parts[first+1:] {
					if p.Type != chat.PartText {
						kept = append(kept, p)
					}
				}
				resp.Parts = kept
			}
		}
	}
	if changed {
		res.Raw = nil
	}
	return v
}

// streamGuard applies the guard to a streamed answer in writeStream: text
// goes through the filter, and a tool call's arguments are held until the
// call ends and checked whole.
type streamGuard struct {
	sess     GuardSession
	filter   StreamFilter
	text     int // index of the open text block, or -1
	tool     int // index of the open tool call, or -1
	args     strings.Builder
	sawText  bool
	sawTool  bool
	verdict  GuardVerdict
	closed   bool
	stopped  bool
	released []chat.Event
}

func newStreamGuard(sess GuardSession) *streamGuard {
	f := sess.Stream()
	if f == nil {
		return nil
	}
	return &streamGuard{sess: sess, filter: f, text: -1, tool: -1}
}

// event filters one upstream event and returns the events to send, in
// order. After stop the stream must end.
func (sg *streamGuard) event(ctx context.Context, e chat.Event) []chat.Event {
	sg.released = sg.released[:0]
	switch e.Type {
	case chat.EventText:
		sg.endTool(ctx)
		if sg.text >= 0 && sg.text != e.Index {
			sg.endText(ctx)
		}
		if sg.stopped {
			return nil
		}
		sg.text, sg.sawText = e.Index, true
		out, stop := sg.filter.Text(ctx, e.Index, e.Text)
		if stop {
			sg.stopped = true
			return sg.released
		}
		if out != "" {
			e.Text = out
			sg.released = append(sg.released, e)
		}
	case chat.EventToolStart:
		sg.endText(ctx)
		sg.endTool(ctx)
		if sg.stopped {
			return sg.released
		}
		sg.tool, sg.sawTool = e.Index, true
		sg.released = append(sg.released, e)
	case chat.EventToolArgs:
		if e.Index == sg.tool {
			sg.args.WriteString(e.Args)
		}
	case chat.EventFinish:
		if !sg.sawText && !sg.sawTool {
			// An answer with neither text nor tool calls is checked as
			// empty text, which a schema rejects.
			sg.text, sg.sawText = 0, true
			if _, stop := sg.filter.Text(ctx, 0, ""); stop {
				sg.stopped = true
			}
		}
		sg.endText(ctx)
		sg.endTool(ctx)
		sg.verdict = sg.verdict.Merge(sg.filter.Close(ctx))
		sg.closed = true
		if sg.verdict.Action == GuardBlock {
			sg.stopped = true
		}
		if !sg.stopped {
			sg.released = append(sg.released, e)
		}
	default:
		sg.released = append(sg.released, e)
	}
	return sg.released
}

func (sg *streamGuard) endText(ctx context.Context) {
	if sg.text < 0 || sg.stopped {
		return
	}
	idx := sg.text
	sg.text = -1
	out, stop := sg.filter.EndText(ctx, idx)
	if stop {
		sg.stopped = true
		return
	}
	if out != "" {
		sg.released = append(sg.released, chat.Event{Type: chat.EventText, Index: idx, Text: out})
	}
}

func (sg *streamGuard) endTool(ctx context.Context) {
	if sg.tool < 0 || sg.stopped {
		return
	}
	idx := sg.tool
	sg.tool = -1
	args := sg.args.String()
	sg.args.Reset()
	if args == "" {
		return
	}
	v, out := sg.sess.ToolArgs(ctx, chat.UnescapeHTML(args), false)
	sg.verdict = sg.verdict.Merge(v)
	// Text went out already, so a retry is not possible: it blocks.
	if v.Action == GuardBlock || v.Action == GuardRetry {
		sg.stopped = true
		return
	}
	sg.released = append(sg.released, chat.Event{Type: chat.EventToolArgs, Index: idx, Args: out})
}

// final returns the verdict on the whole answer once the stream ended,
// however it ended.
func (sg *streamGuard) final(ctx context.Context) GuardVerdict {
	if !sg.closed {
		sg.verdict = sg.verdict.Merge(sg.filter.Close(ctx))
		sg.closed = true
	}
	if sg.stopped && sg.verdict.Action != GuardBlock {
		sg.verdict.Action = GuardBlock
	}
	return sg.verdict
}
