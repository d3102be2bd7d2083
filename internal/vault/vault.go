// Package vault keeps sensitive payloads out of the ledger. A payload is
// encrypted with AES-256-GCM under a random data key of its subject; the
// data key is wrapped by a master key; the ledger only ever sees a keyed
// hash and a reference. Erasing a subject destroys its data key, which
// crypto-shreds every payload under it while the ledger still verifies.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/crypto/hkdf"
)

// Errors callers can test for.
var (
	ErrNotFound = errors.New("not found")
	ErrErased   = errors.New("subject was erased: its payloads are crypto-shredded")
	ErrHeld     = errors.New("subject is under legal hold")
)

// SubjectKey is a wrapped per-subject data key.
type SubjectKey struct {
	Tenant   string
	Subject  string // pseudonym, never the raw identifier
	Wrapped  []byte
	MasterID string
	Created  time.Time
}

// Payload is one encrypted, retained body.
type Payload struct {
	Ref        string
	Tenant     string
	Subject    string
	Kind       string
	Class      string // data classification
	Nonce      []byte
	Ciphertext []byte
	Created    time.Time
	Expires    time.Time // zero means kept until erased
}

// PayloadStat counts retained payloads.
type PayloadStat struct {
	Tenant string `json:"tenant"`
	Class  string `json:"class"`
	Kind   string `json:"kind"`
	Count  int    `json:"count"`
}

// Hold is a legal hold on a subject.
type Hold struct {
	Tenant   string
	Subject  string
	Reason   string
	PlacedBy string
	Placed   time.Time
}

// Store persists keys, payloads and holds. The key store is kept apart from
// payloads and uses secure deletion where the engine offers it.
type Store interface {
	PutSubjectKey(ctx context.Context, k SubjectKey) (SubjectKey, error) // returns the existing key if one is already stored
	SubjectKey(ctx context.Context, tenant, subject string) (SubjectKey, error)
	DeleteSubjectKey(ctx context.Context, tenant, subject string) (bool, error)
	SubjectKeys(ctx context.Context, after string, limit int) ([]SubjectKey, error)
	RewrapSubjectKey(ctx context.Context, k SubjectKey) error
	VaultSecret(ctx context.Context, name string) (wrapped []byte, masterID string, err error)
	// VaultSecretNames lists every stored named secret.
	VaultSecretNames(ctx context.Context) ([]string, error)
	// PutVaultSecret stores or replaces a named secret.
	PutVaultSecret(ctx context.Context, name string, wrapped []byte, masterID string) error

	PutPayload(ctx context.Context, p Payload) error
	Payload(ctx context.Context, ref string) (Payload, error)
	SubjectPayloads(ctx context.Context, tenant, subject string) ([]Payload, error)
	DeleteSubjectPayloads(ctx context.Context, tenant, subject string) (int, error)
	DeleteExpiredPayloads(ctx context.Context, tenant, class string, before time.Time) (int, error)
	// DeletePayloadsCreatedBefore enforces a maximum age; empty tenant or
	// class match all.
	DeletePayloadsCreatedBefore(ctx context.Context, tenant, class string, before time.Time) (int, error)
	// PayloadStats counts retained payloads per tenant and class, with no
	// content, for controls and the console.
	PayloadStats(ctx context.Context) ([]PayloadStat, error)

	PutHold(ctx context.Context, h Hold) error
	DeleteHold(ctx context.Context, tenant, subject string) (bool, error)
	Hold(ctx context.Context, tenant, subject string) (Hold, error)
}

// Vault seals and erases sensitive payloads.
type Vault struct {
	st     Store
	wrap   KeyWrapper
	log    ledger.Appender
	pseudo []byte
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cachedKey
}

type cachedKey struct {
	dek     []byte
	expires time.Time
}

// cacheTTL bounds how long an unwrapped data key stays in memory. Another
// replica's erasure takes effect here within this time.
const cacheTTL = 30 * time.Second

// New opens the vault, creating the pseudonym secret on first use.
func New(ctx context.Context, st Store, wrap KeyWrapper, log ledger.Appender) (*Vault, error) {
	v := &Vault{st: st, wrap: wrap, log: log, now: time.Now, cache: map[string]cachedKey{}}
	var err error
	if v.pseudo, err = v.Secret(ctx, "pseudonym"); err != nil {
		return nil, err
	}
	return v, nil
}

