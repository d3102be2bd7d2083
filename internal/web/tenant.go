package web

import (
	"net/http"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/tenant"
)

// TenantRoutes mounts tenant settings: retention mode, fail-open opt-in and
// tenant-wide limits. Only admins change them; every change is evidence.
func (s *Server) TenantRoutes(t *tenant.Service) {
	s.mux.HandleFunc("GET /api/v1/tenants/{tenant}/settings", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		name, ok := s.tenantFor(w, r, p, r.PathValue("tenant"))
		if !ok {
			return
		}
		st, err := t.Get(r.Context(), name)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	}))
	s.mux.HandleFunc("PUT /api/v1/tenants/{tenant}/settings", s.auth(access.PermKeys, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		if p.Role != access.RoleAdmin {
			WriteProblem(w, r, http.StatusForbidden, "forbidden", "only admins change tenant settings")
			return
		}
		var req tenant.Settings
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		req.Tenant = r.PathValue("tenant")
		out, err := t.Set(r.Context(), p.Actor(), req)
		if err != nil {
			if ledgerUnavailable(err) {
				WriteProblem(w, r, http.StatusServiceUnavailable, "ledger-unavailable", "the change could not be recorded, so it was not made")
				return
			}
			WriteProblem(w, r, http.StatusBadRequest, "invalid-settings", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, out)
	}))
}

func ledgerUnavailable(err error) bool { return errorsIs(err, ledger.ErrUnavailable) }
