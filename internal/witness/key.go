// Package witness is both sides of the C2SP tlog-witness protocol for the
// evidence ledger: a client that asks independent witnesses to cosign each
// new checkpoint and stores their cosignatures with it, and a minimal
// witness server that an auditor can run to do the cosigning.
//
// A witness cosigns a checkpoint only after checking that it is consistent
// with every checkpoint of the same log it cosigned before, so a log that
// shows different histories to different people (a split view) is caught
// as soon as both views reach a witness.
package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Signature types of verifier keys (c2sp.org/signed-note).
const (
	typeEd25519       = 0x01
	typeCosignatureV1 = 0x04
	typeMLDSA44       = 0x06
)

// ParseKey parses a witness's verifier key (name+hash+base64) into a
// verifier of its cosignature/v1 signatures. It takes Ed25519 (type 0x04)
// and ML-DSA-44 (type 0x06) cosigner keys, and plain Ed25519 note keys
// (type 0x01), which some witnesses publish for their cosignature key.
func ParseKey(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, _ := strings.Cut(vkey, "+")
	hash, key64, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key64)
	if name == "" || len(hash) != 8 || err != nil || len(raw) == 0 {
		return nil, errors.New("not a verifier key of the form name+hash+base64")
	}
	switch raw[0] {
	case typeEd25519:
		// The same Ed25519 key, but with the key ID of its cosignature/v1
		// form; the conversion also checks the hash of the note key.
		if vkey, err = fnote.VKeyToCosignatureV1(vkey); err != nil {
			return nil, fmt.Errorf("ed25519 key: %w", err)
		}
		_, rest, _ = strings.Cut(vkey, "+")
		hash, _, _ = strings.Cut(rest, "+")
	case typeCosignatureV1, typeMLDSA44:
	default:
		return nil, fmt.Errorf("key type 0x%02x is not a witness key; a witness signs with a cosignature/v1 key (type 0x04 or 0x06)", raw[0])
	}
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, err
	}
	// The library derives the key ID itself; a key whose stated ID differs
	// was mistyped or altered, and would never match a signature.
	if got := fmt.Sprintf("%08x", v.KeyHash()); got != hash {
		return nil, fmt.Errorf("key hash %s does not match the key (want %s)", hash, got)
	}
	return v, nil
}

// ParseKeys parses several witness keys, refusing the same key twice.
func ParseKeys(vkeys []string) ([]note.Verifier, error) {
	out := make([]note.Verifier, 0, len(vkeys))
	seen := map[string]bool{}
	for _, k := range vkeys {
		v, err := ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("witness key %q: %w", keyName(k), err)
		}
		id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if seen[id] {
			return nil, fmt.Errorf("witness key %q is given twice", v.Name())
		}
		seen[id] = true
		out = append(out, v)
	}
	return out, nil
}

// keyName is the name part of a key, which is safe to show in errors.
func keyName(vkey string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(vkey), "+")
	return name
}

// GenerateKey creates an Ed25519 cosignature/v1 key pair named name: the
// private key in signed-note form (PRIVATE+KEY+name+hash+base64) and the
// verifier key that logs and auditors configure.
func GenerateKey(name string) (skey, vkey string, err error) {
	if !validName(name) {
		return "", "", fmt.Errorf("witness name %q must be non-empty, without spaces or '+'", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	vkey = formatVerifierKey(name, pub)
	_, rest, _ := strings.Cut(vkey, "+")
	id, _, _ := strings.Cut(rest, "+")
	seed := append([]byte{typeCosignatureV1}, priv.Seed()...)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", name, id, base64.StdEncoding.EncodeToString(seed))
	return skey, vkey, nil
}

// KeyPair is a witness's cosigning key and its verifier key.
type KeyPair struct {
	Signer      note.Signer
	VerifierKey string
}

// LoadOrCreateKey reads the witness key at path, or creates it (mode 0600)
// with the given name on first start.
func LoadOrCreateKey(path, name string) (*KeyPair, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, gerr := GenerateKey(name)
		if gerr != nil {
			return nil, gerr
		}
		if err := writeKey(path, skey); err != nil {
			return nil, err
		}
		b = []byte(skey)
	} else if err != nil {
		return nil, fmt.Errorf("read witness key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("witness key %s is readable by others (mode %v); run 'chmod 600 %s'", path, fi.Mode().Perm(), path)
	}
	skey := strings.TrimSpace(string(b))
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key %s: %w", path, err)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key %s: %w", path, err)
	}
	return &KeyPair{Signer: s, VerifierKey: vkey}, nil
}

// verifierKey derives the cosignature/v1 verifier key of an Ed25519
// signing key, in its 0x04 form even if the seed is stored as a plain
// note key (0x01), since that is the key ID its cosignatures carry.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a signed-note private key (PRIVATE+KEY+name+hash+base64)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || (raw[0] != typeCosignatureV1 && raw[0] != typeEd25519) {
		return "", errors.New("not an Ed25519 cosignature/v1 signing key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return formatVerifierKey(parts[2], pub), nil
}

// formatVerifierKey encodes an Ed25519 cosigner public key as a vkey.
func formatVerifierKey(name string, pub ed25519.PublicKey) string {
	key := append([]byte{typeCosignatureV1}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	return fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(key))
}

func writeKey(path, skey string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create witness directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create witness key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write witness key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync witness key: %w", err)
	}
	return f.Close()
}
