// Package console is attest's web console: server-rendered pages for
// compliance leads, approvers, engineers and auditors, served at / next to
// the API. Pages are html/template with htmx for progressive enhancement and
// uPlot for charts, all embedded in the binary; every page works without
// JavaScript.
//
// Console users have the API's roles. Sessions live in the records store
// under the hash of their token; every sign-in, sign-out and user change is
// a ledger event. Services that other packages provide (controls, registry,
// gateway, vendors, access reviews, audit export) are read through small
// interfaces in sources.go; a page whose service is not configured says so.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/records"
	"golang.org/x/mod/sumdb/tlog"
)

// Store is the persistence the console reads: the ledger's indexes and
// checkpoints, and the records that hold users and sessions.
type Store interface {
	ledger.Store
	records.Store
}

// Log is the ledger as the console uses it: it records sign-ins and user
// changes, reports its size and health, and proves entries.
// *ledger.Log implements it.
type Log interface {
	ledger.Appender
	// Latest is the size of the shared log, entries other replicas
	// appended included.
	Latest(ctx context.Context) (uint64, error)
	Healthy() error
	InclusionProof(ctx context.Context, index, size uint64) ([]tlog.Hash, error)
	LeafHash(ctx context.Context, index uint64) (tlog.Hash, error)
}

var _ Log = (*ledger.Log)(nil)

// Deps are what the console needs. Store, Log, VerifierKey and Access are
// required; every other service is optional.
type Deps struct {
	Store       Store
	Log         Log
	VerifierKey string
	Access      *access.Service
	Privacy     *privacy.Service
	// Tenant is the default tenant of new console users.
	Tenant string
	// DataDir holds finished audit packages under console-exports/.
	DataDir string
	Logger  *slog.Logger
	// OIDC enables single sign-on; nil disables it.
	OIDC *OIDCConfig
	// Witnesses are the verifier keys of witnesses whose cosignatures make
	// a checkpoint "witnessed" on the dashboard once WitnessQuorum of them
	// (default 1) cosigned it.
	Witnesses     []string
	WitnessQuorum int

	Controls  ControlsSource
	Models    ModelsSource
	Approvals ApprovalsSource
	Gateway   GatewayStats
	Vendors   VendorsSource
	Reviews   AccessReviewsSource
	Audit     AuditExporter

	// Failures, if set, keeps the failed sign-in counts, so that replicas
	// sharing it (the gateway's PostgreSQL limit counters) enforce one
	// allowance; without it each process counts its own.
	Failures limits.Backend
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Console serves the web console.
type Console struct {
	d        Deps
	users    *users
	sessions *sessions
	ipLimit  failureCounter
	usrLimit failureCounter
	pages    map[string]*tmpl
	oidc     *oidcClient
	exports  *exports

	sweepMu   sync.Mutex
	lastSweep time.Time
}

// Limits on failed sign-ins per fifteen minutes.
const (
	failuresPerAddress = 30
	failuresPerUser    = 10
	failureWindow      = 15 * time.Minute
)

// New builds the console. It panics if a required dependency is missing,
// which is a wiring mistake, not a runtime condition.
func New(d Deps) *Console {
	if d.Store == nil || d.Log == nil || d.Access == nil || d.VerifierKey == "" {
		panic("console: Store, Log, Access and VerifierKey are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Tenant == "" {
		d.Tenant = "default"
	}
	c := &Console{
		d:        d,
		users:    newUsers(d.Store, d.Log, d.Now),
		sessions: newSessions(d.Store, d.Now),
		ipLimit:  newLimiter(failuresPerAddress, failureWindow, 100_000, d.Now),
		usrLimit: newLimiter(failuresPerUser, failureWindow, 100_000, d.Now),
		pages:    parsePages(),
		exports:  newExports(d.DataDir),
	}
	if d.Failures != nil {
		c.ipLimit = &sharedLimiter{b: d.Failures, kind: "address", max: failuresPerAddress, window: failureWindow, now: d.Now, log: d.Logger}
		c.usrLimit = &sharedLimiter{b: d.Failures, kind: "user", max: failuresPerUser, window: failureWindow, now: d.Now, log: d.Logger}
	}
	if d.OIDC != nil {
		c.oidc = newOIDCClient(*d.OIDC)
	}
	return c
}

// Mount builds the console and adds its routes to mux.
func Mount(mux *http.ServeMux, d Deps) *Console {
	c := New(d)
	c.Routes(mux)
	return c
}

// Routes adds the console's routes. The API keeps /api and /ledger.
func (c *Console) Routes(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, c.secure(fn)) }
	h("GET /static/{file...}", c.static)

	h("GET /login", c.loginPage)
	h("POST /login", c.login)
	h("POST /logout", c.logout)
	h("GET /auth/oidc/login", c.oidcLogin)
	h("GET /auth/oidc/callback", c.oidcCallback)

	read := access.PermRead
	h("GET /{$}", c.page(read, c.dashboard))
	h("GET /controls", c.page(read, c.controlsPage))
	h("GET /controls/{id}", c.page(read, c.controlPage))
	h("GET /evidence", c.page(read, c.evidencePage))
	h("GET /evidence/{index}", c.page(read, c.entryPage))
	h("GET /evidence/{index}/verify", c.page(read, c.verifyPage))
	h("GET /models", c.page(read, c.modelsPage))
	h("GET /models/{name}", c.page(read, c.modelPage))
	h("POST /approvals/{id}", c.action(access.PermApprove, c.decideApproval))
	h("GET /gateway", c.page(read, c.gatewayPage))
	h("POST /gateway/keys/{id}/rotate", c.action(access.PermKeys, c.rotateKey))
	h("POST /gateway/keys/{id}/revoke", c.action(access.PermKeys, c.revokeKey))
	h("GET /vendors", c.page(read, c.vendorsPage))
	h("GET /vendors/reviews/{id}", c.page(read, c.vendorReviewPage))
	h("POST /vendors/upload", c.actionN(access.PermCompliance, maxUpload, c.vendorUpload))
	h("GET /privacy", c.page(read, c.privacyPage))
	h("POST /privacy/requests", c.action(access.PermSubjects, c.openRequest))
	h("POST /privacy/retention", c.action(access.PermCompliance, c.runRetention))
	h("GET /access-reviews", c.page(read, c.reviewsPage))
	h("GET /access-reviews/{id}", c.page(read, c.reviewPage))
	h("POST /access-reviews/{id}/items/{item}", c.action(access.PermCompliance, c.decideItem))
	h("POST /access-reviews/{id}/complete", c.action(access.PermCompliance, c.completeReview))
	h("GET /audit", c.page(read, c.auditPage))
	h("POST /audit/exports", c.action(access.PermCompliance, c.startExport))
	h("GET /audit/exports/{id}", c.page(read, c.exportPage))
	h("GET /audit/exports/{id}/download", c.page(read, c.downloadExport))
	h("GET /users", c.page(read, c.adminOnly(c.usersPage)))
	h("POST /users", c.action(read, c.adminOnly(c.createUser)))
	h("POST /users/{name}", c.action(read, c.adminOnly(c.changeUser)))
}

