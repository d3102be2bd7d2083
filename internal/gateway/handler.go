package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/gateway/abuse"
	"github.com/attest-ai/attest/internal/gateway/anthropic"
	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
	"github.com/attest-ai/attest/internal/gateway/provider"
	"github.com/attest-ai/attest/internal/gateway/responses"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
)

// SubjectHeader carries the end-user identifier when the request body
// has none.
const SubjectHeader = "X-Attest-Subject"

// Routes registers the compatible APIs on mux.
func (g *Gateway) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		g.serveChat(w, r, chat.OpenAI)
	})
	mux.HandleFunc("POST /v1/responses", func(w http.ResponseWriter, r *http.Request) {
		g.serveChat(w, r, chat.Responses)
	})
	// Retrieving, listing the input of, cancelling and deleting a stored
	// response all meet the same answer: there is none.
	mux.HandleFunc("POST /v1/responses/input_tokens", g.serveInputTokens)
	mux.HandleFunc("GET /v1/responses/{id...}", g.serveStoredResponse)
	mux.HandleFunc("POST /v1/responses/{id}/cancel", g.serveStoredResponse)
	mux.HandleFunc("DELETE /v1/responses/{id}", g.serveStoredResponse)
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		g.serveChat(w, r, chat.Anthropic)
	})
	mux.HandleFunc("POST /v1/messages/count_tokens", g.serveCountTokens)
	mux.HandleFunc("POST /v1/embeddings", g.serveEmbeddings)
	mux.HandleFunc("GET /v1/models", g.serveModels)
	mux.HandleFunc("GET /v1/models/{model...}", g.serveModel)
}

// Handler returns an http.Handler serving only the gateway's routes.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	g.Routes(mux)
	return mux
}

func (g *Gateway) begin(w http.ResponseWriter, r *http.Request, api string, proto chat.Protocol) *exchange {
	x := &exchange{id: newRequestID(), start: g.now(), api: api, proto: proto}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		x.addr = ap.Addr()
	}
	w.Header().Set("X-Request-Id", x.id)
	g.metrics.inflight.Inc()
	return x
}

// authenticate reads the API key from Authorization: Bearer or x-api-key.
// identify authenticates the request's key into x.caller, answering the
// client itself when it cannot.
func (g *Gateway) identify(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	c, err := g.authenticate(r)
	if err != nil {
		g.writeError(w, x, authError(err))
		return false
	}
	x.caller = c
	return true
}

func (g *Gateway) authenticate(r *http.Request) (Caller, error) {
	tok := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			tok = strings.TrimSpace(t)
		}
	}
	if tok == "" {
		tok = strings.TrimSpace(r.Header.Get("x-api-key"))
	}
	if tok == "" {
		return Caller{}, errNoKey
	}
	c, err := g.deps.Auth.Authenticate(r.Context(), tok)
	if err != nil {
		return Caller{}, err
	}
	if c.KeyID == "" || c.Tenant == "" {
		return Caller{}, fmt.Errorf("%w: key has no id or tenant", ErrUnknownKey)
	}
	return c, nil
}

// readBody reads the whole request body before anything is written, which
// also keeps HTTP/1.1 streams from being cut when the server would
// otherwise discard an unread body.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *chat.Error) {
	if r.ContentLength > g.cfg.MaxBodyBytes {
		return nil, tooLarge(g.cfg.MaxBodyBytes)
	}
	size := 4096
	if r.ContentLength > 0 {
		// ReadFrom grows a buffer with less than MinRead bytes free, so
		// leave that much room past the declared length.
		size = int(r.ContentLength) + bytes.MinRead
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, tooLarge(g.cfg.MaxBodyBytes)
		}
		return nil, chat.BadRequest("", "the request body could not be read")
	}
	return buf.Bytes(), nil
}

func tooLarge(n int64) *chat.Error {
	return &chat.Error{Status: http.StatusRequestEntityTooLarge, Kind: chat.KindTooLarge, Code: "request_too_large",
		Message: fmt.Sprintf("the request body is larger than %d bytes", n)}
}

