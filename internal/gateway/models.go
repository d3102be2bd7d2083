package gateway

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// visibleModels returns the route aliases and model names a caller may
// use, in configuration order.
func (g *Gateway) visibleModels(c Caller) []string {
	out := make([]string, 0, len(g.models))
	for _, m := range g.models {
		if len(c.AllowedModels) == 0 || slices.Contains(c.AllowedModels, m) {
			out = append(out, m)
		}
	}
	return out
}

// anthropicClient reports whether the request comes from an Anthropic SDK,
// which lists models in its own shape.
func anthropicClient(r *http.Request) bool {
	return r.Header.Get("anthropic-version") != ""
}

func (g *Gateway) serveModels(w http.ResponseWriter, r *http.Request) {
	proto := chat.OpenAI
	if anthropicClient(r) {
		proto = chat.Anthropic
	}
	x := g.begin(w, r, apiModels, proto)
	defer g.finish(x)
	if !g.identify(w, r, x) {
		return
	}
	caller := x.caller
	models := g.visibleModels(caller)
	var b []byte
	if proto == chat.Anthropic {
		b = append(b, `{"data":[`...)
		for i, m := range models {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAnthropicModel(b, m)
		}
		b = append(b, `],"has_more":false,"first_id":`...)
		if len(models) > 0 {
			b = chat.AppendString(b, models[0])
			b = append(b, `,"last_id":`...)
			b = chat.AppendString(b, models[len(models)-1])
		} else {
			b = append(b, `null,"last_id":null`...)
		}
		b = append(b, '}')
	} else {
		b = append(b, `{"object":"list","data":[`...)
		for i, m := range models {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOpenAIModel(b, m)
		}
		b = append(b, "]}"...)
	}
	writeJSON(w, x, b)
}

func (g *Gateway) serveModel(w http.ResponseWriter, r *http.Request) {
	proto := chat.OpenAI
	if anthropicClient(r) {
		proto = chat.Anthropic
	}
	x := g.begin(w, r, apiModels, proto)
	defer g.finish(x)
	if !g.identify(w, r, x) {
		return
	}
	caller := x.caller
	m := r.PathValue("model")
	if _, cerr := g.lookup(caller, m); cerr != nil {
		g.writeError(w, x, cerr)
		return
	}
	if proto == chat.Anthropic {
		writeJSON(w, x, appendAnthropicModel(nil, m))
		return
	}
	writeJSON(w, x, appendOpenAIModel(nil, m))
}

func appendOpenAIModel(b []byte, m string) []byte {
	b = append(b, `{"id":`...)
	b = chat.AppendString(b, m)
	return append(b, `,"object":"model","created":0,"owned_by":"attest"}`...)
}

func appendAnthropicModel(b []byte, m string) []byte {
	b = append(b, `{"type":"model","id":`...)
	b = chat.AppendString(b, m)
	b = append(b, `,"display_name":`...)
	b = chat.AppendString(b, m)
	return append(b, `,"created_at":"1970-01-01T00:00:00Z"}`...)
}

func writeJSON(w http.ResponseWriter, x *exchange, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	x.status = http.StatusOK
	w.Write(b)
}
