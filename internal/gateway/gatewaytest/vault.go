package gatewaytest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

func hexHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Vault is a fake HashiCorp Vault serving the KV version 2 read API
// (GET /v1/<mount>/data/<path>) as the real server does: the X-Vault-Token
// header is checked, answers carry data.data and data.metadata.version,
// and errors are {"errors": [...]}.
type Vault struct {
	*httptest.Server
	Token string

	mu      sync.Mutex
	secrets map[string]*vaultSecret
	reads   int
}

type vaultSecret struct {
	versions []map[string]any
}

// NewVault starts a fake Vault that accepts token.
func NewVault(token string) *Vault {
	v := &Vault{Token: token, secrets: map[string]*vaultSecret{}}
	v.Server = httptest.NewServer(http.HandlerFunc(v.serve))
	return v
}

// Put writes a new version of the secret at mount/path.
func (v *Vault) Put(mount, path string, data map[string]any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := mount + "/" + path
	s := v.secrets[k]
	if s == nil {
		s = &vaultSecret{}
		v.secrets[k] = s
	}
	s.versions = append(s.versions, data)
}

// Reads returns how many secret reads succeeded.
func (v *Vault) Reads() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reads
}

func vaultError(w http.ResponseWriter, status int, msgs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if msgs == nil {
		msgs = []string{}
	}
	json.NewEncoder(w).Encode(map[string]any{"errors": msgs})
}

func (v *Vault) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != v.Token {
		vaultError(w, http.StatusForbidden, "permission denied")
		return
	}
	if r.Method != http.MethodGet {
		vaultError(w, http.StatusMethodNotAllowed, "unsupported operation")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		vaultError(w, http.StatusNotFound)
		return
	}
	mount, path, ok := strings.Cut(rest, "/data/")
	if !ok {
		vaultError(w, http.StatusNotFound)
		return
	}
	v.mu.Lock()
	s := v.secrets[mount+"/"+path]
	if s == nil || len(s.versions) == 0 {
		v.mu.Unlock()
		vaultError(w, http.StatusNotFound)
		return
	}
	v.reads++
	n := len(s.versions)
	data := s.versions[n-1]
	v.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"request_id":     "00000000-0000-0000-0000-000000000000",
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data": map[string]any{
			"data": data,
			"metadata": map[string]any{
				"created_time":    now,
				"custom_metadata": nil,
				"deletion_time":   "",
				"destroyed":       false,
				"version":         n,
			},
		},
		"wrap_info": nil,
		"warnings":  nil,
		"auth":      nil,
	})
}