// lookup resolves a model name for a caller. Models the caller may not use
// look exactly like models that do not exist, so keys learn nothing about
// other tenants' routes.
func (g *Gateway) lookup(c Caller, model string) (*route, *chat.Error) {
	rt, ok := g.routes[model]
	if ok && (len(c.AllowedModels) == 0 || slices.Contains(c.AllowedModels, model)) {
		return rt, nil
	}
	return nil, &chat.Error{Status: http.StatusNotFound, Kind: chat.KindNotFound, Code: "model_not_found", Param: "model",
		Message: "the model does not exist or this key may not use it; GET /v1/models lists the models this key may use"}
}

// refuse answers an authenticated request that will not be served and
// records why.
// refuseBody refuses a request whose body did not decode.
func (g *Gateway) refuseBody(w http.ResponseWriter, x *exchange, err error) {
	ce, ok := err.(*chat.Error)
	if !ok {
		ce = chat.BadRequest("", "the request could not be decoded")
	}
	g.refuse(w, x, "bad_request", ce)
}

// routeOf finds the route for model that x's caller may use and names it
// in x, or refuses the request.
func (g *Gateway) routeOf(w http.ResponseWriter, x *exchange, model string) (*route, bool) {
	rt, cerr := g.lookup(x.caller, model)
	if cerr != nil {
		x.route = "unknown"
		g.refuse(w, x, "model_not_found", cerr)
		return nil, false
	}
	x.route = rt.cfg.Alias
	return rt, true
}

func (g *Gateway) refuse(w http.ResponseWriter, x *exchange, reason string, e *chat.Error) {
	x.refused = reason
	g.writeError(w, x, e)
}

// admit runs the checks every authenticated request passes before it is
// routed: role, tenant policy, abuse throttling and limits.
func (g *Gateway) admit(ctx context.Context, w http.ResponseWriter, x *exchange) bool {
	if !g.admitKey(w, x) {
		return false
	}
	scopes := []limits.Scope{{Kind: "key", ID: x.caller.KeyID, Limits: x.caller.Limits}, {Kind: "tenant", ID: x.caller.Tenant, Limits: x.policy.Limits}}
	return g.applyLimits(ctx, w, x, scopes, int64(max(x.reserveTokens, x.estTokens)))
}

// completionReserve is how many answer tokens admission holds for a
// request: its max_tokens, or, without one, what the gateway itself asks
// for when a provider needs a limit. Settling returns what went unused.
func completionReserve(maxTokens int) int {
	if maxTokens <= 0 {
		return anthropic.DefaultMaxTokens
	}
	return min(maxTokens, 1<<30)
}

// admitKey refuses a key whose role may not call models or that abuse
// detection throttled.
func (g *Gateway) admitKey(w http.ResponseWriter, x *exchange) bool {
	if !inferenceRoles[x.caller.Role] {
		g.refuse(w, x, "role", roleNotAllowed(x.caller.Role))
		return false
	}
	if throttled, wait := g.detector.Throttled(x.caller.KeyID, g.now()); throttled {
		x.retryAfter = wait
		g.metrics.limited.WithLabelValues("abuse", "throttle").Inc()
		g.refuse(w, x, "abuse_throttle", &chat.Error{Status: http.StatusTooManyRequests, Kind: chat.KindRateLimit, Code: "key_throttled",
			Message: "this key is throttled after unusual traffic; wait for Retry-After or contact an administrator"})
		return false
	}
	return true
}

func roleNotAllowed(role string) *chat.Error {
	return &chat.Error{Status: http.StatusForbidden, Kind: chat.KindPermission, Code: "role_not_allowed",
		Message: "keys with the " + role + " role cannot call models; use a consumer key"}
}

