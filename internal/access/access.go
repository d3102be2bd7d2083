// Package access holds principals, roles and API keys. A key's secret is
// shown once at creation; only its SHA-256 is stored. Every change to a key
// is a ledger event.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Role is what a principal may do. The console and the API share it.
type Role string

// Roles. Model developers (engineer), operators and consumers are kept
// apart, and approvers are separate from the engineers who request changes.
const (
	RoleAdmin      Role = "admin"
	RoleCompliance Role = "compliance"
	RoleEngineer   Role = "engineer"
	RoleApprover   Role = "approver"
	RoleAuditor    Role = "auditor"
	RoleOperator   Role = "operator"
	RoleConsumer   Role = "consumer"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleCompliance, RoleEngineer, RoleApprover, RoleAuditor, RoleOperator, RoleConsumer}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("unknown role %q: use one of admin, compliance, engineer, approver, auditor, operator, consumer", s)
	}
	return r, nil
}

// Limits are per-key traffic limits for the gateway. Zero means unlimited.
type Limits struct {
	RPM         int64 `json:"rpm,omitempty"`
	TPM         int64 `json:"tpm,omitempty"`
	DailyTokens int64 `json:"daily_tokens,omitempty"`
}

// Key is a stored API key.
type Key struct {
	ID        string           `json:"id"`
	Tenant    string           `json:"tenant"`
	Name      string           `json:"name"`
	Role      Role             `json:"role"`
	ActorKind ledger.ActorKind `json:"actor_kind"`
	Models    []string         `json:"models,omitempty"`
	Limits    Limits           `json:"limits"`
	Hash      []byte           `json:"-"`
	CreatedBy string           `json:"created_by"`
	Created   time.Time        `json:"created"`
	Expires   time.Time        `json:"expires,omitzero"`
	Revoked   time.Time        `json:"revoked,omitzero"`
	// ReplacedBy is set when the key was rotated; it keeps working until
	// Expires, the end of the grace period.
	ReplacedBy string `json:"replaced_by,omitempty"`
	// Owner is the person a human key belongs to, as a console user name.
	// Separation of duties treats the key and that user as one person.
	Owner string `json:"owner,omitempty"`
}

// Active reports whether the key may authenticate at t.
func (k Key) Active(t time.Time) error {
	if !k.Revoked.IsZero() {
		return ErrRevoked
	}
	if !k.Expires.IsZero() && !t.Before(k.Expires) {
		return ErrExpired
	}
	return nil
}

// Principal is an authenticated caller.
type Principal struct {
	ID        string
	Kind      string // "key" or "user"
	Tenant    string
	Name      string
	Role      Role
	ActorKind ledger.ActorKind
	Models    []string
	Limits    Limits
	// Owner is the console user a human key belongs to.
	Owner string
}

// Actor is how the principal appears in ledger events.
func (p Principal) Actor() ledger.Actor {
	return ledger.Actor{Kind: p.ActorKind, ID: p.Kind + ":" + p.ID}
}

// Store persists keys.
type Store interface {
	CreateKey(ctx context.Context, k Key) error
	Key(ctx context.Context, id string) (Key, error)
	// Keys lists a tenant's keys; an empty tenant lists all.
	Keys(ctx context.Context, tenant string) ([]Key, error)
	UpdateKey(ctx context.Context, k Key) error
}

// Errors callers map to 401, 403 and 404.
var (
	ErrUnauthenticated = errors.New("missing or malformed credential")
	ErrUnknownKey      = errors.New("unknown API key")
	ErrExpired         = errors.New("API key has expired")
	ErrRevoked         = errors.New("API key was revoked")
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
)

// Service manages keys and authenticates callers.
type Service struct {
	st  Store
	log ledger.Appender
	now func() time.Time
}

// NewService returns a key service that records changes in log.
func NewService(st Store, log ledger.Appender) *Service {
	return &Service{st: st, log: log, now: time.Now}
}

const tokenPrefix = "atk_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newToken returns a key id and the full bearer token.
func newToken() (id, token string, hash []byte, err error) {
	idb := make([]byte, 10)
	sec := make([]byte, 32)
	if _, err = rand.Read(idb); err != nil {
		return
	}
	if _, err = rand.Read(sec); err != nil {
		return
	}
	id = strings.ToLower(b32.EncodeToString(idb))
	secret := base64.RawURLEncoding.EncodeToString(sec)
	h := sha256.Sum256([]byte(secret))
	return id, tokenPrefix + id + "_" + secret, h[:], nil
}

// splitToken parses atk_<id>_<secret>.
func splitToken(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 {
		return "", "", false
	}
	return id, secret, true
}

