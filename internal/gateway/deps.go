package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
)

// Roles of an API key.
const (
	RoleConsumer = "consumer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
	RoleAuditor  = "auditor"
)

// inferenceRoles may call models; every other role (auditor, approver,
// compliance) is refused with 403.
var inferenceRoles = map[string]bool{RoleConsumer: true, RoleOperator: true, RoleAdmin: true, "engineer": true}

// Caller is the authenticated owner of an API key.
type Caller struct {
	KeyID  string
	Tenant string
	Role   string
	// AllowedModels lists the route aliases and model names the key may
	// use; empty allows all.
	AllowedModels []string
	Limits        limits.Limits
	// ActorKind is how the key's owner appears in ledger events it
	// causes (service, agent or human); empty means service.
	ActorKind ledger.ActorKind
}

// Actor is the ledger actor of the caller.
func (c Caller) Actor() ledger.Actor {
	k := c.ActorKind
	if k == "" {
		k = ledger.ActorService
	}
	return ledger.Actor{Kind: k, ID: "key:" + c.KeyID}
}

// Authentication errors. An Authenticator wraps one of them so the gateway
// can answer 401 with a message that says what to do.
var (
	ErrUnknownKey = errors.New("unknown API key")
	ErrExpiredKey = errors.New("API key has expired")
	ErrRevokedKey = errors.New("API key has been revoked")
)

// Authenticator resolves an API key from an Authorization: Bearer or
// x-api-key header.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Caller, error)
}

// Retention modes.
const (
	RetainZero     = "zero"
	RetainRedacted = "redacted"
	RetainFull     = "full"
)

// Policy is a tenant's gateway policy.
type Policy struct {
	// Retention is zero (the default), redacted or full.
	Retention string
	// RetentionDays is how long redacted bodies are kept.
	RetentionDays int
	// FailOpen lets requests through when the ledger cannot take entries.
	// Setting it must be recorded with a gateway.fail_open_set event (see
	// FailOpenEvent).
	FailOpen bool
	Limits   limits.Limits
}

// TenantPolicy returns a tenant's policy. It is called on every request,
// so implementations should cache.
type TenantPolicy interface {
	Policy(ctx context.Context, tenant string) (Policy, error)
}

// PayloadSealer encrypts a prompt or answer under the data subject's key in
// the vault and returns a reference and a keyed MAC of the plaintext. A ttl
// of zero keeps the payload until the subject is erased.
type PayloadSealer interface {
	Seal(ctx context.Context, tenant, subject, kind string, plaintext []byte, ttl time.Duration) (ref, mac string, err error)
}

// StaticPolicy is a TenantPolicy that gives every tenant the same policy,
// for tests and single-tenant setups.
type StaticPolicy Policy

// Policy implements TenantPolicy.
func (s StaticPolicy) Policy(context.Context, string) (Policy, error) { return Policy(s), nil }

var _ TenantPolicy = StaticPolicy{}
