package signing

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(omsDir(t), "test-vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vectorPayload(t *testing.T, b *Bundle) []byte {
	t.Helper()
	p, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestValidVectors parses every valid OMS vector and checks its statement,
// including that the root digest matches the resources as computed here.
func TestValidVectors(t *testing.T) {
	for _, tc := range []struct {
		file, method, root string
	}{
		{"valid/key.bundle.json", MethodKey, "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"},
		{"valid/certificate.bundle.json", MethodCertificate, "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"},
		{"valid/sigstore.bundle.json", MethodSigstore, "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := ParseBundle(readVector(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := b.Method(); m != tc.method {
				t.Fatalf("method %s, want %s", m, tc.method)
			}
			st, err := parseStatement(vectorPayload(t, b))
			if err != nil {
				t.Fatal(err)
			}
			if st.RootDigest() != tc.root || len(st.Predicate.Resources) != 2 || st.Predicate.Serialization.Method != MethodFiles {
				t.Fatalf("statement %+v", st)
			}
		})
	}
}

// TestCertificateVectorSignature verifies the reference implementation's
// certificate bundle end to end: chain to its issuing CA and the P-384
// DSSE signature, which proves the PAE and hash choice match.
func TestCertificateVectorSignature(t *testing.T) {
	b, err := ParseBundle(readVector(t, "valid/certificate.bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	certs := b.VerificationMaterial.X509CertificateChain.Certificates
	der, _ := base64.StdEncoding.DecodeString(certs[len(certs)-1].RawBytes)
	issuer, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(issuer)
	v, err := VerifyBundle(readVector(t, "valid/certificate.bundle.json"), VerifyOptions{Roots: roots, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if v.RootDigest != "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4" {
		t.Fatalf("root %s", v.RootDigest)
	}
}

// TestSigstoreVectorSignature checks the keyless vector's DSSE signature
// against its Fulcio certificate key. The transparency log is out of scope.
func TestSigstoreVectorSignature(t *testing.T) {
	raw := readVector(t, "valid/sigstore.bundle.json")
	b, err := ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := base64.StdEncoding.DecodeString(b.VerificationMaterial.Certificate.RawBytes)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyEnvelope(b.DSSEEnvelope, cert.PublicKey.(*ecdsa.PublicKey)); err != nil {
		t.Fatal(err)
	}
	other := newKey(t)
	if _, err := VerifyEnvelope(b.DSSEEnvelope, &other.PublicKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong key: err = %v", err)
	}
	if _, err := VerifyBundle(raw, VerifyOptions{PublicKey: &other.PublicKey}); err == nil || !strings.Contains(err.Error(), "Sigstore") {
		t.Fatalf("keyless bundle: err = %v", err)
	}
}

func TestInvalidVectors(t *testing.T) {
	for _, name := range []string{
		"invalid/empty.bundle.json",
		"invalid/missing-envelope.bundle.json",
		"invalid/missing-tlog-entries.bundle.json",
		"invalid/missing-verification-material.bundle.json",
	} {
		if _, err := ParseBundle(readVector(t, name)); !errors.Is(err, ErrMalformedBundle) {
			t.Errorf("%s: err = %v, want ErrMalformedBundle", name, err)
		}
	}
	b, err := ParseBundle(readVector(t, "invalid-payload/wrong-predicate.bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseStatement(vectorPayload(t, b)); err == nil || !strings.Contains(err.Error(), "predicateType") {
		t.Fatalf("wrong predicate: err = %v", err)
	}
}