// applyLimits counts the request and its estimated tokens against the
// limits of scopes, and refuses it when one is used up.
func (g *Gateway) applyLimits(ctx context.Context, w http.ResponseWriter, x *exchange, scopes []limits.Scope, tokens int64) bool {
	d, t, err := g.limiter.Admit(ctx, scopes, tokens)
	if err != nil {
		g.log.Error("check limits", "request_id", x.id, "err", err)
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "limits_unavailable",
			Message: "limits cannot be checked right now; retry shortly"})
		return false
	}
	if !d.Allowed {
		x.retryAfter = d.RetryAfter
		g.metrics.limited.WithLabelValues(d.Scope, d.Limit).Inc()
		g.refuse(w, x, "limit_"+d.Scope+"_"+d.Limit, &chat.Error{Status: http.StatusTooManyRequests, Kind: chat.KindRateLimit, Code: "rate_limit_exceeded",
			Message: fmt.Sprintf("the %s limit of this %s is used up; retry after %s", d.Limit, d.Scope, d.RetryAfter.Round(time.Second))})
		return false
	}
	x.ticket = t
	return true
}

// setSubject takes the end-user identifier from the header or the body.
func (g *Gateway) setSubject(r *http.Request, x *exchange, bodyUser string) {
	u := r.Header.Get(SubjectHeader)
	if u == "" {
		u = bodyUser
	}
	if u == "" {
		return
	}
	ref := g.deps.Pseudonymize(x.caller.Tenant, u)
	if ref.Kind != "" && ref.ID != "" {
		x.subject, x.hasSubject = ref, true
	}
}

func (g *Gateway) policyFor(ctx context.Context, w http.ResponseWriter, x *exchange) bool {
	p, err := g.deps.Policies.Policy(ctx, x.caller.Tenant)
	if err != nil {
		g.log.Error("load tenant policy", "request_id", x.id, "tenant", x.caller.Tenant, "err", err)
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "policy_unavailable",
			Message: "the tenant policy cannot be loaded; retry shortly"})
		return false
	}
	switch p.Retention {
	case "":
		p.Retention = RetainZero
	case RetainZero, RetainRedacted, RetainFull:
	default:
		g.log.Error("tenant policy has an unknown retention mode; serving with zero retention", "tenant", x.caller.Tenant)
		p.Retention = RetainZero
	}
	if p.Retention != RetainZero && g.deps.Sealer == nil {
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "retention_unavailable",
			Message: "the tenant's retention mode needs the vault, which is not configured"})
		return false
	}
	x.policy = p
	return true
}

var chatAPIs = map[chat.Protocol]string{chat.OpenAI: apiChat, chat.Responses: apiResponses, chat.Anthropic: apiMessages}

