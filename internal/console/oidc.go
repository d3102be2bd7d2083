package console

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig configures sign-in through an OpenID Connect provider with
// the authorization-code flow, PKCE and a nonce. A console user signs in
// this way when the provider's name claim equals their user name and the
// user allows OIDC.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; discovery reads
	// Issuer/.well-known/openid-configuration.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this console's callback, ending in /auth/oidc/callback.
	RedirectURL string
	// NameClaim names the ID token claim matched to user names; default
	// "email". An email claim must not be marked unverified.
	NameClaim string
	// HTTPClient reaches the provider; nil means a client with a 10 s
	// timeout.
	HTTPClient *http.Client
}

// OIDCFromEnv reads ATTEST_OIDC_ISSUER, ATTEST_OIDC_CLIENT_ID,
// ATTEST_OIDC_CLIENT_SECRET, ATTEST_OIDC_REDIRECT_URL and ATTEST_OIDC_CLAIM.
// It returns nil, disabling OIDC, when no issuer is set.
func OIDCFromEnv(getenv func(string) string) *OIDCConfig {
	if getenv("ATTEST_OIDC_ISSUER") == "" {
		return nil
	}
	return &OIDCConfig{
		Issuer:       getenv("ATTEST_OIDC_ISSUER"),
		ClientID:     getenv("ATTEST_OIDC_CLIENT_ID"),
		ClientSecret: getenv("ATTEST_OIDC_CLIENT_SECRET"),
		RedirectURL:  getenv("ATTEST_OIDC_REDIRECT_URL"),
		NameClaim:    getenv("ATTEST_OIDC_CLAIM"),
	}
}

// oidcClient discovers the provider on first use and keeps the result, so
// an identity provider that is down at start-up does not stop the console.
type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	if cfg.NameClaim == "" {
		cfg.NameClaim = "email"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{cfg: cfg}
}

func (o *oidcClient) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTPClient), o.cfg.HTTPClient)
}

func (o *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	if o.cfg.ClientID == "" || o.cfg.RedirectURL == "" {
		return nil, nil, errors.New("OIDC needs a client id and a redirect URL (ATTEST_OIDC_CLIENT_ID, ATTEST_OIDC_REDIRECT_URL)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover OIDC issuer %s: %w", o.cfg.Issuer, err)
	}
	o.oauth = &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID})
	return o.oauth, o.verifier, nil
}

// oidcState travels in a short-lived HttpOnly cookie between the redirect
// to the provider and the callback.
type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

const oidcStateTTL = 10 * time.Minute

func (c *Console) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		c.renderLogin(w, r, http.StatusNotFound, "", "Single sign-on is not configured; sign in with your password.")
		return
	}
	oc, _, err := c.oidc.discover(r.Context())
	if err != nil {
		c.d.Logger.Error("console oidc", "err", err)
		c.renderLogin(w, r, http.StatusBadGateway, "", "The identity provider cannot be reached. Try again later or sign in with your password.")
		return
	}
	st := oidcState{State: newToken(), Nonce: newToken(), Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.URL.Query().Get("next"))}
	b, _ := json.Marshal(st)
	setCookie(w, r, cookieOIDC, base64.RawURLEncoding.EncodeToString(b), oidcStateTTL)
	http.Redirect(w, r, oc.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

func readOIDCState(r *http.Request) (oidcState, bool) {
	var st oidcState
	ck, err := r.Cookie(cookieOIDC)
	if err != nil || len(ck.Value) > 1024 {
		return st, false
	}
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || json.Unmarshal(b, &st) != nil || st.State == "" || st.Nonce == "" || st.Verifier == "" {
		return st, false
	}
	return st, true
}

func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		http.NotFound(w, r)
		return
	}
	st, ok := readOIDCState(r)
	setCookie(w, r, cookieOIDC, "", 0)
	q := r.URL.Query()
	if !ok || !sameToken(q.Get("state"), st.State) {
		c.renderLogin(w, r, http.StatusBadRequest, "", "The sign-in could not be matched to this browser. Start again from the sign-in page.")
		return
	}
	if e := q.Get("error"); e != "" {
		c.renderLogin(w, r, http.StatusUnauthorized, "", "The identity provider refused the sign-in ("+clip(e, 64)+").")
		return
	}
	name, err := c.exchange(r.Context(), q.Get("code"), st)
	if err != nil {
		c.d.Logger.Warn("console oidc callback", "err", err)
		c.renderLogin(w, r, http.StatusUnauthorized, "", "The identity provider's answer could not be verified. Start again from the sign-in page.")
		return
	}
	addr := clientAddr(r)
	if blocked, left := c.ipLimit.blocked(r.Context(), addr); blocked {
		c.tooMany(w, r, "", left)
		return
	}
	u, err := c.users.get(r.Context(), name)
	reason := ""
	switch {
	case err != nil:
		reason = "unknown_user"
	case !u.OIDC:
		reason = "oidc_not_allowed"
	case u.Disabled:
		reason = "disabled"
	}
	if reason != "" {
		c.ipLimit.fail(r.Context(), addr)
		actor, tenant, subjects := consoleActor, c.d.Tenant, []ledger.Ref(nil)
		if err == nil {
			actor, tenant, subjects = u.Actor(), u.Tenant, []ledger.Ref{u.ref()}
		}
		if _, err := c.d.Log.Append(r.Context(), ledger.MustEvent(EventLoginFailed, tenant, actor, map[string]any{"method": "oidc", "reason": reason}, subjects...)); err != nil {
			c.d.Logger.Error("record failed login", "err", err)
		}
		c.renderLogin(w, r, http.StatusForbidden, "", "Your identity is verified, but no console user may sign in with it. Ask an admin to create your user with OIDC allowed.")
		return
	}
	if err := c.startSession(w, r, u, "oidc"); err != nil {
		c.d.Logger.Error("console login", "err", err)
		c.renderLogin(w, r, http.StatusServiceUnavailable, "", "The sign-in could not be recorded, so it was refused. Try again in a moment.")
		return
	}
	http.Redirect(w, r, st.Next, http.StatusSeeOther)
}

// exchange redeems the code with the PKCE verifier, verifies the ID token
// (signature, issuer, audience, expiry, nonce) and returns the name claim.
func (c *Console) exchange(ctx context.Context, code string, st oidcState) (string, error) {
	if code == "" {
		return "", errors.New("the callback has no code")
	}
	oc, verifier, err := c.oidc.discover(ctx)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := oc.Exchange(c.oidc.ctx(ctx), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return "", fmt.Errorf("redeem code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", errors.New("the token response has no id_token")
	}
	idt, err := verifier.Verify(c.oidc.ctx(ctx), raw)
	if err != nil {
		return "", fmt.Errorf("verify id token: %w", err)
	}
	if !sameToken(idt.Nonce, st.Nonce) {
		return "", errors.New("the id token's nonce does not match this sign-in")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("read claims: %w", err)
	}
	claim := c.oidc.cfg.NameClaim
	name, _ := claims[claim].(string)
	if name == "" {
		return "", fmt.Errorf("the id token has no %q claim", claim)
	}
	if claim == "email" {
		if v, ok := claims["email_verified"].(bool); ok && !v {
			return "", errors.New("the provider marks the email as unverified")
		}
	}
	return name, nil
}

func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		return s[:n]
	}
	return s
}
