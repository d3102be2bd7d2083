package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are argon2id's cost settings. The defaults follow the OWASP
// minimum for argon2id (19 MiB, two passes, one lane), which keeps a login
// near 30 ms on one core while making offline guessing expensive.
type argonParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

var defaultArgon = argonParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// Bounds on parameters read back from the store, so a tampered hash cannot
// make a login allocate gigabytes or spin for minutes.
const (
	maxArgonMemory = 256 * 1024
	maxArgonTime   = 16
	saltLen        = 16
	keyLen         = 32
)

// hashPassword returns the argon2id hash of pw in PHC string form.
func hashPassword(pw string, p argonParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// phc is a parsed argon2id hash.
type phc struct {
	params argonParams
	salt   []byte
	key    []byte
}

var errBadHash = errors.New("stored password hash is not an argon2id PHC string; reset the password with 'attest users password'")

// parsePHC reads "$argon2id$v=19$m=..,t=..,p=..$salt$key".
func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, errBadHash
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return h, errBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return h, errBadHash
		}
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return h, errBadHash
			}
			h.params.Threads = uint8(n)
		default:
			return h, errBadHash
		}
	}
	p := h.params
	if p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgonMemory || p.Time < 1 || p.Time > maxArgonTime || p.Threads < 1 || p.Threads > 16 {
		return h, errBadHash
	}
	var err error
	enc := base64.RawStdEncoding
	if h.salt, err = enc.DecodeString(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > 64 {
		return h, errBadHash
	}
	if h.key, err = enc.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, errBadHash
	}
	return h, nil
}

// checkPassword reports whether pw matches the stored hash, in time that
// does not depend on where the two differ.
func checkPassword(stored, pw string) (bool, error) {
	h, err := parsePHC(stored)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// dummyHash is checked when a login names no known user, so the answer
// takes as long as for a real one and does not reveal which names exist.
var dummyHash = func() string {
	h, err := hashPassword("attest-console-dummy", defaultArgon)
	if err != nil {
		panic(err)
	}
	return h
}()

// generatePassword returns 26 random base32 characters: 128 bits.
func generatePassword() string { return rand.Text() }
