package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/attest-ai/attest/internal/ledger"
)

// Ledger event types this package describes.
const (
	EventSigned   = "model.signed"
	EventVerified = "model.verified"
)

// maxNamedFiles bounds the file names a verification event lists, so the
// event stays far below ledger.MaxEventSize.
const maxNamedFiles = 20

// SignedBody is the body of a model.signed event. The bundle itself is too
// large for the ledger; its digest ties the stored artifact to the event.
type SignedBody struct {
	RootDigest    string `json:"root_digest"`
	BundleSHA256  string `json:"bundle_sha256"`
	Signature     string `json:"signature"` // base64 DSSE signature over the statement
	Method        string `json:"method"`
	Signer        string `json:"signer"`
	Serialization string `json:"serialization"`
	ShardSize     int64  `json:"shard_size,omitempty"`
	Resources     int    `json:"resources"`
	Bytes         int64  `json:"bytes"`
}

// SignedEvent describes a signature for the ledger. subjects usually hold
// the model version, for example {Kind: "model_version", ID: "name@1"}.
func SignedEvent(tenant string, actor ledger.Actor, sig *Signature, subjects ...ledger.Ref) (ledger.Event, error) {
	b, err := ParseBundle(sig.Bundle)
	if err != nil {
		return ledger.Event{}, err
	}
	ser := sig.Manifest.Serialization
	return ledger.NewEvent(EventSigned, tenant, actor, SignedBody{
		RootDigest:    "sha256:" + sig.RootDigest,
		BundleSHA256:  digestHex(sig.Bundle),
		Signature:     b.DSSEEnvelope.Signatures[0].Sig,
		Method:        sig.Method,
		Signer:        sig.Signer,
		Serialization: ser.Method,
		ShardSize:     ser.ShardSize,
		Resources:     len(sig.Manifest.Resources),
		Bytes:         sig.Manifest.Bytes,
	}, subjects...)
}

// VerifiedBody is the body of a model.verified event, for success and
// failure alike.
type VerifiedBody struct {
	Verified     bool     `json:"verified"`
	BundleSHA256 string   `json:"bundle_sha256"`
	RootDigest   string   `json:"root_digest,omitempty"`
	Method       string   `json:"method,omitempty"`
	Signer       string   `json:"signer,omitempty"`
	Bytes        int64    `json:"bytes,omitempty"`
	Reason       string   `json:"reason,omitempty"` // mismatch, bad_signature, malformed or error
	Modified     []string `json:"modified,omitempty"`
	Missing      []string `json:"missing,omitempty"`
	Extra        []string `json:"extra,omitempty"`
}

// VerifiedEvent describes the outcome of Verify: pass its result and error.
func VerifiedEvent(tenant string, actor ledger.Actor, bundle []byte, v *Verified, verr error, subjects ...ledger.Ref) (ledger.Event, error) {
	body := VerifiedBody{Verified: verr == nil, BundleSHA256: digestHex(bundle)}
	if verr == nil && v != nil {
		body.RootDigest = "sha256:" + v.RootDigest
		body.Method, body.Signer, body.Bytes = v.Method, v.Signer, v.Bytes
	}
	var mm *MismatchError
	switch {
	case verr == nil:
	case errors.As(verr, &mm):
		body.Reason = "mismatch"
		body.Modified, body.Missing, body.Extra = firstN(mm.Modified), firstN(mm.Missing), firstN(mm.Extra)
	case errors.Is(verr, ErrBadSignature):
		body.Reason = "bad_signature"
	case errors.Is(verr, ErrMalformedBundle):
		body.Reason = "malformed"
	default:
		body.Reason = "error"
	}
	return ledger.NewEvent(EventVerified, tenant, actor, body, subjects...)
}

func firstN(names []string) []string { return names[:min(len(names), maxNamedFiles)] }

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
