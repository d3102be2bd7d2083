package gateway

import (
	"net/http"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// serveStoredResponse answers a client that asks for a stored response,
// its input items, or to cancel or delete it. The gateway stores none, so
// once the caller is known it says so.
func (g *Gateway) serveStoredResponse(w http.ResponseWriter, r *http.Request) {
	x := g.begin(w, r, apiResponses, chat.Responses)
	defer g.finish(x)
	if !g.identify(w, r, x) {
		return
	}
	g.writeError(w, x, &chat.Error{Status: http.StatusNotFound, Kind: chat.KindNotFound, Code: "response_not_stored", Param: "response_id",
		Message: "the gateway stores no responses (zero retention), so there is none to retrieve, cancel or delete; keep what you need from the answer when it arrives"})
}
