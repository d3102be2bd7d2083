package anthropic

import (
	"encoding/json"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

func errorType(kind string) string {
	switch kind {
	case chat.KindInvalidRequest:
		return "invalid_request_error"
	case chat.KindAuthentication:
		return "authentication_error"
	case chat.KindPermission:
		return "permission_error"
	case chat.KindNotFound:
		return "not_found_error"
	case chat.KindTooLarge:
		return "request_too_large"
	case chat.KindRateLimit:
		return "rate_limit_error"
	case chat.KindUnavailable:
		return "overloaded_error"
	case chat.KindTimeout:
		return "timeout_error"
	}
	return "api_error"
}

// EncodeError renders an error object as the Messages API does.
func EncodeError(e *chat.Error) []byte {
	b := []byte(`{"type":"error","error":{"type":`)
	b = chat.AppendString(b, errorType(e.Kind))
	b = append(b, `,"message":`...)
	b = chat.AppendString(b, e.Message)
	return append(b, "}}"...)
}

// DecodeError extracts an upstream error's type and message. The message
// goes to the client only and must never be logged.
func DecodeError(body []byte) (typ, message string) {
	var w struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &w) != nil {
		return "", ""
	}
	return w.Error.Type, w.Error.Message
}
