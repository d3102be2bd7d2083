package guardbridge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/attest-ai/attest/internal/gateway"
)

// API serves a tenant's guard policy to its own API keys:
//
//	GET /api/v1/guard/policy   admin, operator, compliance and auditor keys
//	PUT /api/v1/guard/policy   admin keys; the body is a whole Doc
//
// Errors are RFC 9457 problem details.
type API struct {
	Policies *Policies
	Auth     gateway.Authenticator
	Logger   *slog.Logger
	// MaxBodyBytes bounds a PUT body (default 64 KB).
	MaxBodyBytes int64
}

var readRoles = map[string]bool{gateway.RoleAdmin: true, gateway.RoleOperator: true, gateway.RoleAuditor: true, "compliance": true}

// Routes registers the endpoints on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/guard/policy", a.get)
	mux.HandleFunc("PUT /api/v1/guard/policy", a.put)
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	c, ok := a.caller(w, r)
	if !ok {
		return
	}
	if !readRoles[c.Role] {
		writeProblem(w, http.StatusForbidden, "forbidden", "keys with the "+c.Role+" role cannot read the guard policy; use an admin, operator, compliance or auditor key")
		return
	}
	d, err := a.Policies.Get(r.Context(), c.Tenant)
	if err != nil {
		a.logger().Error("read guard policy", "tenant", c.Tenant, "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "store-unavailable", "the guard policy cannot be read right now; retry shortly")
		return
	}
	writeJSON(w, d)
}

func (a *API) put(w http.ResponseWriter, r *http.Request) {
	c, ok := a.caller(w, r)
	if !ok {
		return
	}
	if c.Role != gateway.RoleAdmin {
		writeProblem(w, http.StatusForbidden, "forbidden", "only admin keys change the guard policy")
		return
	}
	limit := a.MaxBodyBytes
	if limit <= 0 {
		limit = 64 << 10
	}
	d, err := DecodeDoc(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "invalid-policy", err.Error())
		return
	}
	if d.Tenant != "" && d.Tenant != c.Tenant {
		writeProblem(w, http.StatusForbidden, "forbidden", "a key may only set its own tenant's guard policy; leave tenant out or set it to "+c.Tenant)
		return
	}
	d.Tenant = c.Tenant
	out, err := a.Policies.Set(r.Context(), c.Actor(), d)
	switch {
	case errors.Is(err, ErrInvalid):
		writeProblem(w, http.StatusBadRequest, "invalid-policy", err.Error())
	case errors.Is(err, ErrNotRecorded):
		a.logger().Error("record guard policy", "tenant", c.Tenant, "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "ledger-unavailable", "the change could not be recorded in the ledger, so it was not made; retry shortly")
	case err != nil:
		a.logger().Error("set guard policy", "tenant", c.Tenant, "err", err)
		writeProblem(w, http.StatusInternalServerError, "policy-not-set", err.Error())
	default:
		writeJSON(w, out)
	}
}

// caller authenticates the request's API key.
func (a *API) caller(w http.ResponseWriter, r *http.Request) (gateway.Caller, bool) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.Header.Get("x-api-key")
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		writeProblem(w, http.StatusUnauthorized, "unauthenticated", "send an API key as Authorization: Bearer <key>")
		return gateway.Caller{}, false
	}
	c, err := a.Auth.Authenticate(r.Context(), tok)
	switch {
	case errors.Is(err, gateway.ErrUnknownKey), errors.Is(err, gateway.ErrExpiredKey), errors.Is(err, gateway.ErrRevokedKey):
		writeProblem(w, http.StatusUnauthorized, "unauthenticated", "the API key is not valid: "+err.Error())
		return gateway.Caller{}, false
	case err != nil:
		a.logger().Error("authenticate guard policy request", "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "auth-unavailable", "the key store cannot be reached; retry shortly")
		return gateway.Caller{}, false
	case c.Tenant == "":
		writeProblem(w, http.StatusUnauthorized, "unauthenticated", "the API key belongs to no tenant")
		return gateway.Caller{}, false
	}
	return c, true
}

func (a *API) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "encode", "the answer could not be encoded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
}

// writeProblem answers an RFC 9457 problem detail.
func writeProblem(w http.ResponseWriter, status int, typ, detail string) {
	b, _ := json.Marshal(map[string]any{
		"type": "https://attest.dev/problems/" + typ, "title": http.StatusText(status), "status": status, "detail": detail,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
