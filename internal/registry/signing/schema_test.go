package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// omsSchemas compiles the four OMS 1.0 schemas, keyed by file name.
func omsSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	ids := map[string]string{}
	for _, name := range []string{"bundle", "envelope", "statement", "predicate"} {
		raw, err := os.ReadFile(filepath.Join(omsDir(t), name+".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		id := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	out := map[string]*jsonschema.Schema{}
	for name, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// TestBundleMatchesOMSSchemas validates produced bundles against all four
// OMS schemas, as the conformance rules ask.
func TestBundleMatchesOMSSchemas(t *testing.T) {
	schemas := omsSchemas(t)
	ca := newCA(t)
	key := newKey(t)
	keySigner, _ := NewSigner(key)
	certSigner, _ := NewSigner(key, ca.issue(t, &key.PublicKey, ca.cert.NotAfter, 0), ca.cert)
	dir := writeModel(t, goldenModel)
	for _, tc := range []struct {
		name   string
		signer *Signer
		opt    HashOptions
	}{
		{"key/shards", keySigner, HashOptions{}},
		{"key/files", keySigner, HashOptions{Method: MethodFiles}},
		{"certificate/shards", certSigner, HashOptions{ShardSize: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := tc.signer.Sign(context.Background(), dir, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, schemas["bundle"], sig.Bundle); err != nil {
				t.Fatalf("bundle: %v", err)
			}
			var b Bundle
			json.Unmarshal(sig.Bundle, &b)
			env, _ := json.Marshal(b.DSSEEnvelope)
			if err := validate(t, schemas["envelope"], env); err != nil {
				t.Fatalf("envelope: %v", err)
			}
			payload, _ := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
			if err := validate(t, schemas["statement"], payload); err != nil {
				t.Fatalf("statement: %v", err)
			}
			var st struct{ Predicate json.RawMessage }
			json.Unmarshal(payload, &st)
			if err := validate(t, schemas["predicate"], st.Predicate); err != nil {
				t.Fatalf("predicate: %v", err)
			}
		})
	}
}

// TestSchemasJudgeVectors makes sure the schemas were loaded and enforced:
// valid vectors pass, structurally invalid ones fail.
func TestSchemasJudgeVectors(t *testing.T) {
	schemas := omsSchemas(t)
	for name, valid := range map[string]bool{
		"valid/key.bundle.json":                             true,
		"valid/certificate.bundle.json":                     true,
		"valid/sigstore.bundle.json":                        true,
		"invalid/missing-envelope.bundle.json":              false,
		"invalid/missing-verification-material.bundle.json": false,
		"invalid/missing-tlog-entries.bundle.json":          false,
	} {
		err := validate(t, schemas["bundle"], readVector(t, name))
		if (err == nil) != valid {
			t.Errorf("%s: valid=%v, schema error %v", name, valid, err)
		}
	}
}
