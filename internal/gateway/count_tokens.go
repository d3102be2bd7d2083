package gateway

import (
	"net/http"
	"strconv"

	"github.com/attest-ai/attest/internal/gateway/anthropic"
	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/responses"
	"github.com/attest-ai/attest/internal/limits"
)

// serveCountTokens answers Anthropic's token count endpoint.
func (g *Gateway) serveCountTokens(w http.ResponseWriter, r *http.Request) {
	g.countTokens(w, r, apiCountTokens, chat.Anthropic, anthropic.DecodeCountRequest, func(n int) []byte {
		return append(strconv.AppendInt([]byte(`{"input_tokens":`), int64(n), 10), '}')
	})
}

// serveInputTokens answers the Responses API's input token count.
func (g *Gateway) serveInputTokens(w http.ResponseWriter, r *http.Request) {
	decode := func(b []byte) (*chat.Request, error) {
		req, _, err := responses.DecodeRequest(b)
		return req, err
	}
	g.countTokens(w, r, apiInputTokens, chat.Responses, decode, func(n int) []byte {
		return append(strconv.AppendInt([]byte(`{"object":"response.input_tokens","input_tokens":`), int64(n), 10), '}')
	})
}

// countTokens answers a token count request with the gateway's own
// estimate. The prompt reaches no provider and nothing of it is kept, so
// no inference entry is written; the call counts against the key's request
// rate, but not its token budgets, since no model reads it, and a key that
// abuse detection throttled is refused here too.
func (g *Gateway) countTokens(w http.ResponseWriter, r *http.Request, api string, proto chat.Protocol,
	decode func([]byte) (*chat.Request, error), answer func(int) []byte) {
	x := g.begin(w, r, api, proto)
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
	req, err := decode(body)
	if err != nil {
		g.refuseBody(w, x, err)
		return
	}
	if _, ok := g.routeOf(w, x, req.Model); !ok {
		return
	}
	rate := []limits.Scope{{Kind: "key", ID: caller.KeyID, Limits: limits.Limits{RPM: caller.Limits.RPM}}}
	if !g.applyLimits(r.Context(), w, x, rate, 0) {
		return
	}
	writeJSON(w, x, answer(estimateInput(req)))
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
