package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/vault"
)

// PrivacyRoutes mounts the privacy API.
func (s *Server) PrivacyRoutes(p *privacy.Service) {
	m := s.mux
	m.HandleFunc("POST /api/v1/privacy/requests", s.auth(access.PermSubjects, func(w http.ResponseWriter, r *http.Request) {
		pr, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		var req struct {
			Subject  string `json:"subject"`
			Type     string `json:"type"`
			Deadline string `json:"deadline,omitempty"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		if req.Subject == "" {
			WriteProblem(w, r, http.StatusBadRequest, "missing-subject", "subject is required: the end-user identifier as your product knows it")
			return
		}
		var d time.Duration
		if req.Deadline != "" {
			var err error
			if d, err = time.ParseDuration(req.Deadline); err != nil || d <= 0 {
				WriteProblem(w, r, http.StatusBadRequest, "bad-deadline", "deadline must be a duration such as 720h")
				return
			}
		}
		out, err := p.Open(r.Context(), tenant, pr.Actor(), req.Subject, req.Type, d)
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusCreated, out)
	}))
	m.HandleFunc("GET /api/v1/privacy/requests", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		_, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		rs, err := p.Requests(r.Context(), tenant)
		if s.privacyError(w, r, err) {
			return
		}
		now := time.Now()
		type row struct {
			privacy.Request
			Overdue bool `json:"overdue"`
		}
		out := make([]row, 0, len(rs))
		for _, x := range rs {
			out = append(out, row{x, x.Overdue(now)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	}))
	// The access right: everything held about a subject, as JSON.
	m.HandleFunc("POST /api/v1/privacy/subjects/{id}/export", s.auth(access.PermSubjects, func(w http.ResponseWriter, r *http.Request) {
		pr, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		out, err := p.Export(r.Context(), tenant, pr.Actor(), r.PathValue("id"), r.URL.Query().Get("request"), ledger.StoreReader{Store: s.d.Store})
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusOK, out)
	}))
	m.HandleFunc("POST /api/v1/privacy/subjects/{id}/erase", s.auth(access.PermSubjects, func(w http.ResponseWriter, r *http.Request) {
		pr, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		out, err := p.Erase(r.Context(), tenant, pr.Actor(), r.PathValue("id"), r.URL.Query().Get("request"))
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusOK, out)
	}))
	m.HandleFunc("POST /api/v1/privacy/consent", s.auth(access.PermSubjects, func(w http.ResponseWriter, r *http.Request) {
		pr, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		var req struct {
			Subject string `json:"subject"`
			Purpose string `json:"purpose"`
			Granted *bool  `json:"granted"`
			Source  string `json:"source,omitempty"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		if req.Subject == "" || req.Granted == nil {
			WriteProblem(w, r, http.StatusBadRequest, "missing-field", "subject, purpose and granted (true or false) are required")
			return
		}
		c, err := p.RecordConsent(r.Context(), tenant, pr.Actor(), req.Subject, privacy.Purpose(req.Purpose), *req.Granted, req.Source)
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusCreated, c)
	}))
	m.HandleFunc("GET /api/v1/privacy/consent", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		_, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		cs, err := p.Consents(r.Context(), tenant)
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"consents": nonNil(cs)})
	}))
	m.HandleFunc("PUT /api/v1/privacy/classifications/{kind}/{id}", s.auth(access.PermCompliance, func(w http.ResponseWriter, r *http.Request) {
		pr, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		var req struct {
			Class string `json:"class"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		l, err := p.Classify(r.Context(), tenant, pr.Actor(), r.PathValue("kind"), r.PathValue("id"), privacy.Class(req.Class))
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusOK, l)
	}))
	m.HandleFunc("GET /api/v1/privacy/classifications", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		_, tenant, ok := s.privacyTenant(w, r)
		if !ok {
			return
		}
		ls, err := p.Labels(r.Context(), tenant)
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"classifications": nonNil(ls)})
	}))
	m.HandleFunc("PUT /api/v1/privacy/retention/policies", s.auth(access.PermCompliance, func(w http.ResponseWriter, r *http.Request) {
		pr, _ := PrincipalFrom(r.Context())
		var req struct {
			ID     string `json:"id,omitempty"`
			Tenant string `json:"tenant,omitempty"`
			Class  string `json:"class,omitempty"`
			MaxAge string `json:"max_age"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		d, err := time.ParseDuration(req.MaxAge)
		if err != nil {
			WriteProblem(w, r, http.StatusBadRequest, "bad-max-age", "max_age must be a duration such as 720h")
			return
		}
		// A tenant-scoped key sets policies of its own tenant only: naming
		// another tenant, or replacing another tenant's (or the global)
		// policy by its id, would delete or keep that tenant's data.
		if !pr.Role.CrossTenant() {
			var ok bool
			if req.Tenant, ok = s.tenantFor(w, r, pr, req.Tenant); !ok {
				return
			}
			id := cmp.Or(req.ID, req.Tenant+"-"+cmp.Or(req.Class, "all"))
			if !strings.HasPrefix(id, req.Tenant+"-") {
				WriteProblem(w, r, http.StatusForbidden, "other-tenant", "the ids of tenant "+req.Tenant+"'s policies start with "+req.Tenant+"-; leave id out to derive it")
				return
			}
			ps, err := p.Policies(r.Context())
			if s.privacyError(w, r, err) {
				return
			}
			for _, old := range ps {
				if old.ID == id && old.Tenant != req.Tenant {
					WriteProblem(w, r, http.StatusForbidden, "other-tenant", "policy "+old.ID+" belongs to another tenant; this key sets policies of tenant "+req.Tenant+" only")
					return
				}
			}
		}
		pol, err := p.SetPolicy(r.Context(), pr.Actor(), privacy.Policy{ID: req.ID, Tenant: req.Tenant, Class: privacy.Class(req.Class), MaxAge: d})
		if s.privacyError(w, r, err) {
			return
		}
		writeJSON(w, http.StatusOK, pol)
	}))
	m.HandleFunc("GET /api/v1/privacy/regions/{tenant}", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		pr, _ := PrincipalFrom(r.Context())
		name, ok := s.tenantFor(w, r, pr, r.PathValue("tenant"))
		if !ok {
			return
		}
		tr, err := p.Regions(r.Context(), name)
		if s.privacyError(w, r, err) {
			return
		}
		tr.Allowed = nonNil(tr.Allowed)
		writeJSON(w, http.StatusOK, tr)
	}))
	m.HandleFunc("PUT /api/v1/privacy/regions/{tenant}", s.auth(access.PermCompliance, func(w http.ResponseWriter, r *http.Request) {
		pr, _ := PrincipalFrom(r.Context())
		name, ok := s.tenantFor(w, r, pr, r.PathValue("tenant"))
		if !ok {
			return
		}
		var req struct {
			Allowed []string `json:"allowed"`
			Class   string   `json:"class,omitempty"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		tr := privacy.TenantRegions{Tenant: name, Allowed: req.Allowed, Class: privacy.Class(req.Class)}
		if s.privacyError(w, r, p.SetRegions(r.Context(), pr.Actor(), tr)) {
			return
		}
		tr.Allowed = nonNil(tr.Allowed)
		writeJSON(w, http.StatusOK, tr)
	}))
	m.HandleFunc("GET /api/v1/privacy/retention/policies", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		pr, _ := PrincipalFrom(r.Context())
		ps, err := p.Policies(r.Context())
		if s.privacyError(w, r, err) {
			return
		}
		// A tenant's key sees its own policies and those for every tenant.
		if !pr.Role.CrossTenant() {
			ps = slices.DeleteFunc(ps, func(x privacy.Policy) bool { return !appliesTo(x.Tenant, pr.Tenant) })
		}
		writeJSON(w, http.StatusOK, map[string]any{"policies": nonNil(ps)})
	}))
	m.HandleFunc("POST /api/v1/privacy/retention/runs", s.auth(access.PermCompliance, func(w http.ResponseWriter, r *http.Request) {
		pr, _ := PrincipalFrom(r.Context())
		run, err := p.RunRetention(r.Context(), pr.Actor(), "manual")
		if err != nil && run.ID == "" {
			s.privacyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, run)
	}))
	m.HandleFunc("GET /api/v1/privacy/retention/runs", s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
		pr, _ := PrincipalFrom(r.Context())
		rs, err := p.Runs(r.Context())
		if s.privacyError(w, r, err) {
			return
		}
		if !pr.Role.CrossTenant() {
			// Other tenants' deletion counts are theirs.
			for i := range rs {
				rs[i].Results = slices.DeleteFunc(slices.Clone(rs[i].Results), func(x privacy.PolicyResult) bool { return !appliesTo(x.Tenant, pr.Tenant) })
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"runs": nonNil(rs)})
	}))
}

// appliesTo reports whether a retention policy or result of policyTenant
// concerns tenant: its own, or one for every tenant.
func appliesTo(policyTenant, tenant string) bool {
	return policyTenant == tenant || policyTenant == "" || policyTenant == "*"
}

// privacyTenant resolves the caller and the tenant a privacy request acts
// on: the key's own, or another one named with ?tenant= by an admin or
// auditor key. Any other key that names another tenant is refused, rather
// than quietly acting on the subjects of its own.
func (s *Server) privacyTenant(w http.ResponseWriter, r *http.Request) (access.Principal, string, bool) {
	p, _ := PrincipalFrom(r.Context())
	tenant, ok := s.tenantFor(w, r, p, r.URL.Query().Get("tenant"))
	return p, tenant, ok
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) privacyError(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, vault.ErrHeld):
		WriteProblem(w, r, http.StatusConflict, "legal-hold", err.Error())
	case errors.Is(err, records.ErrNotFound), errors.Is(err, vault.ErrNotFound):
		WriteProblem(w, r, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, ledger.ErrUnavailable):
		WriteProblem(w, r, http.StatusServiceUnavailable, "ledger-unavailable", "the change could not be recorded, so it was not made; retry later")
	case errors.Is(err, privacy.ErrInvalid), errors.Is(err, records.ErrInvalid), errors.Is(err, records.ErrExists):
		WriteProblem(w, r, http.StatusBadRequest, "invalid-request", err.Error())
	default:
		s.internal(w, r, err)
	}
	return true
}
