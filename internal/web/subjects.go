package web

import (
	"errors"
	"net/http"

	"github.com/attest-ai/attest/internal/vault"
)

// Subject routes take the raw subject identifier in the path and act on its
// pseudonym; the raw identifier is never stored or logged.

// subject resolves the tenant and pseudonym a request acts on. A key that
// cannot act across tenants and names another tenant is refused, rather
// than quietly acting on a subject of its own tenant.
func (s *Server) subject(w http.ResponseWriter, r *http.Request) (tenant, pseudonym string, ok bool) {
	p, _ := PrincipalFrom(r.Context())
	if tenant, ok = s.tenantFor(w, r, p, r.URL.Query().Get("tenant")); !ok {
		return "", "", false
	}
	return tenant, s.d.Vault.Pseudonym(tenant, r.PathValue("id")).ID, true
}

func (s *Server) eraseSubject(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	tenant, sub, ok := s.subject(w, r)
	if !ok {
		return
	}
	rc, err := s.d.Vault.Erase(r.Context(), tenant, sub, p.Actor())
	if errors.Is(err, vault.ErrHeld) {
		WriteProblem(w, r, http.StatusConflict, "legal-hold", err.Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

type holdRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) placeHold(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	var req holdRequest
	if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
		return
	}
	if req.Reason == "" {
		WriteProblem(w, r, http.StatusBadRequest, "missing-reason", "a legal hold needs a reason, such as a matter number")
		return
	}
	tenant, sub, ok := s.subject(w, r)
	if !ok {
		return
	}
	if err := s.d.Vault.PlaceHold(r.Context(), tenant, sub, req.Reason, p.Actor()); err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"subject": sub, "status": "held"})
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	tenant, sub, ok := s.subject(w, r)
	if !ok {
		return
	}
	err := s.d.Vault.ReleaseHold(r.Context(), tenant, sub, p.Actor())
	if errors.Is(err, vault.ErrNotFound) {
		WriteProblem(w, r, http.StatusNotFound, "no-hold", "there is no legal hold on this subject")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"subject": sub, "status": "released"})
}
