package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/lineage"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// regCtx is what every registry handler starts from: the caller, the
// tenant it acts on and its ledger actor.
type regCtx struct {
	p      access.Principal
	tenant string
	actor  ledger.Actor
}

// RegistryRoutes mounts the model registry API: models and versions,
// signatures, datasets, prompts, evaluations, changes, deployments, drift
// and lineage. See docs/API.md.
func (s *Server) RegistryRoutes(reg *registry.Service) {
	m := s.mux
	// handle wraps a handler with authentication and the tenant. A
	// cross-tenant role may act on another tenant with ?tenant=.
	handle := func(pattern string, need access.Permission, h func(w http.ResponseWriter, r *http.Request, c regCtx)) {
		m.HandleFunc(pattern, s.auth(need, func(w http.ResponseWriter, r *http.Request) {
			p, _ := PrincipalFrom(r.Context())
			tenant, ok := s.tenantFor(w, r, p, r.URL.Query().Get("tenant"))
			if !ok {
				return
			}
			h(w, r, regCtx{p: p, tenant: tenant, actor: p.Actor()})
		}))
	}
	// reply writes v, or the problem err maps to.
	reply := func(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
		if err != nil {
			s.registryError(w, r, err)
			return
		}
		writeJSON(w, status, v)
	}
	write, read := access.PermModelsWrite, access.PermRead

	// Models and versions.
	handle("POST /api/v1/models", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.ModelSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.RegisterModel(r.Context(), c.tenant, c.actor, spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/models", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		ms, err := reg.Models(r.Context(), c.tenant)
		reply(w, r, http.StatusOK, map[string]any{"models": nonNil(ms)}, err)
	})
	handle("GET /api/v1/models/{name}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		mo, err := reg.Model(r.Context(), c.tenant, r.PathValue("name"))
		if err != nil {
			s.registryError(w, r, err)
			return
		}
		vs, err := reg.Versions(r.Context(), c.tenant, mo.Name)
		if err != nil {
			s.registryError(w, r, err)
			return
		}
		as, err := reg.Aliases(r.Context(), c.tenant, registry.KindModel, mo.Name)
		reply(w, r, http.StatusOK, map[string]any{"model": mo, "versions": nonNil(vs), "aliases": nonNil(as)}, err)
	})
	handle("GET /api/v1/models/{name}/card", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		card, err := reg.Card(r.Context(), c.tenant, r.PathValue("name"))
		if err != nil {
			s.registryError(w, r, err)
			return
		}
		if r.URL.Query().Get("format") == "markdown" || strings.Contains(r.Header.Get("Accept"), "text/markdown") {
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			w.Write(card.Markdown())
			return
		}
		writeJSON(w, http.StatusOK, card)
	})
	handle("POST /api/v1/models/{name}/versions", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.VersionSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.RegisterVersion(r.Context(), c.tenant, c.actor, r.PathValue("name"), spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	version := func(r *http.Request) string { return r.PathValue("name") + "@" + r.PathValue("version") }
	handle("GET /api/v1/models/{name}/versions/{version}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.Version(r.Context(), c.tenant, version(r))
		reply(w, r, http.StatusOK, out, err)
	})
	// The body is the OMS signature file exactly as 'attest model sign'
	// wrote it.
	handle("PUT /api/v1/models/{name}/versions/{version}/signature", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		bundle, ok := s.readRaw(w, r, s.d.MaxBodyBytes)
		if !ok {
			return
		}
		out, err := reg.AttachSignature(r.Context(), c.tenant, c.actor, version(r), bundle)
		reply(w, r, http.StatusOK, out, err)
	})
	handle("GET /api/v1/models/{name}/versions/{version}/signature", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		b, err := reg.Bundle(r.Context(), c.tenant, version(r))
		if err != nil {
			s.registryError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", signing.BundleMediaType)
		w.Write(b)
	})
	// A deployment reports its check of the files at load; 'attest model
	// verify --record' sends the body.
	handle("POST /api/v1/models/{name}/versions/{version}/verifications", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var body signing.VerifiedBody
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &body) {
			return
		}
		out, err := reg.RecordVerification(r.Context(), c.tenant, c.actor, version(r), body)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/models/{name}/versions/{version}/provenance", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.Provenance(r.Context(), c.tenant, version(r))
		reply(w, r, http.StatusOK, out, err)
	})
	handle("GET /api/v1/models/{name}/versions/{version}/history", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.History(r.Context(), c.tenant, version(r))
		reply(w, r, http.StatusOK, out, err)
	})

	// Deployment.
	handle("GET /api/v1/models/{name}/aliases", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		as, err := reg.Aliases(r.Context(), c.tenant, registry.KindModel, r.PathValue("name"))
		reply(w, r, http.StatusOK, map[string]any{"aliases": nonNil(as)}, err)
	})
	handle("GET /api/v1/models/{name}/aliases/{alias}/serve", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		v, err := reg.CanServe(r.Context(), c.tenant, r.PathValue("name"), r.PathValue("alias"))
		reply(w, r, http.StatusOK, map[string]any{"servable": true, "version": v}, err)
	})
	handle("POST /api/v1/models/{name}/aliases/{alias}/rollback", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.Rollback(r.Context(), c.tenant, c.actor, registry.KindModel, r.PathValue("name"), r.PathValue("alias"))
		reply(w, r, http.StatusOK, out, err)
	})

	// Drift monitoring. Windows hold descriptor histograms, never text.
	handle("PUT /api/v1/models/{name}/drift/reference", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var win monitor.Window
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &win) {
			return
		}
		out, err := reg.SetDriftReference(r.Context(), c.tenant, c.actor, r.PathValue("name"), &win)
		out.Window = nil
		reply(w, r, http.StatusOK, out, err)
	})
	handle("POST /api/v1/models/{name}/drift/windows", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req struct {
			Alias  string          `json:"alias"`
			Window *monitor.Window `json:"window"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		if req.Alias == "" {
			req.Alias = registry.AliasProduction
		}
		out, err := reg.ObserveWindow(r.Context(), c.tenant, c.actor, r.PathValue("name"), req.Alias, req.Window)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/drift/alerts", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var as []registry.DriftAlert
		var err error
		if r.URL.Query().Get("overdue") == "true" {
			as, err = reg.OverdueAlerts(r.Context(), c.tenant, time.Now())
		} else {
			as, err = reg.DriftAlerts(r.Context(), c.tenant)
		}
		reply(w, r, http.StatusOK, map[string]any{"alerts": nonNil(as)}, err)
	})
	handle("POST /api/v1/drift/alerts/{id}/close", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req struct {
			Resolution string `json:"resolution"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		out, err := reg.CloseAlert(r.Context(), c.tenant, c.actor, r.PathValue("id"), req.Resolution)
		reply(w, r, http.StatusOK, out, err)
	})

	// Trusted signing keys decide whose model signatures count, so only
	// admins change them: an operator's keys.manage covers its tenant's
	// consumer API keys, not which models may be served.
	trustAdmin := func(w http.ResponseWriter, r *http.Request, c regCtx) bool {
		if c.p.Role != access.RoleAdmin {
			WriteProblem(w, r, http.StatusForbidden, "forbidden", "only admins trust or revoke model-signing keys")
			return false
		}
		return true
	}
	handle("POST /api/v1/signing-keys", access.PermKeys, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		if !trustAdmin(w, r, c) {
			return
		}
		var req struct {
			Name      string `json:"name"`
			PublicKey string `json:"public_key"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		out, err := reg.TrustKey(r.Context(), c.tenant, c.actor, req.Name, []byte(req.PublicKey))
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/signing-keys", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		ks, err := reg.TrustedKeys(r.Context(), c.tenant)
		reply(w, r, http.StatusOK, map[string]any{"keys": nonNil(ks)}, err)
	})
	handle("POST /api/v1/signing-keys/{hint}/revoke", access.PermKeys, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		if !trustAdmin(w, r, c) {
			return
		}
		out, err := reg.RevokeKey(r.Context(), c.tenant, c.actor, r.PathValue("hint"))
		reply(w, r, http.StatusOK, out, err)
	})

	// Datasets.
	handle("POST /api/v1/datasets", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.DatasetSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.RegisterDataset(r.Context(), c.tenant, c.actor, spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/datasets", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		ds, err := reg.Datasets(r.Context(), c.tenant)
		reply(w, r, http.StatusOK, map[string]any{"datasets": nonNil(ds)}, err)
	})
	handle("GET /api/v1/datasets/{name}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		d, err := reg.Dataset(r.Context(), c.tenant, r.PathValue("name"))
		if err != nil {
			s.registryError(w, r, err)
			return
		}
		flags, err := reg.WithdrawnConsent(r.Context(), c.tenant, d.Name)
		reply(w, r, http.StatusOK, map[string]any{"dataset": d, "withdrawn_training_consent": nonNil(flags)}, err)
	})
	handle("POST /api/v1/datasets/{name}/snapshots", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.SnapshotSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.AddSnapshot(r.Context(), c.tenant, c.actor, r.PathValue("name"), spec)
		reply(w, r, http.StatusCreated, out, err)
	})

	// Prompt templates.
	handle("POST /api/v1/prompts", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.PromptSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.CreatePrompt(r.Context(), c.tenant, c.actor, spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/prompts", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		ps, err := reg.Prompts(r.Context(), c.tenant)
		reply(w, r, http.StatusOK, map[string]any{"prompts": nonNil(ps)}, err)
	})
	handle("GET /api/v1/prompts/{name}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.Prompt(r.Context(), c.tenant, r.PathValue("name"))
		reply(w, r, http.StatusOK, out, err)
	})
	handle("POST /api/v1/prompts/{name}/versions", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req struct {
			Template  string   `json:"template"`
			Variables []string `json:"variables,omitempty"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		out, err := reg.AddPromptVersion(r.Context(), c.tenant, c.actor, r.PathValue("name"), req.Template, req.Variables)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/prompts/{name}/aliases/{alias}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.PromptFor(r.Context(), c.tenant, r.PathValue("name"), r.PathValue("alias"))
		reply(w, r, http.StatusOK, out, err)
	})

	// Evaluation suites and results.
	handle("POST /api/v1/evals", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.SuiteSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.RegisterSuite(r.Context(), c.tenant, c.actor, spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/evals", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		ss, err := reg.Suites(r.Context(), c.tenant)
		reply(w, r, http.StatusOK, map[string]any{"suites": nonNil(ss)}, err)
	})
	handle("GET /api/v1/evals/{name}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.Suite(r.Context(), c.tenant, r.PathValue("name"))
		reply(w, r, http.StatusOK, out, err)
	})
	handle("POST /api/v1/evals/{name}/results", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.ResultSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.RecordEval(r.Context(), c.tenant, c.actor, r.PathValue("name"), spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/evals/{name}/results", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		rs, err := reg.EvalResults(r.Context(), c.tenant, r.PathValue("name"))
		reply(w, r, http.StatusOK, map[string]any{"results": nonNil(rs)}, err)
	})
	handle("POST /api/v1/evals/{name}/replays", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req struct {
			ModelVersion      string             `json:"model_version"`
			Metrics           map[string]float64 `json:"metrics"`
			Examples          int                `json:"examples"`
			PredictionsSHA256 string             `json:"predictions_sha256"`
		}
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		out, err := reg.RecordReplay(r.Context(), c.tenant, c.actor, r.PathValue("name"), req.ModelVersion, req.Metrics, req.Examples, req.PredictionsSHA256)
		reply(w, r, http.StatusCreated, out, err)
	})

	// Change management. Approvals need the approve permission; who may
	// decide is further limited by separation of duties.
	handle("POST /api/v1/changes", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.ChangeSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.RequestChange(r.Context(), c.tenant, c.actor, spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("POST /api/v1/changes/emergency", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var spec registry.ChangeSpec
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &spec) {
			return
		}
		out, err := reg.Emergency(r.Context(), c.tenant, c.actor, spec)
		reply(w, r, http.StatusCreated, out, err)
	})
	handle("GET /api/v1/changes", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		cs, err := reg.Changes(r.Context(), c.tenant)
		reply(w, r, http.StatusOK, map[string]any{"changes": nonNil(cs)}, err)
	})
	handle("GET /api/v1/changes/overdue-reviews", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		cs, err := reg.OverdueReviews(r.Context(), c.tenant, time.Now())
		reply(w, r, http.StatusOK, map[string]any{"changes": nonNil(cs)}, err)
	})
	// The key that checks signed decisions and provenance.
	handle("GET /api/v1/changes/decision-key", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		writeJSON(w, http.StatusOK, map[string]string{
			"verifier_key": reg.VerifierKey(), "payload_type": registry.PayloadType, "predicate_type": registry.DecisionPredicateType,
		})
	})
	handle("GET /api/v1/changes/{id}", read, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		out, err := reg.Change(r.Context(), c.tenant, r.PathValue("id"))
		reply(w, r, http.StatusOK, out, err)
	})
	type decision struct {
		Comment string `json:"comment,omitempty"`
		// Outcome is accepted or rejected, for reviews only.
		Outcome string `json:"outcome,omitempty"`
	}
	handle("POST /api/v1/changes/{id}/approve", access.PermApprove, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req decision
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		out, err := reg.Approve(r.Context(), c.tenant, c.actor, r.PathValue("id"), req.Comment)
		reply(w, r, http.StatusOK, out, err)
	})
	handle("POST /api/v1/changes/{id}/reject", access.PermApprove, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req decision
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		out, err := reg.Reject(r.Context(), c.tenant, c.actor, r.PathValue("id"), req.Comment)
		reply(w, r, http.StatusOK, out, err)
	})
	handle("POST /api/v1/changes/{id}/review", access.PermApprove, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		var req decision
		if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
			return
		}
		if req.Outcome != "accepted" && req.Outcome != "rejected" {
			WriteProblem(w, r, http.StatusBadRequest, "invalid-request", "outcome must be accepted or rejected")
			return
		}
		out, err := reg.Review(r.Context(), c.tenant, c.actor, r.PathValue("id"), req.Outcome == "accepted", req.Comment)
		reply(w, r, http.StatusOK, out, err)
	})

	// OpenLineage 2-0-2 run events from training and data pipelines.
	handle("POST /api/v1/lineage", write, func(w http.ResponseWriter, r *http.Request, c regCtx) {
		data, ok := s.readRaw(w, r, lineage.MaxEventSize)
		if !ok {
			return
		}
		out, err := reg.IngestLineage(r.Context(), c.tenant, c.actor, data)
		reply(w, r, http.StatusCreated, out, err)
	})
}

