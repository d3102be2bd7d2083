package credential_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/credential"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
)

func TestSources(t *testing.T) {
	ctx := context.Background()
	t.Setenv("CRED_TEST_KEY", " sk-env \n")
	if s, err := (credential.Env{Name: "CRED_TEST_KEY"}).Fetch(ctx); err != nil || s.Value != "sk-env" {
		t.Errorf("env: %q %v", s.Value, err)
	}
	if _, err := (credential.Env{Name: "CRED_TEST_UNSET"}).Fetch(ctx); err == nil || !strings.Contains(err.Error(), "CRED_TEST_UNSET") {
		t.Errorf("unset env: %v", err)
	}
	p := filepath.Join(t.TempDir(), "key")
	os.WriteFile(p, []byte("sk-file\n"), 0o600)
	if s, err := (credential.File{Path: p}).Fetch(ctx); err != nil || s.Value != "sk-file" {
		t.Errorf("file: %q %v", s.Value, err)
	}
	os.WriteFile(p, []byte("  \n"), 0o600)
	if _, err := (credential.File{Path: p}).Fetch(ctx); err == nil {
		t.Error("an empty file gave a credential")
	}
}

func TestVault(t *testing.T) {
	ctx := context.Background()
	v := gatewaytest.NewVault("root")
	defer v.Close()
	v.Put("kv", "team/openai", map[string]any{"api_key": "sk-1", "other": 5})
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("root\n"), 0o600)
	src := &credential.Vault{Address: v.URL, Mount: "kv", Path: "team/openai", TokenFile: tokenFile}
	s, err := src.Fetch(ctx)
	if err != nil || s.Value != "sk-1" || s.Version != "1" {
		t.Fatalf("read: %+v %v", s, err)
	}
	for _, tc := range []struct {
		name string
		src  *credential.Vault
		want string
	}{
		{"missing path", &credential.Vault{Address: v.URL, Mount: "kv", Path: "nope", TokenFile: tokenFile}, "status 404"},
		{"wrong field", &credential.Vault{Address: v.URL, Mount: "kv", Path: "team/openai", Field: "other", TokenFile: tokenFile}, `field "other"`},
		{"bad token", &credential.Vault{Address: v.URL, Mount: "kv", Path: "team/openai", TokenEnv: "CRED_TEST_BAD_TOKEN"}, "permission denied"},
		{"no token", &credential.Vault{Address: v.URL, Mount: "kv", Path: "team/openai", TokenEnv: "CRED_TEST_NO_TOKEN"}, "CRED_TEST_NO_TOKEN is empty"},
	} {
		t.Setenv("CRED_TEST_BAD_TOKEN", "guess")
		_, err := tc.src.Fetch(ctx)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "sk-1") {
			t.Errorf("%s: the error holds the secret", tc.name)
		}
	}
}

func TestHolderRotation(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "key")
	os.WriteFile(p, []byte("one"), 0o600)
	var got []credential.Rotation
	h := credential.NewHolder("prov", credential.File{Path: p}, func(_ context.Context, r credential.Rotation) { got = append(got, r) })
	if changed, err := h.Refresh(ctx, "start"); err != nil || changed || h.Get() != "one" {
		t.Fatalf("first load: %v %v %q", changed, err, h.Get())
	}
	if changed, _ := h.Refresh(ctx, "interval"); changed {
		t.Error("an unchanged value counted as a rotation")
	}
	os.WriteFile(p, []byte("two"), 0o600)
	if changed, err := h.Refresh(ctx, "on_demand"); err != nil || !changed || h.Get() != "two" {
		t.Fatalf("rotation: %v %v %q", changed, err, h.Get())
	}
	os.Remove(p)
	if _, err := h.Refresh(ctx, "interval"); err == nil || h.Get() != "two" {
		t.Error("a failed refresh dropped the working key")
	}
	if len(got) != 1 || got[0] != (credential.Rotation{Provider: "prov", Source: "file", Generation: 2, Reason: "on_demand"}) {
		t.Errorf("rotations %+v", got)
	}
}
