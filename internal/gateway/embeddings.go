package gateway

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
)

func (g *Gateway) serveEmbeddings(w http.ResponseWriter, r *http.Request) {
	x := g.begin(w, r, apiEmbeddings, chat.OpenAI)
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
	req, err := openai.DecodeEmbedRequest(body)
	if err != nil {
		g.refuseBody(w, x, err)
		return
	}
	rt, ok := g.routeOf(w, x, req.Model)
	if !ok {
		return
	}
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
	if !g.admit(ctx, w, x) || !g.checkConsent(ctx, w, x) || !g.checkServable(ctx, w, x, rt) {
		return
	}
	rt, ok = g.routeFor(ctx, w, r, x, rt)
	if !ok || !g.inspectInputs(ctx, w, x, req) {
		return
	}
	actx, audit := g.startAudit(ctx, x)
	cctx, cancel := context.WithTimeout(actx, rt.cfg.Timeout)
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

// inspectInputs runs the request guard over embedding inputs. Token
// arrays cannot be read, so they count as unscanned; rewritten inputs
// replace the originals in the upstream body.
func (g *Gateway) inspectInputs(ctx context.Context, w http.ResponseWriter, x *exchange, req *chat.EmbedRequest) bool {
	x.unscannedParts = req.TokenInputs
	gr := &GuardRequest{Tenant: x.caller.Tenant, KeyID: x.caller.KeyID, Route: x.route, Parts: make([]GuardPart, len(req.Inputs))}
	for i, t := range req.Inputs {
		gr.Parts[i] = GuardPart{Role: chat.RoleUser, Text: t}
	}
	sess, ok := g.check(ctx, w, x, gr)
	if !ok {
		return false
	}
	texts := sess.Texts()
	if len(texts) != len(req.Inputs) || slices.Equal(texts, req.Inputs) {
		return true
	}
	if err := openai.ReplaceEmbedInputs(req, texts); err != nil {
		g.log.Error("rewrite embedding inputs", "request_id", x.id, "err", err)
		x.inputVerdict.Action = GuardBlock
		g.refuse(w, x, "guard_unavailable", guardUnavailable("request"))
		return false
	}
	return true
}
