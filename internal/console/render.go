package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// assetHashes are the first hex digits of each static file's SHA-256. Asset
// URLs carry them, so browsers may cache a file forever and still see a new
// build at once.
var assetHashes = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(h[:6])
		return nil
	})
	return m
}()

func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	h, ok := assetHashes[name]
	if !ok || strings.HasSuffix(name, ".md") {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, staticFS, path.Join("static", name))
}

// tmpl is one parsed page: the layout, the shared partials and the page's
// own file, which defines "content".
type tmpl struct{ t *template.Template }

type navItem struct{ Key, Href, Label string }

var navItems = []navItem{
	{"dashboard", "/", "Dashboard"}, {"controls", "/controls", "Controls"}, {"evidence", "/evidence", "Evidence"},
	{"models", "/models", "Models"}, {"gateway", "/gateway", "Gateway"}, {"vendors", "/vendors", "Vendors"},
	{"privacy", "/privacy", "Privacy"}, {"reviews", "/access-reviews", "Access reviews"}, {"audit", "/audit", "Audit"},
}

// sourceHelp names what to configure when a page's service is missing.
var sourceHelp = map[string]string{
	"controls":  "The control engine is not connected to this console, so control status, history, trend and readiness are unavailable. Connect internal/controls through console.Deps.Controls and restart attest serve.",
	"models":    "The model registry is not connected to this console. Connect internal/registry through console.Deps.Models and restart attest serve.",
	"approvals": "The change approval queue is not connected to this console. Connect the registry's approvals through console.Deps.Approvals and restart attest serve.",
	"gateway":   "Gateway metrics are not connected to this console. Connect internal/gateway's statistics through console.Deps.Gateway and restart attest serve. API keys below come from the access service and work already.",
	"vendors":   "Vendor review is not connected to this console. Connect internal/vendor through console.Deps.Vendors and restart attest serve.",
	"privacy":   "The privacy service is not connected to this console. Pass it as console.Deps.Privacy and restart attest serve.",
	"reviews":   "Access reviews are not connected to this console. Connect access.Reviews through console.Deps.Reviews and restart attest serve.",
	"audit":     "The audit exporter is not connected to this console. Connect internal/audit through console.Deps.Audit and restart attest serve; 'attest audit export' works from the command line meanwhile.",
}

var funcs = template.FuncMap{
	"nav": func(v *viewer) []navItem {
		if v.Admin() {
			return append(slices.Clone(navItems), navItem{"users", "/users", "Users"})
		}
		return navItems
	},
	"help":  func(key string) string { return sourceHelp[key] },
	"asset": func(name string) string { return "/static/" + name + "?v=" + assetHashes[name] },
	"when":  formatTime,
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"age":    formatAge,
	"pct":    func(f float64) string { return fmt.Sprintf("%.0f%%", f) },
	"status": statusTone,
	"label":  func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join": strings.Join,
	"short": func(s string, n int) string {
		if len(s) <= n {
			return s
		}
		return s[:n] + "…"
	},
	"query": func(kv ...string) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				q.Set(kv[i], kv[i+1])
			}
		}
		if len(q) == 0 {
			return ""
		}
		return "?" + q.Encode()
	},
}

// statusTone maps a status, verdict or severity to a badge colour. Text
// always accompanies the colour, so it never carries meaning alone.
func statusTone(s string) string {
	switch s {
	case "pass", "ok", "completed", "approved", "keep", "active", "accept", "ready", "granted", "done":
		return "ok"
	case "stale", "open", "pending", "warning", "medium", "rotating", "accept_with_conditions", "running", "blocked":
		return "warn"
	case "", "low", "info", "none", "not_applicable":
		return "none"
	}
	return "bad"
}

// formatAge says how long something is kept in whole days or hours, as a
// person writes it, instead of Go's 720h0m0s.
func formatAge(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	}
	return d.String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func parsePages() map[string]*tmpl {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*tmpl{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n))
		out[strings.TrimSuffix(base, ".html")] = &tmpl{t: t}
	}
	return out
}

// view is what every template gets.
type view struct {
	V     *viewer // nil on the login and error pages
	Title string
	Nav   string
	Flash string
	Error string
	Data  any
	Now   time.Time
	// OIDC is set when single sign-on is configured.
	OIDC bool
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, vw *view) {
	p, ok := c.pages[name]
	if !ok {
		panic("console: no template " + name)
	}
	vw.Now = c.now()
	vw.OIDC = c.oidc != nil
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", vw); err != nil {
		c.d.Logger.Error("console template", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; the server log has details", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache, private")
	}
	h.Set("Vary", "Cookie, HX-Request")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders an error page with a message that says what to do.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *viewer, status int, msg string) {
	c.render(w, r, status, "error", &view{V: v, Title: http.StatusText(status), Error: msg})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext accepts only local paths as the post-login destination, so the
// login page cannot be used to send people elsewhere. Browsers drop tabs
// and newlines from a Location and read a backslash as a slash, so
// "/\t/evil.example" would lead to //evil.example: a path with any control
// character or backslash is refused.
func safeNext(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return s
}

// redirect sends the browser to a console page after a POST. htmx requests
// get HX-Location, so htmx loads the page and puts its URL in the address
// bar; plain form posts get a 303.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Location", to)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
