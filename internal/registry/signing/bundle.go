package signing

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// BundleMediaType is the Sigstore bundle version this package writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// knownMediaTypes are the Sigstore bundle versions a verifier accepts.
var knownMediaTypes = []string{
	BundleMediaType,
	"application/vnd.dev.sigstore.bundle+json;version=0.3",
	"application/vnd.dev.sigstore.bundle+json;version=0.2",
	"application/vnd.dev.sigstore.bundle+json;version=0.1",
}

// Signing methods of OMS 1.0, section 4.1.
const (
	MethodKey         = "key"
	MethodCertificate = "certificate"
	MethodSigstore    = "sigstore"
)

// Bundle is the JSON form of a Sigstore bundle holding a DSSE envelope.
type Bundle struct {
	MediaType            string    `json:"mediaType"`
	VerificationMaterial Material  `json:"verificationMaterial"`
	DSSEEnvelope         *Envelope `json:"dsseEnvelope"`
}

// Material is the bundle's verification material: exactly one of a public
// key identifier, a certificate chain or a single Sigstore certificate.
type Material struct {
	PublicKey                 *PublicKeyID      `json:"publicKey,omitempty"`
	X509CertificateChain      *CertChain        `json:"x509CertificateChain,omitempty"`
	Certificate               *RawCert          `json:"certificate,omitempty"`
	TlogEntries               []json.RawMessage `json:"tlogEntries,omitempty"`
	TimestampVerificationData json.RawMessage   `json:"timestampVerificationData,omitempty"`
}

// PublicKeyID identifies the signing key. Current bundles carry a hint,
// the hex SHA-256 of the key's PEM encoding; older ones carried rawBytes.
type PublicKeyID struct {
	Hint     string `json:"hint,omitempty"`
	RawBytes string `json:"rawBytes,omitempty"`
}

// CertChain is a leaf certificate followed by its CA chain.
type CertChain struct {
	Certificates []RawCert `json:"certificates"`
}

// RawCert is one base64 DER certificate.
type RawCert struct {
	RawBytes string `json:"rawBytes"`
}

// ErrMalformedBundle wraps every structural problem of a bundle.
var ErrMalformedBundle = errors.New("malformed signature bundle")

// ParseBundle decodes a bundle and checks its structure. It verifies no
// signature.
func ParseBundle(data []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: not a JSON Sigstore bundle: %v", ErrMalformedBundle, err)
	}
	if !slices.Contains(knownMediaTypes, b.MediaType) {
		return nil, fmt.Errorf("%w: mediaType %q is not a supported Sigstore bundle version", ErrMalformedBundle, b.MediaType)
	}
	env := b.DSSEEnvelope
	if env == nil || env.Payload == "" || env.PayloadType == "" || len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: a DSSE envelope with payload, payloadType and at least one signature is required", ErrMalformedBundle)
	}
	for _, s := range env.Signatures {
		if s.Sig == "" {
			return nil, fmt.Errorf("%w: an envelope signature is empty", ErrMalformedBundle)
		}
	}
	if _, err := b.Method(); err != nil {
		return nil, err
	}
	return &b, nil
}

// Method tells which OMS signing method the verification material uses.
func (b *Bundle) Method() (string, error) {
	vm := &b.VerificationMaterial
	n := 0
	for _, set := range []bool{vm.PublicKey != nil, vm.X509CertificateChain != nil, vm.Certificate != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return "", fmt.Errorf("%w: verification material needs exactly one of publicKey, x509CertificateChain or certificate", ErrMalformedBundle)
	case vm.PublicKey != nil:
		if vm.PublicKey.Hint == "" && vm.PublicKey.RawBytes == "" {
			return "", fmt.Errorf("%w: publicKey needs a hint or rawBytes", ErrMalformedBundle)
		}
		return MethodKey, nil
	case vm.X509CertificateChain != nil:
		if len(vm.X509CertificateChain.Certificates) == 0 {
			return "", fmt.Errorf("%w: x509CertificateChain holds no certificates", ErrMalformedBundle)
		}
		return MethodCertificate, nil
	default:
		if len(vm.TlogEntries) == 0 {
			return "", fmt.Errorf("%w: a Sigstore certificate bundle needs transparency log entries", ErrMalformedBundle)
		}
		return MethodSigstore, nil
	}
}
