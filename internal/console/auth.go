package console

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// consoleActor is the actor of events about sign-ins that name no user.
var consoleActor = ledger.Actor{Kind: ledger.ActorService, ID: "console"}

type loginData struct {
	CSRF string
	Next string
	Name string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := c.authenticate(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, "", "")
}

// renderLogin shows the form with a fresh pre-session CSRF token, which the
// form echoes and a cookie holds (double submit).
func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	tok := newToken()
	setCookie(w, r, cookieLogin, tok, time.Hour)
	w.Header().Set("Cache-Control", "no-store")
	next := safeNext(r.FormValue("next"))
	c.render(w, r, status, "login", &view{Title: "Sign in to attest", Error: msg, Data: loginData{CSRF: tok, Next: next, Name: name}})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

const badLogin = "The name or the password is wrong."

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	ck, err := r.Cookie(cookieLogin)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		c.renderLogin(w, r, http.StatusForbidden, "", "The sign-in form expired. Please try again.")
		return
	}
	name, pw := r.PostFormValue("name"), r.PostFormValue("password")
	addr := clientAddr(r)
	if blocked, left := c.ipLimit.blocked(r.Context(), addr); blocked {
		c.tooMany(w, r, name, left)
		return
	}
	u, err := c.users.get(r.Context(), name)
	known := err == nil
	if err != nil && !errors.Is(err, records.ErrNotFound) && !errors.Is(err, records.ErrInvalid) {
		c.d.Logger.Error("console login lookup", "err", err)
		c.renderLogin(w, r, http.StatusServiceUnavailable, name, "Sign-in is unavailable right now. Try again in a moment.")
		return
	}
	if known {
		if blocked, left := c.usrLimit.blocked(r.Context(), u.Name); blocked {
			c.tooMany(w, r, name, left)
			return
		}
	}
	hash := dummyHash
	if known && u.Hash != "" {
		hash = u.Hash
	}
	ok, err := checkPassword(hash, pw)
	if err != nil {
		c.d.Logger.Error("console password hash", "user", u.Name, "err", err)
	}
	reason := ""
	switch {
	case !known:
		reason = "unknown_user"
	case u.Hash == "":
		reason = "password_disabled"
	case !ok:
		reason = "bad_password"
	case u.Disabled:
		reason = "disabled"
	}
	if reason != "" {
		c.ipLimit.fail(r.Context(), addr)
		actor, tenant, subjects := consoleActor, c.d.Tenant, []ledger.Ref(nil)
		if known {
			c.usrLimit.fail(r.Context(), u.Name)
			actor, tenant, subjects = u.Actor(), u.Tenant, []ledger.Ref{u.ref()}
		}
		if _, err := c.d.Log.Append(r.Context(), ledger.MustEvent(EventLoginFailed, tenant, actor, map[string]any{"method": "password", "reason": reason}, subjects...)); err != nil {
			c.d.Logger.Error("record failed login", "err", err)
		}
		c.renderLogin(w, r, http.StatusUnauthorized, name, badLogin)
		return
	}
	c.usrLimit.reset(r.Context(), u.Name)
	if err := c.startSession(w, r, u, "password"); err != nil {
		c.d.Logger.Error("console login", "err", err)
		c.renderLogin(w, r, http.StatusServiceUnavailable, name, "The sign-in could not be recorded, so it was refused. Try again in a moment.")
		return
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (c *Console) tooMany(w http.ResponseWriter, r *http.Request, name string, left time.Duration) {
	mins := int(left.Minutes()) + 1
	w.Header().Set("Retry-After", fmt.Sprint(int(left.Seconds())+1))
	c.d.Logger.Warn("console login rate limited", "addr", clientAddr(r))
	c.renderLogin(w, r, http.StatusTooManyRequests, name, fmt.Sprintf("Too many failed sign-ins. Wait %d minutes and try again, or ask an admin to reset your password.", mins))
}

// startSession records the sign-in, then opens the session: a sign-in that
// cannot be evidenced does not happen.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, u User, method string) error {
	if _, err := c.d.Log.Append(r.Context(), ledger.MustEvent(EventLogin, u.Tenant, u.Actor(), map[string]any{"method": method, "role": u.Role}, u.ref())); err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	tok, err := c.sessions.create(r.Context(), u.Name, method)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	setCookie(w, r, sessionCookieName(r), tok, sessionAbsolute)
	setCookie(w, r, cookieLogin, "", 0)
	c.users.touch(r.Context(), u.Name, c.now().UTC())
	c.maybeSweep(r)
	return nil
}

// maybeSweep removes expired sessions at most once an hour.
func (c *Console) maybeSweep(r *http.Request) {
	c.sweepMu.Lock()
	due := c.now().Sub(c.lastSweep) > time.Hour
	if due {
		c.lastSweep = c.now()
	}
	c.sweepMu.Unlock()
	if due {
		if err := c.sessions.sweep(r.Context(), ""); err != nil {
			c.d.Logger.Warn("sweep console sessions", "err", err)
		}
	}
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	v, err := c.authenticate(r)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !sameToken(requestCSRF(r), v.CSRF()) {
		c.fail(w, r, v, http.StatusForbidden, "This form has expired. Reload the page and sign out again.")
		return
	}
	if _, err := c.d.Log.Append(r.Context(), ledger.MustEvent(EventLogout, v.User.Tenant, v.User.Actor(), map[string]any{"reason": "user"}, v.User.ref())); err != nil {
		c.d.Logger.Error("record logout", "err", err)
	}
	if err := c.sessions.delete(r.Context(), v.token); err != nil {
		c.d.Logger.Error("delete session", "err", err)
	}
	setCookie(w, r, sessionCookieName(r), "", 0)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
