package console

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
)

// fakeIdP is an OpenID Connect provider that follows the protocol closely
// enough to catch mistakes: discovery, an authorization endpoint that
// insists on PKCE S256, a token endpoint that checks the client secret,
// the redirect URI, the single-use code and the verifier, and RS256 ID
// tokens checked against a JWKS document.
type fakeIdP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string
	redirect string

	mu     sync.Mutex
	claims map[string]any // the identity of whoever signs in next
	codes  map[string]grant
	// Misbehaviour, to test that the console notices.
	badNonce bool
	badAud   bool
}

type grant struct {
	nonce, challenge, redirect string
	claims                     map[string]any
}

func newFakeIdP(t *testing.T) *fakeIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeIdP{t: t, key: key, clientID: "attest-console", secret: "s3cret", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeIdP) discovery(w http.ResponseWriter, r *http.Request) {
	u := p.srv.URL
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
	})
}

func (p *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code", q.Get("client_id") != p.clientID, q.Get("redirect_uri") != p.redirect,
		!strings.Contains(q.Get("scope"), "openid"), q.Get("code_challenge_method") != "S256", q.Get("code_challenge") == "",
		q.Get("state") == "", q.Get("nonce") == "":
		http.Error(w, "invalid authorization request", http.StatusBadRequest)
		return
	}
	code := newToken()
	p.mu.Lock()
	p.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), claims: p.claims}
	p.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (p *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.clientID || secret != p.secret {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
		return
	}
	claims := map[string]any{"iss": p.srv.URL, "aud": p.clientID, "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	if p.badNonce {
		claims["nonce"] = "someone-elses-nonce"
	}
	if p.badAud {
		claims["aud"] = "another-client"
	}
	for k, v := range g.claims {
		claims[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": newToken(), "token_type": "Bearer", "expires_in": 300, "id_token": p.sign(claims)})
}

func (p *fakeIdP) sign(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k1"}) + "." + enc(claims)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, h[:])
	if err != nil {
		p.t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (p *fakeIdP) jwks(w http.ResponseWriter, r *http.Request) {
	b64 := base64.RawURLEncoding.EncodeToString
	json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
		"n": b64(p.key.N.Bytes()), "e": b64(big.NewInt(int64(p.key.E)).Bytes()),
	}}})
}

func oidcEnv(t *testing.T) (*testEnv, *fakeIdP) {
	idp := newFakeIdP(t)
	e := newTestEnv(t, func(d *Deps) {
		d.OIDC = &OIDCConfig{Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.secret, RedirectURL: "set below"}
	})
	idp.redirect = e.srv.URL + "/auth/oidc/callback"
	e.c.oidc.cfg.RedirectURL = idp.redirect
	return e, idp
}

// ssoBrowser follows redirects across the console and the provider.
func ssoBrowser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func (e *testEnv) ssoLogin(t *testing.T, hc *http.Client) (*http.Response, string) {
	t.Helper()
	resp, err := hc.Get(e.srv.URL + "/auth/oidc/login?next=%2Fcontrols")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, sb.String()
}

func TestOIDCLogin(t *testing.T) {
	e, idp := oidcEnv(t)
	if _, _, err := e.c.users.create(context.Background(), cliActor, NewUser{Name: "olga@example.com", Tenant: "default", Role: access.RoleAdmin, OIDC: true, NoPassword: true}); err != nil {
		t.Fatal(err)
	}
	idp.claims = map[string]any{"sub": "u-123", "email": "olga@example.com", "email_verified": true}
	hc := ssoBrowser(t)
	resp, body := e.ssoLogin(t, hc)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/controls" {
		t.Fatalf("sso login ended at %s with %d:\n%s", resp.Request.URL, resp.StatusCode, clipBody(body))
	}
	mustContain(t, body, "olga@example.com", "Sign out")
	evs := e.events(EventLogin)
	if len(evs) != 1 || !strings.Contains(string(evs[0].Body), `"method":"oidc"`) || evs[0].Actor.ID != "user:olga@example.com" {
		t.Fatalf("login evidence %+v", evs)
	}
	// The provider's state cookie is spent.
	u, _ := url.Parse(e.srv.URL)
	for _, c := range hc.Jar.Cookies(u) {
		if c.Name == cookieOIDC {
			t.Fatal("the OIDC state cookie outlived the callback")
		}
	}
}

