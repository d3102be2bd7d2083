package gateway

import (
	"net/http"
	"strconv"

	"github.com/attest-ai/attest/internal/gateway/anthropic"
	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/limits"
)

// serveCountTokens answers Anthropic's token count endpoint with the
// gateway's own estimate. The prompt reaches no provider and nothing of it
// is kept, so no inference entry is written; the call counts against the
// key's request rate, but not its token budgets, since no model reads it,
// and a key that abuse detection throttled is refused here too.
func (g *Gateway) serveCountTokens(w http.ResponseWriter, r *http.Request) {
	x := g.begin(w, r, apiCountTokens, chat.Anthropic)
	defer g.finish(x)
	if !g.identify(w, r, x) {
		return
	}
	caller := x.caller
	if !g.admitKey(w, x) {
		return
	}
	body, cerr := g.readBody(w, r)
	if cerr != nil {
		g.refuse(w, x, "bad_request", cerr)
		return
	}
	req, err := anthropic.DecodeCountRequest(body)
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
	rate := []limits.Scope{{Kind: "key", ID: caller.KeyID, Limits: limits.Limits{RPM: caller.Limits.RPM}}}
	if !g.applyLimits(r.Context(), w, x, rate, 0) {
		return
	}
	b := append([]byte(`{"input_tokens":`), strconv.Itoa(estimateInput(req))...)
	writeJSON(w, x, append(b, '}'))
}

// estimateInput guesses a request's input tokens the way the limits do,
// from the length of its text, counting the tool definitions the model
// would read too. Images and documents are not counted.
func estimateInput(req *chat.Request) int {
	texts := req.Texts()
	for _, t := range req.Tools {
		texts = append(texts, t.Name, t.Description, string(t.Schema))
	}
	return chat.EstimateTokens(texts...)
}
