package signing

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := CLI(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestCLISignVerify(t *testing.T) {
	work := t.TempDir()
	key := filepath.Join(work, "k.key")
	pub := filepath.Join(work, "k.pub")
	sigPath := filepath.Join(work, "model.sig")
	dir := writeModel(t, map[string]string{"w.bin": strings.Repeat("w", 10000), "config.json": "{}"})

	if out, err := runCLI(t, "keygen", "--out", key, "--pub", pub); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	if info, err := os.Stat(key); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", info, err)
	}
	if _, err := runCLI(t, "keygen", "--out", key, "--pub", pub); err == nil {
		t.Fatal("keygen overwrote an existing key")
	}
	out, err := runCLI(t, "sign", dir, "--key", key, "--out", sigPath)
	if err != nil {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	if !strings.Contains(out, "root digest: sha256:") {
		t.Fatalf("sign output lacks the root digest:\n%s", out)
	}
	// Flags after the path work as well as before it.
	if out, err := runCLI(t, "verify", "--sig", sigPath, dir, "--key", pub); err != nil || !strings.Contains(out, "verified") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "verify", dir, "--sig", sigPath, "--key", pub); err == nil || !strings.Contains(err.Error(), "w.bin") {
		t.Fatalf("tampered model: err = %v, want it to name w.bin", err)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	if out, err := runCLI(t); err != nil || !strings.Contains(out, "usage: attest model") {
		t.Fatalf("no args: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "sign", "-h"); err != nil || !strings.Contains(out, "-key") {
		t.Fatalf("sign -h: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"frobnicate"},
		{"sign", "x"},
		{"verify", "x"},
		{"verify", "x", "--key", "a", "--cert", "b"},
		{"keygen", "extra"},
		{"sign", "x", "--key", filepath.Join(t.TempDir(), "missing.key")},
	} {
		if _, err := runCLI(t, args...); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}

func TestCLICertificateAndIgnorePaths(t *testing.T) {
	work := t.TempDir()
	ca := newCA(t)
	key := newKey(t)
	leaf := ca.issue(t, &key.PublicKey, ca.cert.NotAfter, x509.KeyUsageDigitalSignature)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	files := map[string][]byte{
		"k.key":    pemBlock("PRIVATE KEY", der),
		"leaf.pem": pemBlock("CERTIFICATE", leaf.Raw),
		"ca.pem":   pemBlock("CERTIFICATE", ca.cert.Raw),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir := writeModel(t, map[string]string{"w.bin": "w", "cache/tmp": "scratch"})
	sigPath := filepath.Join(work, "model.sig")
	if out, err := runCLI(t, "sign", dir, "--key", filepath.Join(work, "k.key"), "--cert", filepath.Join(work, "leaf.pem"),
		"--out", sigPath, "--ignore-paths", "cache", "--method", "files"); err != nil {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	// The ignored scratch file may change without breaking the signature.
	os.WriteFile(filepath.Join(dir, "cache", "tmp"), []byte("changed"), 0o644)
	out, err := runCLI(t, "verify", dir, "--sig", sigPath, "--cert", filepath.Join(work, "ca.pem"))
	if err != nil || !strings.Contains(out, "signer (certificate)") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	other := filepath.Join(work, "other-ca.pem")
	os.WriteFile(other, pemBlock("CERTIFICATE", newCA(t).cert.Raw), 0o600)
	if _, err := runCLI(t, "verify", dir, "--sig", sigPath, "--cert", other); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("verified against another CA: %v", err)
	}
}
