package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/controls"
)

// controlRoutes mounts the controls API on an engine built from the
// server's own store and ledger, with the built-in catalog. Installations
// with settings or their own controls mount ControlRoutes instead.
func (s *Server) controlRoutes() {
	cs, ok1 := s.d.Store.(controls.Store)
	ks, ok2 := s.d.Store.(access.Store)
	rs, ok3 := s.d.Store.(access.ReviewStore)
	if !ok1 || !ok2 || !ok3 || s.d.Log == nil {
		s.mux.HandleFunc("/api/v1/controls/", func(w http.ResponseWriter, r *http.Request) {
			WriteProblem(w, r, http.StatusServiceUnavailable, "controls-unavailable", "this store keeps no controls state")
		})
		return
	}
	eng, err := controls.New(controls.Deps{Ledger: s.d.Store, Log: s.d.Log, Store: cs, Keys: ks, VerifierKey: s.d.VerifierKey, Logger: s.d.Logger})
	if err != nil {
		panic(err) // the built-in catalog is tested; failing here is a build defect
	}
	var reviews *access.Reviews
	if s.d.Access != nil {
		reviews = access.NewReviews(rs, ks, s.d.Access, s.d.Log)
	}
	s.ControlRoutes(eng, reviews)
}

// ControlRoutes mounts the controls, scoping, readiness, access-review and
// OSCAL endpoints. Reading needs the read permission (auditors read
// everything); changing needs compliance.manage. See docs/API.md.
func (s *Server) ControlRoutes(eng *controls.Engine, reviews *access.Reviews) {
	m := s.mux
	read, manage := access.PermRead, access.PermCompliance
	reply := func(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
		if err != nil {
			s.controlsError(w, r, err)
			return
		}
		writeJSON(w, status, v)
	}

	m.HandleFunc("GET /api/v1/controls", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		last, err := eng.LastRun(r.Context())
		if err != nil && !errors.Is(err, controls.ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		type item struct {
			controls.Control
			Latest *controls.ControlResult `json:"latest,omitempty"`
		}
		cat := eng.Catalog()
		out := struct {
			Version  string               `json:"catalog_version"`
			Criteria []controls.Criterion `json:"criteria"`
			Controls []item               `json:"controls"`
		}{Version: cat.Version, Criteria: cat.Criteria}
		for _, k := range cat.Controls {
			it := item{Control: k}
			if last != nil {
				if cr, ok := last.Result(k.ID); ok {
					it.Latest = &cr
				}
			}
			out.Controls = append(out.Controls, it)
		}
		writeJSON(w, http.StatusOK, out)
	}))
	m.HandleFunc("GET /api/v1/controls/checks", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"checks": controls.Checks()})
	}))
	m.HandleFunc("GET /api/v1/controls/{id}", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		k, ok := eng.Catalog().Control(r.PathValue("id"))
		if !ok {
			WriteProblem(w, r, http.StatusNotFound, "no-such-control", "no control "+r.PathValue("id")+"; GET /api/v1/controls lists them")
			return
		}
		out := map[string]any{"control": k}
		if last, err := eng.LastRun(r.Context()); err == nil {
			if cr, ok := last.Result(k.ID); ok {
				out["latest"] = cr
			}
		}
		writeJSON(w, http.StatusOK, out)
	}))
	m.HandleFunc("POST /api/v1/controls/evaluations", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		run, err := eng.Evaluate(r.Context())
		reply(w, r, http.StatusCreated, run, err)
	}))
	m.HandleFunc("GET /api/v1/controls/history", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		from, to, ok := s.period(w, r, eng)
		if !ok {
			return
		}
		hist, err := controls.History(r.Context(), eng.Reader(), eng.Catalog(), from, to, time.Now().UTC())
		if id := r.URL.Query().Get("control"); err == nil && id != "" {
			var one []controls.ControlHistory
			for _, h := range hist {
				if h.Control == id {
					one = append(one, h)
				}
			}
			hist = one
		}
		reply(w, r, http.StatusOK, map[string]any{"from": from, "to": to, "controls": hist}, err)
	}))
	m.HandleFunc("GET /api/v1/controls/poam", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		from, to, ok := s.period(w, r, eng)
		if !ok {
			return
		}
		now := time.Now().UTC()
		hist, err := controls.History(r.Context(), eng.Reader(), eng.Catalog(), from, to, now)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		end := to
		if end.After(now) {
			end = now
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": controls.POAM(eng.Catalog(), hist, end)})
	}))
	m.HandleFunc("GET /api/v1/controls/readiness", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		rd, err := eng.Readiness(r.Context())
		reply(w, r, http.StatusOK, rd, err)
	}))
	m.HandleFunc("GET /api/v1/controls/scope", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		d, err := eng.Description(r.Context())
		if err == nil && r.URL.Query().Get("format") == "markdown" {
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			w.Write([]byte(d.Markdown()))
			return
		}
		reply(w, r, http.StatusOK, d, err)
	}))
	m.HandleFunc("POST /api/v1/controls/scope/components", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		var c controls.Component
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &c) {
			return
		}
		added, err := eng.AddComponent(r.Context(), p.Actor().ID, c)
		reply(w, r, http.StatusCreated, added, err)
	}))
	m.HandleFunc("DELETE /api/v1/controls/scope/components/{id}", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		if err := eng.RemoveComponent(r.Context(), r.PathValue("id")); err != nil {
			s.controlsError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	m.HandleFunc("PUT /api/v1/controls/scope/overview", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Overview string `json:"overview"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		if err := eng.SetOverview(r.Context(), req.Overview); err != nil {
			WriteProblem(w, r, http.StatusUnprocessableEntity, "invalid-overview", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	m.HandleFunc("POST /api/v1/controls/{id}/attestations", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		var req controls.AttestRequest
		// Evidence travels base64-encoded inside the JSON body.
		if !decodeJSON(w, r, controls.MaxEvidenceBytes*4/3+64<<10, &req) {
			return
		}
		req.Control = r.PathValue("id")
		ref, err := eng.Attest(r.Context(), p.Actor(), req)
		reply(w, r, http.StatusCreated, ref, err)
	}))
	m.HandleFunc("GET /api/v1/controls/evidence/{sha256}", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		ev, err := s.d.Store.(controls.Store).Evidence(r.Context(), r.PathValue("sha256"))
		if err != nil {
			s.controlsError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+ev.Name+`"`)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(ev.Data)
	}))
	m.HandleFunc("GET /api/v1/audit/oscal/{doc}", s.auth(read, func(w http.ResponseWriter, r *http.Request) {
		from, to, ok := s.period(w, r, eng)
		if !ok {
			return
		}
		now := time.Now().UTC()
		var doc any
		switch r.PathValue("doc") {
		case "catalog":
			doc = audit.OSCALCatalog(eng.Catalog(), now)
		case "assessment-results", "poam":
			in, err := audit.Results(r.Context(), eng, from, to, now)
			if err != nil {
				s.internal(w, r, err)
				return
			}
			if r.PathValue("doc") == "poam" {
				doc = audit.OSCALPOAM(in)
			} else {
				doc = audit.OSCALAssessmentResults(in)
			}
		default:
			WriteProblem(w, r, http.StatusNotFound, "no-such-document", "OSCAL documents are catalog, assessment-results and poam")
			return
		}
		writeJSON(w, http.StatusOK, doc)
	}))
	if reviews != nil {
		s.reviewRoutes(reviews)
	}
}

