package signing

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBundleErrors(t *testing.T) {
	good := map[string]any{
		"mediaType":            BundleMediaType,
		"verificationMaterial": map[string]any{"publicKey": map[string]any{"hint": "ab"}},
		"dsseEnvelope": map[string]any{
			"payload": "e30=", "payloadType": PayloadType,
			"signatures": []any{map[string]any{"sig": "AA==", "keyid": nil}},
		},
	}
	raw, _ := json.Marshal(good)
	if _, err := ParseBundle(raw); err != nil {
		t.Fatalf("good bundle: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"media type", func(m map[string]any) { m["mediaType"] = "application/json" }, "mediaType"},
		{"no envelope", func(m map[string]any) { delete(m, "dsseEnvelope") }, "DSSE envelope"},
		{"no signatures", func(m map[string]any) { m["dsseEnvelope"].(map[string]any)["signatures"] = []any{} }, "DSSE envelope"},
		{"empty sig", func(m map[string]any) {
			m["dsseEnvelope"].(map[string]any)["signatures"] = []any{map[string]any{"sig": ""}}
		}, "empty"},
		{"two materials", func(m map[string]any) {
			m["verificationMaterial"].(map[string]any)["certificate"] = map[string]any{"rawBytes": "AA=="}
		}, "exactly one"},
		{"empty key id", func(m map[string]any) {
			m["verificationMaterial"] = map[string]any{"publicKey": map[string]any{}}
		}, "hint or rawBytes"},
		{"empty chain", func(m map[string]any) {
			m["verificationMaterial"] = map[string]any{"x509CertificateChain": map[string]any{"certificates": []any{}}}
		}, "no certificates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			json.Unmarshal(raw, &m)
			tc.edit(m)
			b, _ := json.Marshal(m)
			_, err := ParseBundle(b)
			if !errors.Is(err, ErrMalformedBundle) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrMalformedBundle mentioning %q", err, tc.want)
			}
		})
	}
}

// FuzzVerifyBundle feeds arbitrary bytes through bundle parsing, signature
// and statement checks. Nothing may panic, and nothing unsigned may pass.
func FuzzVerifyBundle(f *testing.F) {
	key := newKey(f)
	s, _ := NewSigner(key)
	dir := writeModel(f, map[string]string{"a": "a", "b/c": "c"})
	sig, err := s.Sign(context.Background(), dir, HashOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sig.Bundle)
	if shared := findShared(); shared != "" {
		vectors, _ := filepath.Glob(filepath.Join(shared, "data", "standards", "oms", "test-vectors", "*", "*.json"))
		for _, v := range vectors {
			if b, err := os.ReadFile(v); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := VerifyBundle(data, VerifyOptions{PublicKey: &key.PublicKey})
		if err != nil {
			return
		}
		if v.RootDigest != sig.RootDigest {
			t.Fatalf("a bundle with another statement verified under our key: root %s", v.RootDigest)
		}
	})
}
