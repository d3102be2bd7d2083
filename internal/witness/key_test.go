package witness

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

func TestParseKey(t *testing.T) {
	s, vkey := newCosigner(t, "witness.example/w1")
	parts := strings.SplitN(vkey, "+", 3)
	raw, _ := base64.StdEncoding.DecodeString(parts[2])
	// The same Ed25519 key published as a plain note key (type 0x01).
	plain, err := note.NewEd25519VerifierKey(parts[0], raw[1:])
	if err != nil {
		t.Fatal(err)
	}
	mlSkey, mlVkey, err := fnote.GenerateMLDSAKey("witness.example/pq")
	if err != nil {
		t.Fatal(err)
	}
	mlSigner, err := fnote.NewSignerForCosignatureV1(mlSkey)
	if err != nil {
		t.Fatal(err)
	}
	log := newTestLog(t, "log.example")
	log.grow(3, "a")
	cp := log.sign()
	for _, tc := range []struct {
		name, vkey string
		signer     note.Signer
	}{
		{"ed25519 cosignature key", vkey, s},
		{"plain ed25519 note key", plain, s},
		{"ml-dsa-44 cosignature key", mlVkey, mlSigner},
	} {
		v, err := ParseKey(tc.vkey)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		signed := append(append([]byte{}, cp.Note...), cosign(t, tc.signer, cp.Note)...)
		if n, err := Count(signed, log.vkey, []note.Verifier{v}); err != nil || n != 1 {
			t.Fatalf("%s: a cosignature by the key counts %d, %v", tc.name, n, err)
		}
	}

	_, logV, _ := note.GenerateKey(nil, "log.example")
	for _, tc := range []struct{ name, vkey, want string }{
		{"empty", "", "name+hash+base64"},
		{"no hash", parts[0] + "+" + parts[2], "name+hash+base64"},
		{"bad base64", parts[0] + "+" + parts[1] + "+!!!", "name+hash+base64"},
		{"wrong hash", parts[0] + "+00000000+" + parts[2], "does not match"},
		{"wrong plain hash", parts[0] + "+00000000+" + strings.SplitN(plain, "+", 3)[2], "ed25519 key"},
		{"short key", parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(raw[:10]), "malformed"},
		{"ecdsa key", "x+01234567+" + base64.StdEncoding.EncodeToString([]byte{2, 1, 2, 3}), "type 0x02 is not a witness key"},
	} {
		if _, err := ParseKey(tc.vkey); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	// A log's plain key parses, as the cosignature form of the same key:
	// its own checkpoint signature must not count as a cosignature.
	lv, err := ParseKey(logV)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Count(cp.Note, log.vkey, []note.Verifier{lv}); err != nil || n != 0 {
		t.Fatalf("the log's signature counted as a cosignature: %d %v", n, err)
	}
	if _, err := ParseKeys([]string{vkey, plain}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("one key given twice, in two forms: %v", err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w", "witness.key")
	kp, err := LoadOrCreateKey(path, "witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	v, err := ParseKey(kp.VerifierKey)
	if err != nil || v.Name() != "witness.example/w1" || v.KeyHash() != kp.Signer.KeyHash() {
		t.Fatalf("verifier key %q does not match the signer: %v", kp.VerifierKey, err)
	}
	again, err := LoadOrCreateKey(path, "ignored")
	if err != nil || again.VerifierKey != kp.VerifierKey {
		t.Fatalf("reload: %v %q", err, again.VerifierKey)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKey(path, "x"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key readable by others: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("PRIVATE+KEY+x+00000000+AAAA\n"), 0o600)
	if _, err := LoadOrCreateKey(path, "x"); err == nil || !strings.Contains(err.Error(), "not an Ed25519 cosignature/v1 signing key") {
		t.Fatalf("a broken key: %v", err)
	}
	if _, _, err := GenerateKey("has space"); err == nil {
		t.Fatal("a key name with a space")
	}
}
