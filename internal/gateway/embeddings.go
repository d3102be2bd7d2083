package gateway

import (
	"context"
	"net/http"
	"strconv"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
)

func (g *Gateway) serveEmbeddings(w http.ResponseWriter, r *http.Request) {
	x := g.begin(w, r, apiEmbeddings, chat.OpenAI)
	defer g.finish(x)
	caller, err := g.authenticate(r)
	if err != nil {
		g.writeError(w, x, authError(err))
		return
	}
	x.caller = caller
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
	req, err := openai.DecodeEmbedRequest(body)
	if err != nil {
		ce, ok := err.(*chat.Error)
		if !ok {
			ce = chat.BadRequest("", "the request could not be decoded")
		}
		g.refuse(w, x, "bad_request", ce)
		return
	}
	rt, cerr := g.lookup(caller, req.Model)
	if cerr != nil {
		x.route = "unknown"
		g.refuse(w, x, "model_not_found", cerr)
		return
	}
	x.route = rt.cfg.Alias
	g.setSubject(r, x, req.User)
	x.inputs = len(req.Inputs) + req.TokenInputs
	x.promptTexts = req.Inputs
	for _, t := range req.Inputs {
		x.promptBytes += len(t)
	}
	x.estTokens = chat.EstimateTokens(req.Inputs...) + req.TokenInputs
	if len(req.Inputs) > 0 {
		x.lastPrompt = req.Inputs[len(req.Inputs)-1]
	}
	if x.retains() {
		for _, t := range req.Inputs {
			x.promptParts = append(x.promptParts, payloadPart{Role: chat.RoleUser, Text: t})
		}
	}
	ctx, span := g.startSpan(ctx, "embeddings", x.route)
	defer g.endSpan(span, x)
	if !g.admit(ctx, w, x) {
		return
	}
	gr := &GuardRequest{Tenant: caller.Tenant, KeyID: caller.KeyID, Route: x.route}
	for _, t := range req.Inputs {
		gr.Parts = append(gr.Parts, GuardPart{Role: chat.RoleUser, Text: t})
	}
	v, err := g.guard.Inspect(ctx, gr)
	if err != nil {
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "guard_unavailable",
			Message: "the content guard is unavailable; retry shortly"})
		return
	}
	x.inputVerdict = v
	if v.Action == GuardBlock {
		g.refuse(w, x, "guard_block", &chat.Error{Status: http.StatusBadRequest, Kind: chat.KindInvalidRequest, Code: "content_policy",
			Message: "the request was blocked by the content policy"})
		return
	}
	audit := g.startAudit(ctx, x)
	cctx, cancel := context.WithTimeout(ctx, rt.cfg.Timeout)
	defer cancel()
	s, err := g.embedCall(cctx, rt, req)
	x.served = *s
	if s.release != nil {
		defer s.release()
	}
	if !g.awaitAudit(w, x, audit) {
		return
	}
	if err != nil {
		g.chatFailed(w, r, x, err)
		return
	}
	res := s.embed
	x.modelVersion = res.Model
	x.usage = res.Usage
	if x.usage.InputTokens == 0 {
		x.usage.InputTokens = x.estTokens
	}
	out := openai.EncodeEmbedResponse(res, req.EncodingFormat)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	x.setFallbackHeader(w)
	w.WriteHeader(http.StatusOK)
	x.status = http.StatusOK
	w.Write(out)
	http.NewResponseController(w).Flush()
}
