package openai

import (
	"encoding/json"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// errorType maps a neutral error kind to OpenAI's error type names.
func errorType(kind string) string {
	switch kind {
	case chat.KindInvalidRequest, chat.KindNotFound, chat.KindTooLarge:
		return "invalid_request_error"
	case chat.KindAuthentication:
		return "authentication_error"
	case chat.KindPermission:
		return "permission_error"
	case chat.KindRateLimit:
		return "rate_limit_exceeded"
	case chat.KindTimeout:
		return "timeout"
	case chat.KindUnavailable:
		return "service_unavailable"
	}
	return "server_error"
}

func errorBody(e *chat.Error) []byte {
	b := []byte(`{"error":{"message":`)
	b = chat.AppendString(b, e.Message)
	b = append(b, `,"type":`...)
	b = chat.AppendString(b, errorType(e.Kind))
	b = append(b, `,"param":`...)
	if e.Param == "" {
		b = append(b, "null"...)
	} else {
		b = chat.AppendString(b, e.Param)
	}
	b = append(b, `,"code":`...)
	if e.Code == "" {
		b = append(b, "null"...)
	} else {
		b = chat.AppendString(b, e.Code)
	}
	return append(b, "}}"...)
}

// EncodeError renders an error object as OpenAI does.
func EncodeError(e *chat.Error) []byte { return errorBody(e) }

// DecodeError extracts what an upstream OpenAI error says, for status
// mapping. The message is returned for the client only and must never be
// logged, since upstreams may quote the prompt.
func DecodeError(body []byte) (typ, code, message string) {
	var w struct {
		Error struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &w) != nil {
		return "", "", ""
	}
	var c string
	_ = json.Unmarshal(w.Error.Code, &c)
	return w.Error.Type, c, w.Error.Message
}
