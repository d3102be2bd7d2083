package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// Ledger events about trusted signing keys.
const (
	EventKeyTrusted = "signing_key.trusted"
	EventKeyRevoked = "signing_key.revoked"
)

// TrustedKey is a public key whose OMS signatures a tenant accepts.
type TrustedKey struct {
	// Hint is the key's OMS identifier: the hex SHA-256 of its PEM.
	Hint      string    `json:"hint"`
	Name      string    `json:"name"`
	PublicKey string    `json:"public_key"`
	Added     time.Time `json:"added"`
	AddedBy   string    `json:"added_by"`
	Index     uint64    `json:"index"`
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// TrustKey adds an ECDSA P-256 public key (PKIX PEM) to the tenant's
// trusted signers.
func (s *Service) TrustKey(ctx context.Context, tenant string, actor ledger.Actor, name string, pemData []byte) (TrustedKey, error) {
	if err := checkName("key name", name); err != nil {
		return TrustedKey{}, err
	}
	pub, err := signing.ParsePublicKey(pemData)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if pub.Curve != elliptic.P256() {
		return TrustedKey{}, fmt.Errorf("%w: OMS signatures use ECDSA P-256; this key is on %s", ErrInvalid, pub.Curve.Params().Name)
	}
	hint, err := signing.KeyHint(pub)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if k, err := s.keys.Get(ctx, tenant, hint); err == nil && k.Revoked.IsZero() {
		return TrustedKey{}, fmt.Errorf("%w: key %s is already trusted as %q", ErrConflict, hint, k.Name)
	}
	idx, err := s.record(ctx, EventKeyTrusted, tenant, actor,
		map[string]any{"name": name, "hint": hint, "algorithm": "ecdsa-p256"}, keyRef(hint))
	if err != nil {
		return TrustedKey{}, err
	}
	k := TrustedKey{Hint: hint, Name: name, PublicKey: string(pemData), Added: s.now(), AddedBy: actor.ID, Index: idx}
	// A revoked key trusted again gets a fresh record.
	s.keys.Delete(ctx, tenant, hint)
	if err := s.keys.Create(ctx, tenant, hint, k); err != nil {
		return TrustedKey{}, conflict(err, "key %s is already trusted", hint)
	}
	return k, nil
}

// RevokeKey stops trusting a key. Versions it signed can no longer be
// served until they are signed again by a trusted key.
func (s *Service) RevokeKey(ctx context.Context, tenant string, actor ledger.Actor, hint string) (TrustedKey, error) {
	k, err := s.keys.Get(ctx, tenant, hint)
	if err != nil {
		return k, notFound(err, "no trusted key %s", hint)
	}
	if !k.Revoked.IsZero() {
		return k, fmt.Errorf("%w: key %s was already revoked", ErrConflict, hint)
	}
	if _, err := s.record(ctx, EventKeyRevoked, tenant, actor, map[string]any{"name": k.Name, "hint": hint}, keyRef(hint)); err != nil {
		return k, err
	}
	return s.keys.Mutate(ctx, tenant, hint, func(k *TrustedKey) error {
		k.Revoked, k.RevokedBy = s.now(), actor.ID
		return nil
	})
}

// TrustedKeys lists a tenant's keys, revoked ones included.
func (s *Service) TrustedKeys(ctx context.Context, tenant string) ([]TrustedKey, error) {
	return s.keys.List(ctx, tenant)
}

type activeKey struct {
	hint string
	pub  *ecdsa.PublicKey
}

func (s *Service) activeKeys(ctx context.Context, tenant string) ([]activeKey, error) {
	ks, err := s.keys.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []activeKey
	for _, k := range ks {
		if !k.Revoked.IsZero() {
			continue
		}
		pub, err := signing.ParsePublicKey([]byte(k.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("stored key %s: %w", k.Hint, err)
		}
		out = append(out, activeKey{hint: k.Hint, pub: pub})
	}
	return out, nil
}

// keyTrusted reports whether hint names a key the tenant still trusts.
func (s *Service) keyTrusted(ctx context.Context, tenant, hint string) (bool, error) {
	k, err := s.keys.Get(ctx, tenant, hint)
	if errors.Is(err, records.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return k.Revoked.IsZero(), nil
}