// Authenticate resolves a bearer token to its principal. It reads the store
// on every call, so a revocation takes effect on the next request.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	id, secret, ok := splitToken(token)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	k, err := s.st.Key(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Principal{}, ErrUnknownKey
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up key: %w", err)
	}
	h := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(h[:], k.Hash) != 1 {
		return Principal{}, ErrUnknownKey
	}
	if err := k.Active(s.now()); err != nil {
		return Principal{}, err
	}
	return Principal{ID: k.ID, Kind: "key", Tenant: k.Tenant, Name: k.Name, Role: k.Role, ActorKind: k.ActorKind, Models: k.Models, Limits: k.Limits, Owner: k.Owner}, nil
}

// KeyRequest describes a new key.
type KeyRequest struct {
	Tenant    string           `json:"tenant"`
	Name      string           `json:"name"`
	Role      Role             `json:"role"`
	ActorKind ledger.ActorKind `json:"actor_kind,omitempty"`
	Models    []string         `json:"models,omitempty"`
	Limits    Limits           `json:"limits"`
	TTL       time.Duration    `json:"-"`
	Expires   time.Time        `json:"expires,omitzero"`
	// Owner names the person a human key is for (a console user name).
	// Without it, a human key minted by a person belongs to that person.
	Owner string `json:"owner,omitempty"`
}

func (r *KeyRequest) validate() error {
	if r.Tenant == "" || strings.ContainsAny(r.Tenant, " \t\n") || len(r.Tenant) > 64 {
		return errors.New("tenant is required: 1-64 characters without spaces")
	}
	if r.Name == "" || len(r.Name) > 128 {
		return errors.New("name is required (up to 128 characters), e.g. \"ci-pipeline\"")
	}
	if _, err := ParseRole(string(r.Role)); err != nil {
		return err
	}
	switch r.ActorKind {
	case "":
		r.ActorKind = ledger.ActorService
	case ledger.ActorService, ledger.ActorAgent, ledger.ActorHuman:
	default:
		return fmt.Errorf("actor_kind %q: use service, agent or human", r.ActorKind)
	}
	if r.Owner != "" {
		if r.ActorKind != ledger.ActorHuman {
			return fmt.Errorf("owner %q: only a human key has an owner; set actor_kind to human or drop owner", r.Owner)
		}
		if len(r.Owner) > 128 || strings.ContainsAny(r.Owner, " \t\n:") {
			return fmt.Errorf("owner %q: use the person's console user name (up to 128 characters, no spaces or colons)", r.Owner)
		}
	}
	if r.Limits.RPM < 0 || r.Limits.TPM < 0 || r.Limits.DailyTokens < 0 {
		return errors.New("limits must not be negative")
	}
	return nil
}

// CreateKey makes a key and returns its token, which is never shown again.
func (s *Service) CreateKey(ctx context.Context, by Principal, r KeyRequest) (string, Key, error) {
	if err := r.validate(); err != nil {
		return "", Key{}, err
	}
	if err := canManage(by, r.Tenant, r.Role); err != nil {
		return "", Key{}, err
	}
	id, token, hash, err := newToken()
	if err != nil {
		return "", Key{}, err
	}
	now := s.now().UTC()
	k := Key{ID: id, Tenant: r.Tenant, Name: r.Name, Role: r.Role, ActorKind: r.ActorKind, Models: r.Models, Limits: r.Limits,
		Hash: hash, CreatedBy: by.Actor().ID, Created: now, Expires: r.Expires, Owner: r.Owner}
	if k.Owner == "" && k.ActorKind == ledger.ActorHuman {
		// Whoever mints a key sees its token, so an unassigned human key
		// is its minter's: a person cannot approve their own change with
		// a second key they made for themselves.
		k.Owner = by.person()
	}
	if r.TTL > 0 {
		k.Expires = now.Add(r.TTL)
	}
	// Evidence first: a key that cannot be recorded is not created.
	if _, err := s.log.Append(ctx, ledger.MustEvent("key.created", k.Tenant, by.Actor(), keyEvidence(k), ledger.Ref{Kind: "key", ID: k.ID})); err != nil {
		return "", Key{}, fmt.Errorf("record key creation: %w", err)
	}
	if err := s.st.CreateKey(ctx, k); err != nil {
		return "", Key{}, fmt.Errorf("store key: %w", err)
	}
	return token, k, nil
}

func keyEvidence(k Key) map[string]any {
	ev := map[string]any{"name": k.Name, "role": k.Role, "actor_kind": k.ActorKind, "models": k.Models, "limits": k.Limits, "expires": k.Expires}
	if k.Owner != "" {
		ev["owner"] = k.Owner
	}
	return ev
}

