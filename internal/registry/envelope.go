package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/note"
)

// PayloadType is the DSSE payload type of every statement the registry
// signs: in-toto statements.
const PayloadType = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope (github.com/secure-systems-lab/dsse). The
// registry signs with the ledger's Ed25519 key; payload and signatures are
// standard base64 in JSON.
type Envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     []byte              `json:"payload"`
	Signatures  []EnvelopeSignature `json:"signatures"`
}

// EnvelopeSignature is one signature; KeyID is the signed-note key name and
// hash, "name+hash" in hex, as in the ledger verifier key.
type EnvelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// pae is DSSE's pre-authentication encoding. It always begins with
// "DSSEv1 " and holds no newline for a JSON payload, so no signed message
// can be mistaken for a checkpoint note signed with the same key.
func pae(payloadType string, payload []byte) []byte {
	b := []byte("DSSEv1 ")
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

func keyID(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }

// sign wraps an in-toto statement in a signed envelope.
func (s *Service) sign(payload []byte) (*Envelope, error) {
	if s.d.Signer == nil {
		return nil, errors.New("the registry has no signing key: start it with the ledger key")
	}
	sig, err := s.d.Signer.Sign(pae(PayloadType, payload))
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	return &Envelope{
		PayloadType: PayloadType,
		Payload:     payload,
		Signatures:  []EnvelopeSignature{{KeyID: keyID(s.d.Signer.Name(), s.d.Signer.KeyHash()), Sig: sig}},
	}, nil
}

func (e *Envelope) payloadSHA256() string { return sha256Hex(e.Payload) }

// ErrBadEnvelope wraps every reason an envelope does not verify.
var ErrBadEnvelope = errors.New("statement signature does not verify")

// VerifyEnvelope checks that env is signed by the holder of the ledger
// verifier key vkey and returns its payload.
func VerifyEnvelope(env Envelope, vkey string) ([]byte, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("parse verifier key: %w", err)
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w: payload type %q, want %q", ErrBadEnvelope, env.PayloadType, PayloadType)
	}
	id := keyID(v.Name(), v.KeyHash())
	msg := pae(env.PayloadType, env.Payload)
	for _, sig := range env.Signatures {
		if sig.KeyID == id && v.Verify(msg, sig.Sig) {
			return env.Payload, nil
		}
	}
	return nil, fmt.Errorf("%w: no signature by %s", ErrBadEnvelope, id)
}

// ParseEnvelope decodes an envelope from JSON.
func ParseEnvelope(b []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return env, fmt.Errorf("%w: not a DSSE envelope: %v", ErrBadEnvelope, err)
	}
	if len(env.Signatures) == 0 || len(env.Signatures) > 16 {
		return env, fmt.Errorf("%w: an envelope needs 1-16 signatures", ErrBadEnvelope)
	}
	return env, nil
}

// statement is an in-toto v1 statement with a registry predicate.
type statement struct {
	Type          string          `json:"_type"`
	Subject       []stmtSubject   `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type stmtSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

func newStatement(predicateType, name, digest string, predicate any) ([]byte, error) {
	p, err := json.Marshal(predicate)
	if err != nil {
		return nil, err
	}
	st := statement{
		Type:          "https://in-toto.io/Statement/v1",
		Subject:       []stmtSubject{{Name: name, Digest: map[string]string{"sha256": hexOf(digest)}}},
		PredicateType: predicateType,
		Predicate:     p,
	}
	return json.Marshal(st)
}