// Secret returns a named 32-byte secret shared by every replica, creating it
// on first use. It is kept wrapped by the master key, like data keys.
func (v *Vault) Secret(ctx context.Context, name string) ([]byte, error) {
	w, mid, err := v.st.VaultSecret(ctx, name)
	if errors.Is(err, ErrNotFound) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		if w, mid, err = v.wrap.Wrap(secret); err != nil {
			return nil, fmt.Errorf("wrap %s secret: %w", name, err)
		}
		if err := v.st.PutVaultSecret(ctx, name, w, mid); err != nil {
			return nil, fmt.Errorf("store %s secret: %w", name, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read %s secret: %w", name, err)
	}
	s, err := v.wrap.Unwrap(w, mid)
	if err != nil {
		return nil, fmt.Errorf("unwrap %s secret (is this the master key the data was created with?): %w", name, err)
	}
	return s, nil
}

// Pseudonym maps a raw subject identifier (an end-user id, an email) to the
// stable reference that events carry, so the ledger never holds the raw id.
func (v *Vault) Pseudonym(tenant, subject string) ledger.Ref {
	m := hmac.New(sha256.New, v.pseudo)
	io.WriteString(m, tenant)
	m.Write([]byte{0})
	io.WriteString(m, subject)
	sum := m.Sum(nil)
	return ledger.Ref{Kind: "subject", ID: "sub_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))}
}

// dataKey returns the subject's data key, creating it if asked.
func (v *Vault) dataKey(ctx context.Context, tenant, subject string, create bool) ([]byte, error) {
	ck := tenant + "\x00" + subject
	v.mu.Lock()
	if c, ok := v.cache[ck]; ok && v.now().Before(c.expires) {
		v.mu.Unlock()
		return c.dek, nil
	}
	v.mu.Unlock()
	k, err := v.st.SubjectKey(ctx, tenant, subject)
	if errors.Is(err, ErrNotFound) && create {
		dek := make([]byte, 32)
		if _, err := rand.Read(dek); err != nil {
			return nil, err
		}
		w, mid, err := v.wrap.Wrap(dek)
		if err != nil {
			return nil, fmt.Errorf("wrap data key: %w", err)
		}
		k, err = v.st.PutSubjectKey(ctx, SubjectKey{Tenant: tenant, Subject: subject, Wrapped: w, MasterID: mid, Created: v.now().UTC()})
		if err != nil {
			return nil, fmt.Errorf("store data key: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	dek, err := v.wrap.Unwrap(k.Wrapped, k.MasterID)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key: %w", err)
	}
	v.mu.Lock()
	if len(v.cache) > 10000 {
		clear(v.cache)
	}
	v.cache[ck] = cachedKey{dek: dek, expires: v.now().Add(cacheTTL)}
	v.mu.Unlock()
	return dek, nil
}

// Sealed is what the ledger may record about a sealed payload.
type Sealed struct {
	Ref string `json:"ref"`
	// MAC is a keyed hash of the plaintext under a key derived from the
	// subject's data key; after erasure nobody can test guesses against it.
	MAC string `json:"mac"`
}

// SealOptions describe a payload.
type SealOptions struct {
	Kind  string        // e.g. "prompt", "response"
	Class string        // data classification
	TTL   time.Duration // zero keeps it until erased
}

// Seal encrypts plaintext for the subject (a pseudonym from Pseudonym) and
// stores it.
func (v *Vault) Seal(ctx context.Context, tenant, subject string, plaintext []byte, o SealOptions) (Sealed, error) {
	dek, err := v.dataKey(ctx, tenant, subject, true)
	if err != nil {
		return Sealed{}, err
	}
	ref := make([]byte, 16)
	if _, err := rand.Read(ref); err != nil {
		return Sealed{}, err
	}
	p := Payload{Ref: "pl_" + hex.EncodeToString(ref), Tenant: tenant, Subject: subject, Kind: o.Kind, Class: o.Class, Created: v.now().UTC()}
	if o.TTL > 0 {
		p.Expires = p.Created.Add(o.TTL)
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return Sealed{}, err
	}
	p.Nonce = make([]byte, aead.NonceSize())
	if _, err := rand.Read(p.Nonce); err != nil {
		return Sealed{}, err
	}
	// The reference and owner are authenticated, so a ciphertext cannot be
	// moved to another subject's row.
	p.Ciphertext = aead.Seal(nil, p.Nonce, plaintext, []byte(p.Ref+"\x00"+tenant+"\x00"+subject))
	if err := v.st.PutPayload(ctx, p); err != nil {
		return Sealed{}, fmt.Errorf("store payload: %w", err)
	}
	return Sealed{Ref: p.Ref, MAC: macOf(dek, plaintext)}, nil
}

// Open decrypts a stored payload.
func (v *Vault) Open(ctx context.Context, ref string) (Payload, []byte, error) {
	p, err := v.st.Payload(ctx, ref)
	if err != nil {
		return Payload{}, nil, err
	}
	dek, err := v.dataKey(ctx, p.Tenant, p.Subject, false)
	if errors.Is(err, ErrNotFound) {
		return p, nil, ErrErased
	}
	if err != nil {
		return p, nil, err
	}
	aead, err := newAEAD(dek)
	if err != nil {
		return p, nil, err
	}
	pt, err := aead.Open(nil, p.Nonce, p.Ciphertext, []byte(p.Ref+"\x00"+p.Tenant+"\x00"+p.Subject))
	if err != nil {
		return p, nil, ErrErased // a key re-created after erasure cannot open older payloads
	}
	return p, pt, nil
}

// MAC computes the keyed hash a sealed payload's plaintext commits to, for
// a subject whose key still exists.
func (v *Vault) MAC(ctx context.Context, tenant, subject string, plaintext []byte) (string, error) {
	dek, err := v.dataKey(ctx, tenant, subject, false)
	if err != nil {
		return "", err
	}
	return macOf(dek, plaintext), nil
}

func macOf(dek, plaintext []byte) string {
	k := make([]byte, 32)
	io.ReadFull(hkdf.New(sha256.New, dek, nil, []byte("attest payload commitment")), k)
	m := hmac.New(sha256.New, k)
	m.Write(plaintext)
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// Receipt is the evidence of an erasure. It holds no personal data.
type Receipt struct {
	Tenant          string    `json:"tenant"`
	Subject         string    `json:"subject"` // pseudonym
	KeyDestroyed    bool      `json:"key_destroyed"`
	PayloadsDeleted int       `json:"payloads_deleted"`
	Time            time.Time `json:"time"`
	LedgerIndex     uint64    `json:"ledger_index"`
}

// Erase destroys the subject's data key and deletes its payloads, then
// records a subject.erased event. A legal hold refuses the erasure.
func (v *Vault) Erase(ctx context.Context, tenant, subject string, actor ledger.Actor) (Receipt, error) {
	if h, err := v.st.Hold(ctx, tenant, subject); err == nil {
		return Receipt{}, fmt.Errorf("%w since %s (%s); release the hold before erasing", ErrHeld, h.Placed.Format(time.DateOnly), h.Reason)
	} else if !errors.Is(err, ErrNotFound) {
		return Receipt{}, fmt.Errorf("check legal hold: %w", err)
	}
	destroyed, err := v.st.DeleteSubjectKey(ctx, tenant, subject)
	if err != nil {
		return Receipt{}, fmt.Errorf("destroy data key: %w", err)
	}
	v.mu.Lock()
	delete(v.cache, tenant+"\x00"+subject)
	v.mu.Unlock()
	n, err := v.st.DeleteSubjectPayloads(ctx, tenant, subject)
	if err != nil {
		return Receipt{}, fmt.Errorf("delete payloads: %w", err)
	}
	r := Receipt{Tenant: tenant, Subject: subject, KeyDestroyed: destroyed, PayloadsDeleted: n, Time: v.now().UTC()}
	idx, err := v.log.Append(ctx, ledger.MustEvent("subject.erased", tenant, actor,
		map[string]any{"key_destroyed": destroyed, "payloads_deleted": n},
		ledger.Ref{Kind: "subject", ID: subject}))
	if err != nil {
		return r, fmt.Errorf("the key is destroyed but the erasure could not be recorded; retry to record it: %w", err)
	}
	r.LedgerIndex = idx
	return r, nil
}

// PlaceHold puts a legal hold on a subject and records it.
func (v *Vault) PlaceHold(ctx context.Context, tenant, subject, reason string, actor ledger.Actor) error {
	if reason == "" {
		return errors.New("a legal hold needs a reason (a case or matter reference)")
	}
	h := Hold{Tenant: tenant, Subject: subject, Reason: reason, PlacedBy: actor.ID, Placed: v.now().UTC()}
	if err := v.st.PutHold(ctx, h); err != nil {
		return fmt.Errorf("store hold: %w", err)
	}
	_, err := v.log.Append(ctx, ledger.MustEvent("legal_hold.placed", tenant, actor, map[string]any{"reason": reason}, ledger.Ref{Kind: "subject", ID: subject}))
	return err
}

// ReleaseHold lifts a legal hold and records it.
func (v *Vault) ReleaseHold(ctx context.Context, tenant, subject string, actor ledger.Actor) error {
	ok, err := v.st.DeleteHold(ctx, tenant, subject)
	if err != nil {
		return fmt.Errorf("delete hold: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: no legal hold on %s", ErrNotFound, subject)
	}
	_, err = v.log.Append(ctx, ledger.MustEvent("legal_hold.released", tenant, actor, nil, ledger.Ref{Kind: "subject", ID: subject}))
	return err
}
