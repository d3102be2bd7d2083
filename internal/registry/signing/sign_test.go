package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var goldenModel = map[string]string{
	"config.json":      `{"layers": 2}`,
	"weights/0.bin":    strings.Repeat("w", 100),
	"weights/1.bin":    "",
	"tokenizer/vocab":  "a b c",
	".git/HEAD":        "not signed",
	"docs/README.md":   "model card",
	"docs/notes:1.txt": "colon in name",
}

// TestStatementGolden pins the exact statement for a fixed model, so any
// change to enumeration, hashing, naming or ordering shows up.
func TestStatementGolden(t *testing.T) {
	dir := writeModel(t, goldenModel)
	for _, tc := range []struct {
		golden string
		opt    HashOptions
	}{
		{"statement-files.golden.json", HashOptions{Method: MethodFiles}},
		{"statement-shards.golden.json", HashOptions{Method: MethodShards, ShardSize: 64, IgnorePaths: []string{"docs/README.md"}}},
	} {
		m, err := HashModel(context.Background(), dir, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		st, err := newStatement(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", tc.golden)
		if *update {
			if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != string(got)+"\n" {
			t.Errorf("%s differs:\n%s", tc.golden, got)
		}
	}
}

func signModel(t *testing.T, dir string, s *Signer, opt HashOptions) *Signature {
	t.Helper()
	sig, err := s.Sign(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestSignVerifyKey(t *testing.T) {
	for _, method := range []string{MethodFiles, MethodShards} {
		t.Run(method, func(t *testing.T) {
			key := newKey(t)
			s, err := NewSigner(key)
			if err != nil {
				t.Fatal(err)
			}
			dir := writeModel(t, map[string]string{"a.bin": strings.Repeat("a", 5000), "sub/b.txt": "b", "c": "c"})
			sig := signModel(t, dir, s, HashOptions{Method: method, ShardSize: map[string]int64{MethodShards: 1024}[method]})
			v, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey})
			if err != nil {
				t.Fatal(err)
			}
			if v.RootDigest != sig.RootDigest || v.Method != MethodKey || v.Signer != sig.Signer || v.Bytes != 5002 {
				t.Fatalf("verified %+v, signed %+v", v, sig)
			}
		})
	}
}

func TestVerifyNamesChangedFiles(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	base := map[string]string{"a.bin": strings.Repeat("a", 3000), "b.bin": "b", "sub/c.bin": "c", "d.bin": "d"}
	for _, tc := range []struct {
		name   string
		change func(dir string) error
		want   MismatchError
	}{
		{"tampered byte", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "a.bin"), []byte(strings.Repeat("a", 2999)+"b"), 0o644)
		}, MismatchError{Modified: []string{"a.bin"}}},
		{"truncated", func(dir string) error {
			return os.Truncate(filepath.Join(dir, "a.bin"), 100)
		}, MismatchError{Modified: []string{"a.bin"}}},
		{"missing", func(dir string) error {
			return os.Remove(filepath.Join(dir, "sub", "c.bin"))
		}, MismatchError{Missing: []string{"sub/c.bin"}}},
		{"extra", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "e.bin"), []byte("new"), 0o644)
		}, MismatchError{Extra: []string{"e.bin"}}},
		{"renamed", func(dir string) error {
			return os.Rename(filepath.Join(dir, "d.bin"), filepath.Join(dir, "z.bin"))
		}, MismatchError{Missing: []string{"d.bin"}, Extra: []string{"z.bin"}}},
	} {
		for _, method := range []string{MethodFiles, MethodShards} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				dir := writeModel(t, base)
				sig := signModel(t, dir, s, HashOptions{Method: method, ShardSize: map[string]int64{MethodShards: 1000}[method]})
				if err := tc.change(dir); err != nil {
					t.Fatal(err)
				}
				_, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey})
				var mm *MismatchError
				if !errors.As(err, &mm) {
					t.Fatalf("err = %v, want a MismatchError", err)
				}
				if !slices.Equal(mm.Modified, tc.want.Modified) || !slices.Equal(mm.Missing, tc.want.Missing) || !slices.Equal(mm.Extra, tc.want.Extra) {
					t.Fatalf("mismatch %+v, want %+v", mm, tc.want)
				}
				for _, n := range slices.Concat(tc.want.Modified, tc.want.Missing, tc.want.Extra) {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("error %q does not name %s", err, n)
					}
				}
			})
		}
	}
}

