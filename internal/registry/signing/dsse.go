package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// Envelope is a DSSE envelope (github.com/secure-systems-lab/dsse).
type Envelope struct {
	Payload     string         `json:"payload"`
	PayloadType string         `json:"payloadType"`
	Signatures  []EnvSignature `json:"signatures"`
}

// EnvSignature is one DSSE signature. OMS does not use keyid; it is
// written only when set and accepted absent, empty or null.
type EnvSignature struct {
	Sig   string  `json:"sig"`
	KeyID *string `json:"keyid,omitempty"`
}

// pae is the DSSE pre-authentication encoding, the bytes actually signed:
// "DSSEv1 <len(type)> <type> <len(body)> <body>".
func pae(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, len(payloadType)+len(payload)+32)
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// curveHash is the digest paired with each curve, as Sigstore and the OMS
// reference implementation pair them.
func curveHash(c elliptic.Curve) (crypto.Hash, error) {
	switch c {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	case elliptic.P521():
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("elliptic curve %s is not supported: use P-256", c.Params().Name)
}

func digestFor(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// SignEnvelope signs an in-toto statement into a DSSE envelope with an
// ASN.1 ECDSA signature. Model signatures use it, and so can any other
// statement attest signs (provenance, evaluation results).
func SignEnvelope(key *ecdsa.PrivateKey, payload []byte) (*Envelope, error) {
	h, err := curveHash(key.Curve)
	if err != nil {
		return nil, err
	}
	sig, err := ecdsa.SignASN1(rand.Reader, key, digestFor(h, pae(PayloadType, payload)))
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	return &Envelope{
		Payload:     base64.StdEncoding.EncodeToString(payload),
		PayloadType: PayloadType,
		Signatures:  []EnvSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}, nil
}

// ErrBadSignature means the envelope was not signed by the given key.
var ErrBadSignature = errors.New("signature does not verify")

// VerifyEnvelope checks that one of the envelope's signatures verifies
// under pub and returns the payload.
func VerifyEnvelope(env *Envelope, pub *ecdsa.PublicKey) ([]byte, error) {
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("envelope payloadType is %q, want %q", env.PayloadType, PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("envelope payload is not base64: %w", err)
	}
	h, err := curveHash(pub.Curve)
	if err != nil {
		return nil, err
	}
	digest := digestFor(h, pae(env.PayloadType, payload))
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		if ecdsa.VerifyASN1(pub, digest, sig) {
			return payload, nil
		}
	}
	return nil, fmt.Errorf("%w: the statement was not signed by this key, or it was altered", ErrBadSignature)
}