// readRaw reads a JSON body as bytes, for documents kept exactly as sent.
func (s *Server) readRaw(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/vnd.dev.sigstore.bundle") {
		WriteProblem(w, r, http.StatusUnsupportedMediaType, "unsupported-media-type", "send the body as application/json")
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		WriteProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body is over %d bytes", limit))
		return nil, false
	case err != nil:
		WriteProblem(w, r, http.StatusBadRequest, "unreadable-body", "the request body could not be read")
		return nil, false
	case len(b) == 0:
		WriteProblem(w, r, http.StatusBadRequest, "empty-body", "the request body is empty; send a JSON document")
		return nil, false
	}
	return b, true
}

// registryError maps registry errors to problems. Their messages say what
// was wrong and what to do, and hold no sensitive data.
func (s *Server) registryError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, registry.ErrSelfApproval), errors.Is(err, registry.ErrAgentApproval), errors.Is(err, registry.ErrAgentEmergency):
		WriteProblem(w, r, http.StatusForbidden, "separation-of-duties", err.Error())
	case errors.Is(err, registry.ErrForbidden):
		WriteProblem(w, r, http.StatusForbidden, "not-trusted", err.Error())
	case errors.Is(err, registry.ErrNotFound):
		WriteProblem(w, r, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, registry.ErrInvalid), errors.Is(err, records.ErrInvalid):
		WriteProblem(w, r, http.StatusBadRequest, "invalid-request", err.Error())
	case errors.Is(err, registry.ErrGate):
		WriteProblem(w, r, http.StatusUnprocessableEntity, "evaluation-gate", err.Error())
	case errors.Is(err, registry.ErrNotServable):
		WriteProblem(w, r, http.StatusConflict, "not-servable", err.Error())
	case errors.Is(err, registry.ErrConflict), errors.Is(err, records.ErrConflict), errors.Is(err, records.ErrExists):
		WriteProblem(w, r, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, ledger.ErrInvalidEvent):
		WriteProblem(w, r, http.StatusUnprocessableEntity, "invalid-event", err.Error())
	case errors.Is(err, ledger.ErrUnavailable):
		WriteProblem(w, r, http.StatusServiceUnavailable, "ledger-unavailable", "the change could not be recorded, so it was not made; retry later")
	default:
		s.internal(w, r, err)
	}
}