// canManage enforces that only admins mint admin or auditor keys, and
// operators manage only their own tenant's consumer keys.
func canManage(by Principal, tenant string, role Role) error {
	switch by.Role {
	case RoleAdmin:
		return nil
	case RoleOperator:
		if by.Tenant == tenant && role == RoleConsumer {
			return nil
		}
	}
	return fmt.Errorf("%w: role %s cannot manage %s keys of tenant %s", ErrForbidden, by.Role, role, tenant)
}

// ManagedKey loads a key the principal may manage.
func (s *Service) ManagedKey(ctx context.Context, by Principal, id string) (Key, error) {
	k, err := s.st.Key(ctx, id)
	if err != nil {
		return Key{}, err
	}
	if err := canManage(by, k.Tenant, k.Role); err != nil {
		// Do not reveal keys of other tenants.
		if by.Role != RoleAdmin && by.Tenant != k.Tenant {
			return Key{}, ErrNotFound
		}
		return Key{}, err
	}
	return k, nil
}

// Revoke disables a key at once.
func (s *Service) Revoke(ctx context.Context, by Principal, id string) (Key, error) {
	k, err := s.ManagedKey(ctx, by, id)
	if err != nil {
		return Key{}, err
	}
	if !k.Revoked.IsZero() {
		return k, nil
	}
	k.Revoked = s.now().UTC()
	if err := s.st.UpdateKey(ctx, k); err != nil {
		return Key{}, fmt.Errorf("revoke key: %w", err)
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent("key.revoked", k.Tenant, by.Actor(), map[string]any{"name": k.Name}, ledger.Ref{Kind: "key", ID: k.ID})); err != nil {
		return k, fmt.Errorf("key revoked but not recorded: %w", err)
	}
	return k, nil
}

// Rotate issues a replacement key with the same grants. The old key keeps
// working for the grace period so clients can switch without an outage.
func (s *Service) Rotate(ctx context.Context, by Principal, id string, grace time.Duration) (string, Key, error) {
	old, err := s.ManagedKey(ctx, by, id)
	if err != nil {
		return "", Key{}, err
	}
	if err := old.Active(s.now()); err != nil {
		return "", Key{}, fmt.Errorf("cannot rotate: %w", err)
	}
	req := KeyRequest{Tenant: old.Tenant, Name: old.Name, Role: old.Role, ActorKind: old.ActorKind, Models: old.Models, Limits: old.Limits, Owner: old.Owner}
	if !old.Expires.IsZero() {
		req.TTL = old.Expires.Sub(old.Created)
	}
	token, nk, err := s.CreateKey(ctx, by, req)
	if err != nil {
		return "", Key{}, err
	}
	end := s.now().UTC().Add(grace)
	if old.Expires.IsZero() || end.Before(old.Expires) {
		old.Expires = end
	}
	old.ReplacedBy = nk.ID
	if err := s.st.UpdateKey(ctx, old); err != nil {
		return "", Key{}, fmt.Errorf("update rotated key: %w", err)
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent("key.rotated", old.Tenant, by.Actor(),
		map[string]any{"replaced_by": nk.ID, "grace_until": old.Expires}, ledger.Ref{Kind: "key", ID: old.ID}, ledger.Ref{Kind: "key", ID: nk.ID})); err != nil {
		return "", Key{}, fmt.Errorf("record rotation: %w", err)
	}
	return token, nk, nil
}

// Keys lists the keys a principal may see.
func (s *Service) Keys(ctx context.Context, by Principal, tenant string) ([]Key, error) {
	if by.Role != RoleAdmin && by.Role != RoleAuditor {
		tenant = by.Tenant
	}
	return s.st.Keys(ctx, tenant)
}

// BootstrapLimits are the gateway limits of the first admin key.
var BootstrapLimits = Limits{RPM: 60, TPM: 100_000, DailyTokens: 1_000_000}

// Bootstrap creates the first admin key if no key exists yet. It returns
// the token only when it created one.
func (s *Service) Bootstrap(ctx context.Context, tenant string) (string, error) {
	ks, err := s.st.Keys(ctx, "")
	if err != nil {
		return "", err
	}
	if len(ks) > 0 {
		return "", nil
	}
	system := Principal{ID: "bootstrap", Kind: "system", Tenant: tenant, Role: RoleAdmin, ActorKind: ledger.ActorService}
	// The admin key is for managing attest, but its role may also call
	// models; modest limits keep it inside the rate-limit control
	// (AI-SEC-03) from the first start.
	token, _, err := s.CreateKey(ctx, system, KeyRequest{Tenant: tenant, Name: "admin", Role: RoleAdmin, ActorKind: ledger.ActorHuman, Limits: BootstrapLimits})
	return token, err
}