func (g *Gateway) serveChat(w http.ResponseWriter, r *http.Request, proto chat.Protocol) {
	x := g.begin(w, r, chatAPIs[proto], proto)
	defer g.finish(x)
	if !g.identify(w, r, x) {
		return
	}
	ctx := r.Context()
	if !g.policyFor(ctx, w, x) {
		return
	}
	x.audited = true
	body, cerr := g.readBody(w, r)
	if cerr != nil {
		g.refuse(w, x, "bad_request", cerr)
		return
	}
	var req *chat.Request
	var err error
	switch proto {
	case chat.Anthropic:
		if req, err = anthropic.DecodeRequest(body); err == nil {
			req.Beta, err = anthropic.BetaFeatures(r.Header.Values("anthropic-beta"))
		}
	case chat.Responses:
		req, x.echo, err = responses.DecodeRequest(body)
	default:
		req, err = openai.DecodeRequest(body)
	}
	if err != nil {
		g.refuseBody(w, x, err)
		return
	}
	x.stream = req.Stream
	rt, ok := g.routeOf(w, x, req.Model)
	if !ok {
		return
	}
	g.setSubject(r, x, req.User)
	g.measurePrompt(x, req)
	ctx, span := g.startSpan(ctx, "chat", x.route)
	defer g.endSpan(span, x)
	if !g.admit(ctx, w, x) || !g.checkConsent(ctx, w, x) || !g.checkServable(ctx, w, x, rt) {
		return
	}
	rt, ok = g.routeFor(ctx, w, r, x, rt)
	if !ok {
		return
	}
	sess, ok := g.inspect(ctx, w, x, req)
	if !ok {
		return
	}

	actx, audit := g.startAudit(ctx, x)
	// The route timeout bounds the wait for an answer (for streams, the
	// first event); a started stream runs under StreamTimeout.
	limit := rt.cfg.Timeout
	if req.Stream {
		limit = rt.cfg.StreamTimeout
	}
	cctx, cancel := context.WithTimeout(actx, limit)
	defer cancel()
	var firstDeadline *time.Timer
	if req.Stream {
		firstDeadline = time.AfterFunc(rt.cfg.Timeout, cancel)
	}
	s, err := g.chatCall(cctx, rt, req)
	if firstDeadline != nil && !firstDeadline.Stop() && err == nil {
		err = context.DeadlineExceeded
		closeServed(s)
	}
	x.served = *s
	if !g.awaitAudit(w, x, audit) {
		closeServed(s)
		return
	}
	if err != nil {
		g.chatFailed(w, r, x, err)
		return
	}
	if req.Stream {
		if s.release != nil {
			defer s.release()
		}
		g.writeStream(ctx, w, r, x, req, s, sess)
		return
	}
	s, blocked, err := g.guardAnswer(ctx, cctx, x, rt, req, sess, s)
	if s.release != nil {
		defer s.release()
	}
	switch {
	case err != nil:
		g.chatFailed(w, r, x, err)
	case blocked != nil:
		x.errKind = blocked.Code
		g.writeError(w, x, blocked)
	default:
		g.writeResponse(w, x, s)
	}
}

func closeServed(s *served) {
	if s != nil && s.result != nil && s.result.Stream != nil {
		s.result.Stream.Close()
	}
	if s != nil && s.release != nil {
		s.release()
	}
}

func (g *Gateway) chatFailed(w http.ResponseWriter, r *http.Request, x *exchange, err error) {
	if r.Context().Err() != nil {
		x.cancelled, x.status, x.errKind = true, 499, "client_cancelled"
		return
	}
	g.writeError(w, x, upstreamError(err, x.route))
}

// measurePrompt notes sizes, hashes input and keeps the parts that the
// audit entry and the retention modes need.
func (g *Gateway) measurePrompt(x *exchange, req *chat.Request) {
	x.messages = len(req.Messages)
	x.tools = len(req.Tools)
	x.promptTexts = req.Texts()
	for _, t := range x.promptTexts {
		x.promptBytes += len(t)
	}
	x.estTokens = chat.EstimateTokens(x.promptTexts...)
	x.reserveTokens = x.estTokens + completionReserve(req.MaxTokens)
	x.lastPrompt = req.LastUserText()
	if x.retains() {
		if req.System != "" {
			x.promptParts = append(x.promptParts, payloadPart{Role: "system", Text: req.System})
		}
		for _, m := range req.Messages {
			for _, p := range m.Parts {
				if t := p.Text + p.Args; t != "" {
					x.promptParts = append(x.promptParts, payloadPart{Role: m.Role, Text: t})
				}
			}
		}
	}
}

// auditWait is the inference.request entry on its way to the ledger.
type auditWait struct {
	g       *Gateway
	x       *exchange
	once    sync.Once
	pending ledger.Pending     // queued inline
	ch      <-chan auditResult // appended by a goroutine
	err     error              // failed before it was queued
	ctx     context.Context
	cancel  context.CancelFunc
}

type auditResult struct {
	index uint64
	err   error
}

// startAudit prepares the inference.request entry, which becomes durable
// concurrently with the upstream call. The returned context makes the
// upstream transport start the entry once the request is on the wire
// (provider.OnSent), so that encoding it overlaps the upstream's work; if
// no request went out (an in-process provider, an error), awaitAudit starts
// it.
func (g *Gateway) startAudit(ctx context.Context, x *exchange) (context.Context, *auditWait) {
	aw := &auditWait{g: g, x: x}
	aw.ctx, aw.cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	return provider.OnSent(ctx, aw.start), aw
}

