package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vault"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Deps are the domain services the HTTP layer calls.
type Deps struct {
	Log          *ledger.Log
	Store        ledger.Store
	Signer       *ledger.Signer
	VerifierKey  string
	Access       *access.Service
	Vault        *vault.Vault
	Logger       *slog.Logger
	Registry     *prometheus.Registry
	MaxBodyBytes int64
	// Ready reports whether the process can serve; nil means always.
	Ready func(context.Context) error
}

// Server is the HTTP handler tree.
type Server struct {
	d       Deps
	mux     *http.ServeMux
	metrics *httpMetrics
}

// New builds the handler tree. Extra route sets (gateway, registry, vendor,
// ...) are added with Mount.
func New(d Deps) *Server {
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	s := &Server{d: d, mux: http.NewServeMux(), metrics: newHTTPMetrics(d.Registry)}
	s.routes()
	return s
}

// Mux exposes the router so other components can add their routes.
func (s *Server) Mux() *http.ServeMux { return s.mux }

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	m.HandleFunc("GET /readyz", s.ready)
	m.Handle("GET /metrics", promhttp.HandlerFor(s.d.Registry, promhttp.HandlerOpts{}))

	// C2SP tlog-tiles, read-only.
	m.HandleFunc("GET /ledger/checkpoint", s.auth(access.PermRead, s.checkpoint))
	m.HandleFunc("GET /ledger/tile/{path...}", s.auth(access.PermRead, s.tile))

	m.HandleFunc("POST /api/v1/ledger/events", s.auth(access.PermLedgerAppend, s.appendEvent))
	m.HandleFunc("GET /api/v1/ledger/events", s.auth(access.PermRead, s.queryEvents))
	m.HandleFunc("GET /api/v1/ledger/events/{index}", s.auth(access.PermRead, s.getEvent))
	m.HandleFunc("GET /api/v1/ledger/proofs/inclusion", s.auth(access.PermRead, s.inclusionProof))
	m.HandleFunc("GET /api/v1/ledger/proofs/consistency", s.auth(access.PermRead, s.consistencyProof))
	m.HandleFunc("GET /api/v1/ledger/checkpoints", s.auth(access.PermRead, s.listCheckpoints))
	m.HandleFunc("POST /api/v1/ledger/checkpoints", s.auth(access.PermLedgerManage, s.publishCheckpoint))
	m.HandleFunc("GET /api/v1/ledger/key", s.auth(access.PermRead, s.verifierKey))

	m.HandleFunc("POST /api/v1/keys", s.auth(access.PermKeys, s.createKey))
	m.HandleFunc("GET /api/v1/keys", s.auth(access.PermKeys, s.listKeys))
	m.HandleFunc("POST /api/v1/keys/{id}/rotate", s.auth(access.PermKeys, s.rotateKey))
	m.HandleFunc("POST /api/v1/keys/{id}/revoke", s.auth(access.PermKeys, s.revokeKey))

	m.HandleFunc("POST /api/v1/subjects/{id}/erasure", s.auth(access.PermSubjects, s.eraseSubject))
	m.HandleFunc("PUT /api/v1/subjects/{id}/hold", s.auth(access.PermSubjects, s.placeHold))
	m.HandleFunc("DELETE /api/v1/subjects/{id}/hold", s.auth(access.PermSubjects, s.releaseHold))

	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, http.StatusNotFound, "not-found", "no such API endpoint; see docs/API.md")
	})
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Log.Healthy(); err != nil {
		WriteProblem(w, r, http.StatusServiceUnavailable, "ledger-unavailable", "the ledger cannot take entries")
		return
	}
	if s.d.Ready != nil {
		if err := s.d.Ready(r.Context()); err != nil {
			WriteProblem(w, r, http.StatusServiceUnavailable, "not-ready", "the store does not answer")
			return
		}
	}
	w.Write([]byte("ready\n"))
}

// ServeHTTP applies the middleware chain: recovery, request id, security
// headers, metrics and an access log that never records bodies or queries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 64 {
		b := make([]byte, 8)
		rand.Read(b)
		rid = hex.EncodeToString(b)
	}
	w.Header().Set("X-Request-Id", rid)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.d.Logger.Error("handler panic", "request_id", rid, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !sw.wrote {
				WriteProblem(sw, r, http.StatusInternalServerError, "internal", "an internal error occurred; the request id is "+rid)
			}
		}
		_, pattern := s.mux.Handler(r)
		if pattern == "" {
			pattern = "unmatched"
		}
		s.metrics.observe(pattern, sw.status, time.Since(start))
		s.d.Logger.Debug("http", "request_id", rid, "method", r.Method, "route", pattern, "status", sw.status, "dur", time.Since(start))
	}()
	s.mux.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) (access.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(access.Principal)
	return p, ok
}

// WithPrincipal attaches a principal, for handlers mounted by other packages.
func WithPrincipal(ctx context.Context, p access.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// BearerToken extracts the credential from Authorization or x-api-key.
func BearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return r.Header.Get("X-Api-Key")
}

// Authenticate resolves the request's credential, writing a problem and
// returning false if it cannot.
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request, need access.Permission) (access.Principal, bool) {
	tok := BearerToken(r)
	if tok == "" {
		WriteProblem(w, r, http.StatusUnauthorized, "unauthenticated", "send an API key as 'Authorization: Bearer atk_...'; the first admin key is printed when attest serve starts for the first time")
		return access.Principal{}, false
	}
	p, err := s.d.Access.Authenticate(r.Context(), tok)
	switch {
	case errors.Is(err, access.ErrExpired):
		WriteProblem(w, r, http.StatusUnauthorized, "key-expired", "the API key has expired; ask an admin to rotate it")
		return p, false
	case errors.Is(err, access.ErrRevoked):
		WriteProblem(w, r, http.StatusUnauthorized, "key-revoked", "the API key was revoked")
		return p, false
	case err != nil && (errors.Is(err, access.ErrUnknownKey) || errors.Is(err, access.ErrUnauthenticated)):
		WriteProblem(w, r, http.StatusUnauthorized, "unauthenticated", "the API key is not valid")
		return p, false
	case err != nil:
		s.d.Logger.Error("authenticate", "err", err)
		WriteProblem(w, r, http.StatusServiceUnavailable, "auth-unavailable", "credentials cannot be checked right now; retry shortly")
		return p, false
	}
	if !p.Role.Can(need) {
		WriteProblem(w, r, http.StatusForbidden, "forbidden", "the "+string(p.Role)+" role may not do this ("+string(need)+")")
		return p, false
	}
	return p, true
}

// auth wraps a handler with authentication and a permission check.
func (s *Server) auth(need access.Permission, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.Authenticate(w, r, need)
		if !ok {
			return
		}
		h(w, r.WithContext(WithPrincipal(r.Context(), p)))
	}
}

// Auth is auth for route sets mounted by other packages.
func (s *Server) Auth(need access.Permission, h http.HandlerFunc) http.HandlerFunc {
	return s.auth(need, h)
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "attest_http_requests_total", Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "attest_http_request_duration_seconds", Help: "HTTP request duration by route pattern.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9)}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe uses the route pattern, never the raw path, so label values stay
// bounded and carry no identifiers.
func (m *httpMetrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}