func TestVerifyIgnoreUnsignedFiles(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	dir := writeModel(t, map[string]string{"a": "a"})
	sig := signModel(t, dir, s, HashOptions{})
	if err := os.WriteFile(filepath.Join(dir, "extra"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey, IgnoreUnsignedFiles: true}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifySignatureInsideModel(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	dir := writeModel(t, map[string]string{"a": "a"})
	sigPath := filepath.Join(dir, "model.sig")
	sig := signModel(t, dir, s, HashOptions{SignaturePath: sigPath})
	if err := os.WriteFile(sigPath, sig.Bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sig.Manifest.Serialization.IgnorePaths, "model.sig") {
		t.Fatalf("signature file not recorded as ignored: %q", sig.Manifest.Serialization.IgnorePaths)
	}
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey, SignaturePath: sigPath}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefusesEscapingSymlink(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	dir := writeModel(t, map[string]string{"a": "a"})
	sig := signModel(t, dir, s, HashOptions{AllowSymlinks: true})
	outside := filepath.Join(t.TempDir(), "b")
	os.WriteFile(outside, []byte("b"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey})
	if err == nil || !strings.Contains(err.Error(), "escapes the model directory") {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifyRejectsWrongKeyAndTampering(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	dir := writeModel(t, map[string]string{"a": "a"})
	sig := signModel(t, dir, s, HashOptions{})
	other := newKey(t)

	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &other.PublicKey}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other key: err = %v", err)
	}
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "public key") {
		t.Fatalf("no key: err = %v", err)
	}

	// A re-signed payload with the hint removed still fails: the signature
	// does not match the statement any more.
	var b Bundle
	json.Unmarshal(sig.Bundle, &b)
	payload, _ := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	altered := strings.Replace(string(payload), `"name":"model"`, `"name":"other"`, 1)
	if altered == string(payload) {
		t.Fatal("test payload lacks the subject name")
	}
	payload = []byte(altered)
	b.DSSEEnvelope.Payload = base64.StdEncoding.EncodeToString(payload)
	b.VerificationMaterial.PublicKey.Hint = ""
	b.VerificationMaterial.PublicKey.RawBytes = "old-style"
	tampered, _ := json.Marshal(b)
	if _, err := Verify(context.Background(), dir, tampered, VerifyOptions{PublicKey: &key.PublicKey}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered payload: err = %v", err)
	}
}

// testCA issues certificates for signing tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) *testCA {
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key}
}

func (ca *testCA) issue(t *testing.T, pub *ecdsa.PublicKey, notAfter time.Time, usage x509.KeyUsage) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "model signer"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     notAfter,
		KeyUsage:     usage,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		// Sigstore tooling summarizes the signer by a subject alternative name.
		EmailAddresses: []string{"ml-release@example.com"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestSignVerifyCertificate(t *testing.T) {
	ca := newCA(t)
	key := newKey(t)
	leaf := ca.issue(t, &key.PublicKey, time.Now().Add(time.Hour), x509.KeyUsageDigitalSignature)
	s, err := NewSigner(key, leaf)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeModel(t, map[string]string{"a": "a"})
	sig := signModel(t, dir, s, HashOptions{})
	if sig.Method != MethodCertificate {
		t.Fatalf("method %s", sig.Method)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	v, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if v.Method != MethodCertificate || v.Signer != certFingerprint(leaf) {
		t.Fatalf("verified %+v", v)
	}
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey}); err != nil {
		t.Fatalf("pinned key: %v", err)
	}

	other := x509.NewCertPool()
	other.AddCert(newCA(t).cert)
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{Roots: other}); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("untrusted root: err = %v", err)
	}
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{Roots: roots, Time: time.Now().Add(2 * time.Hour)}); err == nil {
		t.Fatal("expired certificate accepted")
	}
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "CA certificates") {
		t.Fatalf("no trust: err = %v", err)
	}
	if _, err := NewSigner(newKey(t), leaf); err == nil {
		t.Fatal("certificate for another key accepted")
	}
}

func TestVerifyCertificateWithoutSigningUsage(t *testing.T) {
	ca := newCA(t)
	key := newKey(t)
	leaf := ca.issue(t, &key.PublicKey, time.Now().Add(time.Hour), x509.KeyUsageKeyEncipherment)
	leaf.ExtKeyUsage = nil
	// Re-issue without code signing either.
	tmpl := *leaf
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(der)
	s, _ := NewSigner(key, leaf)
	dir := writeModel(t, map[string]string{"a": "a"})
	sig := signModel(t, dir, s, HashOptions{})
	if _, err := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey}); err == nil || !strings.Contains(err.Error(), "not allowed to sign") {
		t.Fatalf("err = %v", err)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	priv, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !k.PublicKey.Equal(p) {
		t.Fatal("public key does not match the private key")
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(p384)
	if _, err := ParsePrivateKey(pemBlock("EC PRIVATE KEY", der)); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Fatalf("P-384 signing key: err = %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("junk"), pub} {
		if _, err := ParsePrivateKey(bad); err == nil {
			t.Errorf("ParsePrivateKey(%q) succeeded", bad)
		}
	}
	if _, err := ParsePublicKey(priv); err == nil {
		t.Error("ParsePublicKey accepted a private key")
	}
	if _, err := ParseCertificates(pub); err == nil {
		t.Error("ParseCertificates accepted a public key")
	}
}

func TestSignRefusesOnlyEmptyFilesAsShards(t *testing.T) {
	s, _ := NewSigner(newKey(t))
	dir := writeModel(t, map[string]string{"empty": ""})
	if _, err := s.Sign(context.Background(), dir, HashOptions{}); err == nil || !strings.Contains(err.Error(), `"files" method`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Sign(context.Background(), dir, HashOptions{Method: MethodFiles}); err != nil {
		t.Fatal(err)
	}
}

func TestMismatchErrorQuotesHostileNames(t *testing.T) {
	e := &MismatchError{Modified: []string{"ok.bin", "evil\nverified model"}}
	if strings.Contains(e.Error(), "\n") || !strings.Contains(e.Error(), `"evil\nverified model"`) {
		t.Fatalf("error %q", e.Error())
	}
}
