package vault

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyWrapper wraps data keys under a master key. A KMS can implement it;
// LocalWrapper keeps the master keys in a file or the environment.
type KeyWrapper interface {
	// Wrap encrypts a data key under the current master key and names it.
	Wrap(dek []byte) (wrapped []byte, masterID string, err error)
	// Unwrap decrypts a data key wrapped under the named master key.
	Unwrap(wrapped []byte, masterID string) ([]byte, error)
}

// LocalWrapper holds one current master key and any older ones still needed
// to unwrap keys that have not been re-wrapped yet.
type LocalWrapper struct {
	current string
	keys    map[string][]byte
}

var _ KeyWrapper = (*LocalWrapper)(nil)

// MasterKeyFile is the master key's file name in the data directory.
const MasterKeyFile = "master.key"

// ParseMasterKeys reads one base64 AES-256 key per line (or comma), the
// first being current.
func ParseMasterKeys(s string) (*LocalWrapper, error) {
	w := &LocalWrapper{keys: map[string][]byte{}}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(f)
		if err != nil || len(k) != 32 {
			return nil, errors.New("master key must be 32 random bytes in base64 (generate one with 'openssl rand -base64 32')")
		}
		id := masterID(k)
		if w.current == "" {
			w.current = id
		}
		w.keys[id] = k
	}
	if w.current == "" {
		return nil, errors.New("no master key given")
	}
	return w, nil
}

// LoadMasterKeys takes keys from env (ATTEST_MASTER_KEY) if set, otherwise
// from dir/master.key, creating it with mode 0600 on first start.
func LoadMasterKeys(dir, env string) (*LocalWrapper, error) {
	if env != "" {
		return ParseMasterKeys(env)
	}
	p := filepath.Join(dir, MasterKeyFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		b = []byte(base64.StdEncoding.EncodeToString(k) + "\n")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, fmt.Errorf("create master key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read master key %s: %w", p, err)
	}
	w, err := ParseMasterKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return w, nil
}

func masterID(k []byte) string {
	s := sha256.Sum256(append([]byte("attest master key id\x00"), k...))
	return "mk_" + hex.EncodeToString(s[:6])
}

// Current names the master key new data keys are wrapped under.
func (w *LocalWrapper) Current() string { return w.current }

// Keys is how many distinct master keys are configured: the current one
// and the older ones kept to unwrap data keys not re-wrapped yet.
func (w *LocalWrapper) Keys() int { return len(w.keys) }

// Wrap implements KeyWrapper.
func (w *LocalWrapper) Wrap(dek []byte) ([]byte, string, error) {
	aead, err := newAEAD(w.keys[w.current])
	if err != nil {
		return nil, "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", err
	}
	return aead.Seal(nonce, nonce, dek, []byte(w.current)), w.current, nil
}

// Unwrap implements KeyWrapper.
func (w *LocalWrapper) Unwrap(wrapped []byte, id string) ([]byte, error) {
	k, ok := w.keys[id]
	if !ok {
		return nil, fmt.Errorf("master key %s is not configured; add it as a second line of the master key so old data keys can be unwrapped", id)
	}
	aead, err := newAEAD(k)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < aead.NonceSize() {
		return nil, errors.New("wrapped key is too short")
	}
	dek, err := aead.Open(nil, wrapped[:aead.NonceSize()], wrapped[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("unwrap under %s: %w", id, err)
	}
	return dek, nil
}
