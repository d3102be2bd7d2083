package credential

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Vault reads one field of a HashiCorp Vault KV version 2 secret through
// the HTTP API: GET /v1/<mount>/data/<path> with the X-Vault-Token header.
type Vault struct {
	Address   string
	Mount     string
	Path      string
	Field     string
	Namespace string
	// TokenEnv and TokenFile say where the Vault token is; the environment
	// variable VAULT_TOKEN is used when both are empty.
	TokenEnv  string
	TokenFile string
	Client    *http.Client
}

// Kind implements Source.
func (*Vault) Kind() string { return "vault" }

func (v *Vault) token() (string, error) {
	if v.TokenFile != "" {
		b, err := os.ReadFile(v.TokenFile)
		if err != nil {
			return "", fmt.Errorf("read vault token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	name := v.TokenEnv
	if name == "" {
		name = "VAULT_TOKEN"
	}
	t := strings.TrimSpace(os.Getenv(name))
	if t == "" {
		return "", fmt.Errorf("vault token: environment variable %s is empty; export a token or set token_file", name)
	}
	return t, nil
}

// Fetch implements Source.
func (v *Vault) Fetch(ctx context.Context) (Secret, error) {
	tok, err := v.token()
	if err != nil {
		return Secret{}, err
	}
	mount := strings.Trim(v.Mount, "/")
	if mount == "" {
		mount = "secret"
	}
	u := strings.TrimRight(v.Address, "/") + "/v1/" + escapePath(mount) + "/data/" + escapePath(strings.Trim(v.Path, "/"))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Secret{}, fmt.Errorf("vault request for %s/%s: %w", mount, v.Path, err)
	}
	req.Header.Set("X-Vault-Token", tok)
	if v.Namespace != "" {
		req.Header.Set("X-Vault-Namespace", v.Namespace)
	}
	c := v.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Secret{}, fmt.Errorf("vault read %s/%s: %w", mount, v.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Secret{}, fmt.Errorf("vault read %s/%s: %w", mount, v.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Errors []string `json:"errors"`
		}
		_ = json.Unmarshal(body, &e)
		return Secret{}, fmt.Errorf("vault read %s/%s: status %d %s; check the token's policy and the secret path", mount, v.Path, resp.StatusCode, strings.Join(e.Errors, "; "))
	}
	var w struct {
		Data struct {
			Data     map[string]any `json:"data"`
			Metadata struct {
				Version int `json:"version"`
			} `json:"metadata"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Secret{}, fmt.Errorf("vault read %s/%s: the answer is not a KV v2 secret", mount, v.Path)
	}
	if w.Data.Data == nil {
		return Secret{}, fmt.Errorf("vault read %s/%s: the secret has no data (deleted or destroyed version?)", mount, v.Path)
	}
	fieldName := v.Field
	if fieldName == "" {
		fieldName = "api_key"
	}
	val, ok := w.Data.Data[fieldName].(string)
	if !ok || strings.TrimSpace(val) == "" {
		return Secret{}, fmt.Errorf("vault secret %s/%s field %q: %w", mount, v.Path, fieldName, ErrEmpty)
	}
	return Secret{Value: strings.TrimSpace(val), Version: strconv.Itoa(w.Data.Metadata.Version)}, nil
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

var _ Source = (*Vault)(nil)
