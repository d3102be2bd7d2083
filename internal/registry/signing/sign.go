package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Signer signs models with an ECDSA P-256 key, optionally vouched for by
// an X.509 certificate chain.
type Signer struct {
	key   *ecdsa.PrivateKey
	chain []*x509.Certificate
}

// NewSigner returns a signer for key. With a chain (leaf first), bundles
// carry the certificates instead of a key hint; the leaf must certify key.
func NewSigner(key *ecdsa.PrivateKey, chain ...*x509.Certificate) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("a signing key is required")
	}
	if len(chain) > 0 {
		leaf, ok := chain[0].PublicKey.(*ecdsa.PublicKey)
		if !ok || !leaf.Equal(&key.PublicKey) {
			return nil, fmt.Errorf("the certificate does not certify the signing key: pass the certificate issued for this key first")
		}
	}
	return &Signer{key: key, chain: chain}, nil
}

// Signature is a signed model.
type Signature struct {
	// Bundle is the OMS signature file, a Sigstore bundle in JSON.
	Bundle []byte
	// RootDigest is the hex SHA-256 root digest, the statement subject.
	RootDigest string
	// Manifest lists the signed resources.
	Manifest *Manifest
	// Method is MethodKey or MethodCertificate.
	Method string
	// Signer identifies the key: its hint, or the SHA-256 fingerprint of
	// the leaf certificate.
	Signer string
}

// Sign hashes the model at path and signs its manifest.
func (s *Signer) Sign(ctx context.Context, path string, opt HashOptions) (*Signature, error) {
	m, err := HashModel(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	return s.SignManifest(m)
}

// SignManifest signs an already computed manifest.
func (s *Signer) SignManifest(m *Manifest) (*Signature, error) {
	st, err := newStatement(m)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	env, err := SignEnvelope(s.key, payload)
	if err != nil {
		return nil, err
	}
	b := Bundle{MediaType: BundleMediaType, DSSEEnvelope: env}
	sig := &Signature{RootDigest: st.RootDigest(), Manifest: m}
	if len(s.chain) > 0 {
		chain := &CertChain{}
		for _, c := range s.chain {
			chain.Certificates = append(chain.Certificates, RawCert{RawBytes: base64.StdEncoding.EncodeToString(c.Raw)})
		}
		b.VerificationMaterial.X509CertificateChain = chain
		sig.Method, sig.Signer = MethodCertificate, certFingerprint(s.chain[0])
	} else {
		hint, err := KeyHint(&s.key.PublicKey)
		if err != nil {
			return nil, err
		}
		b.VerificationMaterial.PublicKey = &PublicKeyID{Hint: hint}
		sig.Method, sig.Signer = MethodKey, hint
	}
	if sig.Bundle, err = json.MarshalIndent(b, "", "  "); err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	sig.Bundle = append(sig.Bundle, '\n')
	return sig, nil
}

func certFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