// period reads ?from= and ?to= (dates or RFC 3339 times); from defaults to
// the Type 2 window start, to to now.
func (s *Server) period(w http.ResponseWriter, r *http.Request, eng *controls.Engine) (time.Time, time.Time, bool) {
	q := r.URL.Query()
	bad := func(msg string) (time.Time, time.Time, bool) {
		WriteProblem(w, r, http.StatusBadRequest, "bad-query", msg)
		return time.Time{}, time.Time{}, false
	}
	to := time.Now().UTC()
	var from time.Time
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = controls.ParseDate(v, false); err != nil {
			return bad("from: " + err.Error())
		}
	} else if from, err = eng.WindowStart(r.Context()); err != nil {
		s.internal(w, r, err)
		return time.Time{}, time.Time{}, false
	}
	if from.IsZero() {
		from = to.Add(-controls.Day)
	}
	if v := q.Get("to"); v != "" {
		if to, err = controls.ParseDate(v, true); err != nil {
			return bad("to: " + err.Error())
		}
	}
	if !from.Before(to) {
		return bad("from must be before to")
	}
	return from, to, true
}

type decisionRequest struct {
	Item     string `json:"item"`
	Decision string `json:"decision"`
	Note     string `json:"note,omitempty"`
}

// reviewRoutes mounts access-review campaigns. They list every tenant's
// keys and console users, so reading them needs a cross-tenant role or
// compliance.manage.
func (s *Server) reviewRoutes(rv *access.Reviews) {
	m := s.mux
	manage := access.PermCompliance
	canRead := func(h http.HandlerFunc) http.HandlerFunc {
		return s.auth(access.PermRead, func(w http.ResponseWriter, r *http.Request) {
			p, _ := PrincipalFrom(r.Context())
			if !p.Role.CrossTenant() && !p.Role.Can(manage) {
				WriteProblem(w, r, http.StatusForbidden, "forbidden", "access reviews are visible to admins, compliance and auditors")
				return
			}
			h(w, r)
		})
	}
	m.HandleFunc("POST /api/v1/access-reviews", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		var req struct {
			Tenant  string `json:"tenant,omitempty"`
			DueDays int    `json:"due_days,omitempty"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		if req.DueDays < 0 || req.DueDays > 365 {
			WriteProblem(w, r, http.StatusBadRequest, "bad-due", "due_days must be between 1 and 365")
			return
		}
		rev, items, err := rv.Start(r.Context(), p, access.StartRequest{Tenant: req.Tenant, DueIn: time.Duration(req.DueDays) * controls.Day})
		if err != nil {
			s.controlsError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"review": rev, "items": items})
	}))
	m.HandleFunc("GET /api/v1/access-reviews", canRead(func(w http.ResponseWriter, r *http.Request) {
		rs, err := rv.List(r.Context())
		if rs == nil {
			rs = []access.Review{}
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"reviews": rs})
	}))
	m.HandleFunc("GET /api/v1/access-reviews/{id}", canRead(func(w http.ResponseWriter, r *http.Request) {
		rev, items, err := rv.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			s.controlsError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"review": rev, "items": items})
	}))
	m.HandleFunc("POST /api/v1/access-reviews/{id}/decisions", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		var req decisionRequest
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		it, err := rv.Decide(r.Context(), p, r.PathValue("id"), req.Item, req.Decision, req.Note)
		if err != nil {
			s.controlsError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, it)
	}))
	m.HandleFunc("POST /api/v1/access-reviews/{id}/complete", s.auth(manage, func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		rev, err := rv.Complete(r.Context(), p, r.PathValue("id"))
		if err != nil {
			s.controlsError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, rev)
	}))
}

// controlsError maps domain errors to problems.
func (s *Server) controlsError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, controls.ErrNotFound), errors.Is(err, access.ErrNotFound):
		WriteProblem(w, r, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, controls.ErrInvalidAttestation), errors.Is(err, controls.ErrInvalidComponent), errors.Is(err, access.ErrInvalidRequest):
		WriteProblem(w, r, http.StatusUnprocessableEntity, "invalid-request", err.Error())
	case errors.Is(err, access.ErrForbidden), errors.Is(err, access.ErrSelfReview):
		WriteProblem(w, r, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, access.ErrReviewClosed), errors.Is(err, access.ErrUndecided), errors.Is(err, access.ErrLastAdmin):
		WriteProblem(w, r, http.StatusConflict, "conflict", err.Error())
	default:
		s.internal(w, r, err)
	}
}