// start queues the entry. A ledger that can queue entries
// (ledger.Submitter) gets it here, on the request's goroutine, and only its
// commit overlaps the call; with retained bodies, whose sealing does I/O,
// or another ledger, a goroutine appends it.
func (aw *auditWait) start() {
	aw.once.Do(func() {
		g, x := aw.g, aw.x
		if s, ok := g.deps.Ledger.(ledger.Submitter); ok && !x.retains() {
			e, err := g.requestEvent(aw.ctx, x)
			if err == nil {
				aw.pending, err = s.Submit(aw.ctx, e)
			}
			aw.err = err
			return
		}
		ch := make(chan auditResult, 1)
		aw.ch = ch
		go func() {
			i, err := g.appendRequest(aw.ctx, x)
			ch <- auditResult{i, err}
		}()
	})
}

func (aw *auditWait) wait() (uint64, error) {
	aw.start()
	defer aw.cancel()
	switch {
	case aw.err != nil:
		return 0, aw.err
	case aw.pending != nil:
		return aw.pending.Wait(aw.ctx)
	}
	res := <-aw.ch
	return res.index, res.err
}

// awaitAudit holds the answer until the request entry is durable. If the
// ledger failed, the request gets 503 unless the tenant chose fail-open.
func (g *Gateway) awaitAudit(w http.ResponseWriter, x *exchange, aw *auditWait) bool {
	index, err := aw.wait()
	if err == nil {
		x.requestIndex, x.requestIndexOK = index, true
		return true
	}
	g.metrics.auditFails.WithLabelValues("inference.request", boolLabel(x.policy.FailOpen)).Inc()
	g.log.Error("record inference request", "request_id", x.id, "tenant", x.caller.Tenant, "fail_open", x.policy.FailOpen, "err", err)
	if x.policy.FailOpen {
		x.failedOpen = true
		return true
	}
	g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "audit_unavailable",
		Message: "the audit ledger cannot record requests right now, so none are served; retry shortly"})
	return false
}

func (x *exchange) setFallbackHeader(w http.ResponseWriter) {
	if x.served.fallback != "" {
		w.Header().Set(FallbackHeader, x.served.fallback)
	}
}

func (g *Gateway) startResponseCapture(x *exchange) {
	x.respHash = g.newResponseHash(x.caller.Tenant)
	if x.retains() {
		x.respText = &strings.Builder{}
	}
}

func (x *exchange) capture(s string) {
	x.respHash.Write([]byte(s))
	if x.respText != nil {
		x.respText.WriteString(s)
	}
}