// contentSecurityPolicy allows only the console's own scripts and styles:
// no inline script, no eval, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

var crossOrigin = http.NewCrossOriginProtection()

// secure sets the security headers of every console response and refuses
// cross-origin state changes before any handler runs.
func (c *Console) secure(h http.HandlerFunc) http.Handler {
	return crossOrigin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		if secureRequest(r) {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h(w, r)
	}))
}

// viewer is the signed-in user of a request.
type viewer struct {
	User  User
	token string
}

func (v *viewer) principal() access.Principal { return v.User.Principal() }

// CSRF is the token forms and htmx requests must echo.
func (v *viewer) CSRF() string { return csrfToken(v.token) }

// Can reports whether the viewer's role grants a permission.
func (v *viewer) Can(p string) bool { return v.User.Role.Can(access.Permission(p)) }

// Admin reports whether the viewer manages console users.
func (v *viewer) Admin() bool { return v.User.Role == access.RoleAdmin }

// authenticate resolves the session cookie to a live, enabled user.
func (c *Console) authenticate(r *http.Request) (*viewer, error) {
	tok := sessionToken(r)
	s, err := c.sessions.lookup(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	u, err := c.users.get(r.Context(), s.User)
	if errors.Is(err, records.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errNoSession
	}
	return &viewer{User: u, token: tok}, nil
}

type handler func(w http.ResponseWriter, r *http.Request, v *viewer)

// page wraps a read-only page: it needs a session and a permission.
func (c *Console) page(need access.Permission, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := c.signedIn(w, r)
		if !ok {
			return
		}
		if !v.User.Role.Can(need) {
			c.fail(w, r, v, http.StatusForbidden, "Your role ("+string(v.User.Role)+") may not open this page.")
			return
		}
		h(w, r, v)
	}
}

// action wraps a state change: a session, the permission and a valid CSRF
// token are all required. An auditor holds only the read permission, so
// every action refuses them here, whatever the page rendered.
func (c *Console) action(need access.Permission, h handler) http.HandlerFunc {
	return c.actionN(need, maxForm, h)
}

// Body limits: forms are small; vendor packets are a few PDFs.
const (
	maxForm   = 64 << 10
	maxUpload = 64 << 20
)

// actionN is action with a body limit of n bytes.
func (c *Console) actionN(need access.Permission, n int64, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		v, ok := c.signedIn(w, r)
		if !ok {
			return
		}
		if !sameToken(requestCSRF(r), v.CSRF()) {
			c.fail(w, r, v, http.StatusForbidden, "This form has expired or did not come from the console. Reload the page and try again.")
			return
		}
		if !v.User.Role.Can(need) || v.User.Role == access.RoleAuditor {
			c.fail(w, r, v, http.StatusForbidden, "Your role ("+string(v.User.Role)+") may not make this change.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, v)
	}
}

// requestCSRF reads the token from the htmx header or the form field.
// Multipart bodies are parsed by the upload handler's own limit first.
func requestCSRF(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

func (c *Console) adminOnly(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) {
		if !v.Admin() {
			c.fail(w, r, v, http.StatusForbidden, "Only admins manage console users.")
			return
		}
		h(w, r, v)
	}
}

// signedIn authenticates or sends the browser to the login page.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request) (*viewer, bool) {
	v, err := c.authenticate(r)
	if err == nil {
		return v, true
	}
	if !errors.Is(err, errNoSession) {
		c.d.Logger.Error("console session", "err", err)
		c.fail(w, r, nil, http.StatusServiceUnavailable, "Sessions cannot be checked right now. Try again in a moment.")
		return nil, false
	}
	next := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		next += "?next=" + urlQueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", next)
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil, false
}

// internal logs an unexpected error and shows a page without details.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	rid := w.Header().Get("X-Request-Id")
	c.d.Logger.Error("console request failed", "request_id", rid, "route", r.Pattern, "err", err)
	c.fail(w, r, v, http.StatusInternalServerError, "Something went wrong on the server. The request id is "+rid+".")
}

func (c *Console) now() time.Time { return c.d.Now() }
