package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

type keyRequest struct {
	Tenant    string        `json:"tenant"`
	Name      string        `json:"name"`
	Role      access.Role   `json:"role"`
	ActorKind string        `json:"actor_kind,omitempty"`
	Owner     string        `json:"owner,omitempty"`
	Models    []string      `json:"models,omitempty"`
	Limits    access.Limits `json:"limits"`
	// TTL is a Go duration such as "720h"; empty means no expiry.
	TTL string `json:"ttl,omitempty"`
}

type keyResponse struct {
	// Token is shown only in the response that created it.
	Token string     `json:"token,omitempty"`
	Key   access.Key `json:"key"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	var req keyRequest
	if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
		return
	}
	kr := access.KeyRequest{Tenant: req.Tenant, Name: req.Name, Role: req.Role, ActorKind: ledger.ActorKind(req.ActorKind), Owner: req.Owner, Models: req.Models, Limits: req.Limits}
	if kr.Tenant == "" {
		kr.Tenant = p.Tenant
	}
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 {
			WriteProblem(w, r, http.StatusBadRequest, "bad-ttl", "ttl must be a positive duration such as 720h")
			return
		}
		kr.TTL = d
	}
	tok, k, err := s.d.Access.CreateKey(r.Context(), p, kr)
	if s.keyError(w, r, err) {
		return
	}
	writeJSON(w, http.StatusCreated, keyResponse{Token: tok, Key: k})
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	tenant := r.URL.Query().Get("tenant")
	if tenant != "" {
		// Refuse another tenant rather than answer with the key's own.
		if _, ok := s.tenantFor(w, r, p, tenant); !ok {
			return
		}
	}
	ks, err := s.d.Access.Keys(r.Context(), p, tenant)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if ks == nil {
		ks = []access.Key{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": ks})
}

func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	grace := 24 * time.Hour
	if v := r.URL.Query().Get("grace"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			WriteProblem(w, r, http.StatusBadRequest, "bad-grace", "grace must be a duration such as 24h")
			return
		}
		grace = d
	}
	tok, k, err := s.d.Access.Rotate(r.Context(), p, r.PathValue("id"), grace)
	if s.keyError(w, r, err) {
		return
	}
	writeJSON(w, http.StatusCreated, keyResponse{Token: tok, Key: k})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	k, err := s.d.Access.Revoke(r.Context(), p, r.PathValue("id"))
	if s.keyError(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, keyResponse{Key: k})
}

func (s *Server) keyError(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, access.ErrNotFound):
		WriteProblem(w, r, http.StatusNotFound, "no-such-key", "no such key")
	case errors.Is(err, access.ErrForbidden):
		WriteProblem(w, r, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, ledger.ErrUnavailable):
		WriteProblem(w, r, http.StatusServiceUnavailable, "ledger-unavailable", "the change could not be recorded, so it was not made; retry later")
	case errors.Is(err, access.ErrRevoked), errors.Is(err, access.ErrExpired):
		WriteProblem(w, r, http.StatusConflict, "key-inactive", err.Error())
	default:
		WriteProblem(w, r, http.StatusBadRequest, "invalid-key-request", err.Error())
	}
	return true
}