func (g *Gateway) writeResponse(w http.ResponseWriter, x *exchange, s *served) {
	resp := s.result.Response
	raw := s.result.Raw
	if resp.ID == "fallback" {
		resp.ID = fallbackID(x)
	}
	x.modelVersion, x.stopReason, x.usage = resp.Model, resp.StopReason, resp.Usage
	g.startResponseCapture(x)
	for _, p := range resp.Parts {
		x.capture(p.Text)
		x.capture(p.Args)
	}
	if x.usage.InputTokens == 0 && x.usage.OutputTokens == 0 {
		x.usage = chat.Usage{InputTokens: x.estTokens, OutputTokens: chat.EstimateTokens(resp.Text())}
	}
	body := raw
	if body == nil {
		switch x.proto {
		case chat.Anthropic:
			body = anthropic.EncodeResponse(resp)
		case chat.Responses:
			body = responses.EncodeResponse(resp, x.responsesMeta())
		default:
			body = openai.EncodeResponse(resp)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.setFallbackHeader(w)
	w.WriteHeader(http.StatusOK)
	x.status = http.StatusOK
	if _, err := w.Write(body); err != nil {
		x.cancelled = true
	}
	x.ttft = g.now().Sub(x.start)
	// Send the answer before the response entry is appended.
	http.NewResponseController(w).Flush()
}

func fallbackID(x *exchange) string {
	if x.proto == chat.Anthropic {
		return "msg_fallback_" + x.id
	}
	return "chatcmpl-fallback-" + x.id
}

type streamEncoder interface {
	Encode(dst []byte, e chat.Event) []byte
}

func (g *Gateway) writeStream(ctx context.Context, w http.ResponseWriter, r *http.Request, x *exchange, req *chat.Request, s *served, sess GuardSession) {
	stream := s.result.Stream
	defer stream.Close()
	var enc streamEncoder
	var encodeErr func([]byte, *chat.Error) []byte
	switch x.proto {
	case chat.Anthropic:
		enc, encodeErr = &anthropic.StreamEncoder{}, anthropic.EncodeStreamError
	case chat.Responses:
		re := &responses.StreamEncoder{Meta: x.responsesMeta()}
		enc, encodeErr = re, re.EncodeError
	default:
		enc, encodeErr = &openai.StreamEncoder{IncludeUsage: req.IncludeUsage, Created: g.now().Unix()}, openai.EncodeStreamError
	}
	g.startResponseCapture(x)
	sg := newStreamGuard(sess)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	x.setFallbackHeader(w)
	w.WriteHeader(http.StatusOK)
	x.status = http.StatusOK
	rc := http.NewResponseController(w)
	buf := make([]byte, 0, 2048)
	outTokens := 0
	first := true
	one := make([]chat.Event, 1)
	for {
		e, err := stream.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if r.Context().Err() != nil {
				x.cancelled, x.errKind = true, "client_cancelled"
				break
			}
			// Bytes have gone out, so there is no failing over: end the
			// stream with an error event the SDKs understand.
			x.errKind = "upstream_stream_broken"
			if errors.Is(err, context.DeadlineExceeded) {
				x.errKind = "stream_timeout"
			}
			buf = encodeErr(buf[:0], &chat.Error{Status: http.StatusBadGateway, Kind: chat.KindServer, Code: x.errKind,
				Message: "the upstream stream broke off; the answer is incomplete"})
			w.Write(buf)
			rc.Flush()
			break
		}
		switch e.Type {
		case chat.EventStart:
			if e.ID == "fallback" {
				e.ID = fallbackID(x)
			}
			x.modelVersion = e.Model
			x.usage.InputTokens = e.Usage.InputTokens
		case chat.EventText:
			outTokens += chat.EstimateTokens(e.Text)
		case chat.EventToolArgs:
			outTokens += chat.EstimateTokens(e.Args)
		case chat.EventFinish:
			x.stopReason = e.StopReason
			if e.Usage.InputTokens > 0 {
				x.usage.InputTokens = e.Usage.InputTokens
			}
			x.usage.OutputTokens = e.Usage.OutputTokens
			if x.usage.InputTokens == 0 && x.usage.OutputTokens == 0 {
				x.usage = chat.Usage{InputTokens: x.estTokens, OutputTokens: outTokens}
				e.Usage = x.usage
			}
		}
		events := one
		one[0] = e
		if sg != nil {
			events = sg.event(ctx, e)
		}
		buf = buf[:0]
		for _, ev := range events {
			x.capture(ev.Text)
			x.capture(ev.Args)
			buf = enc.Encode(buf, ev)
		}
		if sg != nil && sg.stopped {
			// The guard stopped the answer: send what it released, then
			// an error event, and hang up on the upstream.
			v := sg.final(ctx)
			x.outputVerdict, x.stopReason = v, chat.StopContentFilter
			ce := answerBlocked(v)
			x.errKind = ce.Code
			buf = encodeErr(buf, ce)
			w.Write(buf)
			rc.Flush()
			break
		}
		if len(buf) == 0 {
			continue
		}
		if _, err := w.Write(buf); err != nil {
			x.cancelled, x.errKind = true, "client_cancelled"
			break
		}
		if b, ok := stream.(chat.Buffered); ok && b.Buffered() {
			continue // the next event goes out with this one
		}
		if err := rc.Flush(); err != nil {
			x.cancelled, x.errKind = true, "client_cancelled"
			break
		}
		if first {
			x.ttft = g.now().Sub(x.start)
			first = false
		}
	}
	if sg != nil && x.outputVerdict.Action == "" {
		x.outputVerdict = sg.final(ctx)
	}
	if x.usage.OutputTokens == 0 {
		x.usage.OutputTokens = outTokens
	}
	if x.usage.InputTokens == 0 {
		x.usage.InputTokens = x.estTokens
	}
}

// finish records the end of every request: limits, abuse detection,
// metrics, the log line and the inference.response entry.
func (g *Gateway) finish(x *exchange) {
	g.metrics.inflight.Dec()
	x.latency = g.now().Sub(x.start)
	if x.status == 0 {
		x.status = http.StatusOK
	}
	provider := x.served.provider
	if provider == "" {
		provider = "none"
	}
	route := x.route
	if route == "" {
		route = "none"
	}
	g.metrics.done(x.api, route, provider, x.status, x.served.fallback, x.latency, x.usage.InputTokens, x.usage.OutputTokens)
	if x.ttft > 0 && x.stream {
		g.metrics.ttft.WithLabelValues(x.api, route).Observe(x.ttft.Seconds())
	}
	g.log.LogAttrs(context.Background(), levelFor(x.status), "request",
		slog.String("request_id", x.id), slog.String("api", x.api), slog.String("tenant", x.caller.Tenant), slog.String("key_id", x.caller.KeyID),
		slog.String("route", x.route), slog.String("provider", x.served.provider), slog.Int("status", x.status),
		slog.Float64("latency_ms", float64(x.latency.Microseconds())/1000), slog.Int("input_tokens", x.usage.InputTokens),
		slog.Int("output_tokens", x.usage.OutputTokens), slog.String("fallback", x.served.fallback), slog.Bool("cancelled", x.cancelled),
		slog.String("error", x.errKind), slog.String("refused", x.refused))
	if !x.audited {
		return
	}
	ctx := context.Background()
	if x.ticket != nil {
		if err := g.limiter.Settle(ctx, x.ticket, int64(x.usage.InputTokens+x.usage.OutputTokens)); err != nil {
			g.log.Warn("settle token count", "request_id", x.id, "err", err)
		}
	}
	alerts := g.detector.Observe(abuse.Observation{
		Tenant: x.caller.Tenant, KeyID: x.caller.KeyID, Time: x.start, Addr: x.addr, Prompt: x.lastPrompt,
		Tokens: x.usage.InputTokens + x.usage.OutputTokens, Error: x.status >= 400,
	})
	x.lastPrompt = ""
	for _, a := range alerts {
		g.alert(ctx, a)
	}
	g.appendResponse(x)
}

// alert records an abuse or extraction detection.
func (g *Gateway) alert(ctx context.Context, a abuse.Alert) {
	g.metrics.alerts.WithLabelValues(a.Signal).Inc()
	g.log.Warn("abuse alert", "tenant", a.Tenant, "key_id", a.KeyID, "signal", a.Signal, "value", a.Value, "threshold", a.Threshold)
	body := map[string]any{
		"key_id":         a.KeyID,
		"signal":         a.Signal,
		"value":          a.Value,
		"threshold":      a.Threshold,
		"window_seconds": int64(a.Window / time.Second),
		"action":         "alert",
	}
	if !a.ThrottledUntil.IsZero() {
		body["action"] = "throttle"
		body["throttled_until"] = a.ThrottledUntil.UTC().Format(time.RFC3339)
	}
	e := ledger.MustEvent("gateway.alert", a.Tenant, gatewayActor, body, ledger.Ref{Kind: "api_key", ID: a.KeyID})
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := g.deps.Ledger.Append(actx, e); err != nil {
		g.metrics.auditFails.WithLabelValues(e.Type, "false").Inc()
		g.log.Error("record abuse alert", "key_id", a.KeyID, "err", err)
	}
}
