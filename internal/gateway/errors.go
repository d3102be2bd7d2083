package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/attest-ai/attest/internal/gateway/anthropic"
	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
	"github.com/attest-ai/attest/internal/gateway/provider"
)

// writeError answers e in the client's protocol and notes it for the
// audit entry.
func (g *Gateway) writeError(w http.ResponseWriter, x *exchange, e *chat.Error) {
	x.status = e.Status
	if x.errKind == "" {
		x.errKind = e.Kind
	}
	var body []byte
	if x.proto == chat.Anthropic {
		body = anthropic.EncodeError(e)
	} else {
		body = openai.EncodeError(e)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if x.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((x.retryAfter+999_999_999)/1_000_000_000)))
	}
	w.WriteHeader(e.Status)
	w.Write(body)
}

// authError maps an authentication failure to a 401 that says what to do.
func authError(err error) *chat.Error {
	e := &chat.Error{Status: http.StatusUnauthorized, Kind: chat.KindAuthentication, Code: "invalid_api_key"}
	switch {
	case errors.Is(err, errNoKey):
		e.Message = "no API key: send it as Authorization: Bearer <key> or x-api-key: <key>"
	case errors.Is(err, ErrExpiredKey):
		e.Code, e.Message = "expired_api_key", "the API key has expired: ask an administrator for a new one"
	case errors.Is(err, ErrRevokedKey):
		e.Code, e.Message = "revoked_api_key", "the API key has been revoked: ask an administrator for a new one"
	case errors.Is(err, ErrUnknownKey):
		e.Message = "the API key is not valid: check that it was copied whole"
	default:
		e.Status, e.Kind, e.Code = http.StatusServiceUnavailable, chat.KindUnavailable, "auth_unavailable"
		e.Message = "the key store cannot be reached; retry shortly"
	}
	return e
}

var errNoKey = errors.New("no API key")

// upstreamError maps a failed route to the client's error.
func upstreamError(err error, alias string) *chat.Error {
	var pe *provider.Error
	if errors.As(err, &pe) && pe.Final {
		msg := pe.Message
		if msg == "" {
			msg = "the provider refused the request"
		}
		kind := chat.KindInvalidRequest
		if pe.Status == http.StatusRequestEntityTooLarge {
			kind = chat.KindTooLarge
		}
		status := pe.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		return &chat.Error{Status: status, Kind: kind, Code: "upstream_rejected", Message: msg}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &chat.Error{Status: http.StatusGatewayTimeout, Kind: chat.KindTimeout, Code: "upstream_timeout",
			Message: fmt.Sprintf("no provider of %s answered within the route's timeout", alias)}
	}
	return &chat.Error{Status: http.StatusBadGateway, Kind: chat.KindServer, Code: "upstream_failed",
		Message: fmt.Sprintf("every provider of %s failed; the request id in X-Request-Id finds the details in the audit log", alias)}
}