func TestOIDCRefusals(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*testEnv, *fakeIdP)
		status int
		reason string // console.login_failed reason, if the identity was verified
	}{
		{"unknown user", func(e *testEnv, p *fakeIdP) {}, http.StatusForbidden, "unknown_user"},
		{"sso not allowed", func(e *testEnv, p *fakeIdP) { e.user("pat@example.com", access.RoleAdmin) }, http.StatusForbidden, "oidc_not_allowed"},
		{"wrong nonce", func(e *testEnv, p *fakeIdP) { p.badNonce = true }, http.StatusUnauthorized, ""},
		{"wrong audience", func(e *testEnv, p *fakeIdP) { p.badAud = true }, http.StatusUnauthorized, ""},
		{"unverified email", func(e *testEnv, p *fakeIdP) {
			p.claims["email_verified"] = false
		}, http.StatusUnauthorized, ""},
		{"wrong client secret", func(e *testEnv, p *fakeIdP) { e.c.oidc.cfg.ClientSecret = "guess" }, http.StatusUnauthorized, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, idp := oidcEnv(t)
			idp.claims = map[string]any{"sub": "u-9", "email": "pat@example.com"}
			tc.setup(e, idp)
			resp, body := e.ssoLogin(t, ssoBrowser(t))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tc.status, clipBody(body))
			}
			if len(e.events(EventLogin)) != 0 {
				t.Fatal("a refused sign-in was recorded as a login")
			}
			fails := e.events(EventLoginFailed)
			if tc.reason == "" && len(fails) != 0 {
				t.Fatalf("unverified identity recorded: %+v", fails)
			}
			if tc.reason != "" && (len(fails) != 1 || !strings.Contains(string(fails[0].Body), tc.reason)) {
				t.Fatalf("failure evidence %+v, want reason %s", fails, tc.reason)
			}
		})
	}
}

func TestOIDCStateMustMatch(t *testing.T) {
	e, _ := oidcEnv(t)
	b := e.browser()
	resp, _ := b.get("/auth/oidc/callback?code=abc&state=forged")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback without a state cookie: %d", resp.StatusCode)
	}
	// A state cookie from another sign-in does not match either.
	resp, _ = b.get("/auth/oidc/login")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login redirect: %d", resp.StatusCode)
	}
	resp, _ = b.get("/auth/oidc/callback?code=abc&state=forged")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback with the wrong state: %d", resp.StatusCode)
	}
}

func TestOIDCDisabled(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	_, body := b.get("/login")
	mustNotContain(t, body, "single sign-on")
	if resp, _ := b.get("/auth/oidc/login"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("%d", resp.StatusCode)
	}
}

func TestOIDCFromEnv(t *testing.T) {
	env := map[string]string{"ATTEST_OIDC_ISSUER": "https://id.example", "ATTEST_OIDC_CLIENT_ID": "c", "ATTEST_OIDC_CLAIM": "preferred_username"}
	c := OIDCFromEnv(func(k string) string { return env[k] })
	if c == nil || c.Issuer != "https://id.example" || c.ClientID != "c" || c.NameClaim != "preferred_username" {
		t.Fatalf("%+v", c)
	}
	if OIDCFromEnv(func(string) string { return "" }) != nil {
		t.Fatal("OIDC enabled without an issuer")
	}
}

func FuzzReadOIDCState(f *testing.F) {
	good, _ := json.Marshal(oidcState{State: "s", Nonce: "n", Verifier: "v", Next: "/"})
	f.Add(base64.RawURLEncoding.EncodeToString(good))
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest(http.MethodGet, "/auth/oidc/callback", nil)
		r.AddCookie(&http.Cookie{Name: cookieOIDC, Value: v})
		st, ok := readOIDCState(r)
		if ok && (st.State == "" || st.Nonce == "" || st.Verifier == "") {
			t.Fatalf("accepted an incomplete state %+v", st)
		}
	})
}
