package chat

import (
	"fmt"
	"net/http"
)

// Error kinds, rendered into each protocol's own error type names.
const (
	KindInvalidRequest = "invalid_request"
	KindAuthentication = "authentication"
	KindPermission     = "permission"
	KindNotFound       = "not_found"
	KindTooLarge       = "request_too_large"
	KindRateLimit      = "rate_limit"
	KindServer         = "server"
	KindUnavailable    = "unavailable"
	KindTimeout        = "timeout"
)

// Error is an error the gateway answers to a client. Message must never
// quote prompt or response content.
type Error struct {
	Status  int
	Kind    string
	Code    string
	Param   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// BadRequest returns a 400 error about param.
func BadRequest(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Kind: KindInvalidRequest, Param: param, Message: fmt.Sprintf(format, args...)}
}
