package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/records"
)

// Session lifetimes: a session ends after two idle hours or twelve hours
// in all, whichever comes first.
const (
	sessionIdle     = 2 * time.Hour
	sessionAbsolute = 12 * time.Hour
	// seenEvery limits writes: the idle clock moves at most once a minute.
	seenEvery = time.Minute
)

// session is a signed-in browser. It is stored under the SHA-256 of its
// token, so a copy of the database does not let anyone sign in.
type session struct {
	User    string    `json:"user"`
	Method  string    `json:"method"` // password or oidc
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
}

func (s session) expired(now time.Time) bool {
	return now.Sub(s.Created) > sessionAbsolute || now.Sub(s.Seen) > sessionIdle
}

type sessions struct {
	st   records.Store
	kind string
	t    records.Table[session]
	now  func() time.Time
}

const sessionKind = "console.session"

func newSessions(st records.Store, now func() time.Time) *sessions {
	return &sessions{st: st, kind: sessionKind, t: records.NewTable[session](st, sessionKind), now: now}
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// csrfToken derives the session's anti-forgery token. It is bound to the
// session, needs no storage, and cannot be computed from the stored id.
func csrfToken(token string) string {
	h := sha256.Sum256([]byte("attest console csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func (s *sessions) create(ctx context.Context, user, method string) (string, error) {
	token := newToken()
	now := s.now().UTC()
	if err := s.t.Create(ctx, globalTenant, tokenID(token), session{User: user, Method: method, Created: now, Seen: now}); err != nil {
		return "", err
	}
	return token, nil
}

var errNoSession = errors.New("not signed in")

// lookup resolves a token to its live session, deleting it if it expired.
func (s *sessions) lookup(ctx context.Context, token string) (session, error) {
	if token == "" || len(token) > 128 {
		return session{}, errNoSession
	}
	id := tokenID(token)
	ss, err := s.t.Get(ctx, globalTenant, id)
	if errors.Is(err, records.ErrNotFound) {
		return session{}, errNoSession
	}
	if err != nil {
		return session{}, err
	}
	now := s.now()
	if ss.expired(now) {
		s.t.Delete(ctx, globalTenant, id)
		return session{}, errNoSession
	}
	if now.Sub(ss.Seen) > seenEvery {
		s.t.Mutate(ctx, globalTenant, id, func(x *session) error {
			x.Seen = now.UTC()
			return nil
		})
	}
	return ss, nil
}

func (s *sessions) delete(ctx context.Context, token string) error {
	err := s.t.Delete(ctx, globalTenant, tokenID(token))
	if errors.Is(err, records.ErrNotFound) {
		return nil
	}
	return err
}

// sweep deletes expired sessions, and every session of user when user is
// set, so disabling a user or changing their role signs them out.
func (s *sessions) sweep(ctx context.Context, user string) error {
	now := s.now()
	after := ""
	for {
		ds, err := s.st.ListDocs(ctx, s.kind, globalTenant, after, 500)
		if err != nil {
			return err
		}
		for _, d := range ds {
			var ss session
			if json.Unmarshal(d.Data, &ss) != nil || ss.expired(now) || (user != "" && ss.User == user) {
				if err := s.st.DeleteDoc(ctx, s.kind, globalTenant, d.ID); err != nil && !errors.Is(err, records.ErrNotFound) {
					return err
				}
			}
		}
		if len(ds) < 500 {
			return nil
		}
		after = ds[len(ds)-1].ID
	}
}

// Cookies. Over HTTPS the session cookie takes the __Host- prefix, which
// pins it to this host and path and requires Secure.
const (
	cookieSession       = "attest_session"
	cookieSessionSecure = "__Host-attest_session"
	cookieLogin         = "attest_login"
	cookieOIDC          = "attest_oidc"
)

// secureRequest reports whether the browser reached us over HTTPS, directly
// or through a proxy that says so.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func sessionCookieName(r *http.Request) string {
	if secureRequest(r) {
		return cookieSessionSecure
	}
	return cookieSession
}

func sessionToken(r *http.Request) string {
	if c, err := r.Cookie(sessionCookieName(r)); err == nil {
		return c.Value
	}
	return ""
}

// setCookie writes an HttpOnly, SameSite=Lax cookie. Lax, not Strict, so
// the session survives the redirect back from an identity provider; every
// state-changing request is a POST, which Lax withholds cross-site, and
// carries a CSRF token besides.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureRequest(r)}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// sameToken compares two tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
