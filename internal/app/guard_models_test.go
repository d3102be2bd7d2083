package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/guard/injection"
	"github.com/attest-ai/attest/internal/guard/pii"
	"github.com/attest-ai/attest/internal/registry/signing"
)

func openGuardApp(t *testing.T, dir string) *App {
	t.Helper()
	c := config.Default()
	c.DataDir = dir
	a, err := Open(context.Background(), c, NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRegisterGuardModels checks that start-up registers each embedded
// classifier as a signed, verified version whose signature covers the
// embedded bytes, with its training data, and that a restart records
// nothing new.
func TestRegisterGuardModels(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openGuardApp(t, dir)
	vs, err := a.RegisterGuardModels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	injectionBytes, err := injectionModelFile()
	if err != nil {
		t.Fatal(err)
	}
	embedded := map[string][]byte{"attest-guard-injection": injectionBytes, "attest-guard-pii-names": pii.NameModelFile()}
	recorded := map[string]string{"attest-guard-injection": injection.ModelDigest(), "attest-guard-pii-names": pii.NameModelSHA256}
	keys, err := a.Models.TrustedKeys(ctx, guardModelTenant)
	if err != nil || len(keys) != 1 {
		t.Fatalf("trusted keys of the system tenant: %v, %v", keys, err)
	}
	pub, err := signing.ParsePublicKey([]byte(keys[0].PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(embedded) {
		t.Fatalf("registered %d versions, want %d", len(vs), len(embedded))
	}
	for _, v := range vs {
		data := embedded[v.Model]
		sum := sha256.Sum256(data)
		fileSHA := hex.EncodeToString(sum[:])
		if fileSHA != recorded[v.Model] {
			t.Errorf("%s: embedded bytes hash to %s, the binary records %s", v.Model, fileSHA, recorded[v.Model])
		}
		if v.ID() != GuardModelVersion(v.Model, fileSHA) {
			t.Errorf("version %s does not resolve from the file digest %s", v.ID(), fileSHA)
		}
		if v.Signature == nil || v.Signature.KeyHint != keys[0].Hint {
			t.Fatalf("%s: signature %+v, want one by the guard key %s", v.ID(), v.Signature, keys[0].Hint)
		}
		if v.Verification == nil || !v.Verification.OK {
			t.Errorf("%s: verification %+v, want a successful one", v.ID(), v.Verification)
		}
		if len(v.Datasets) != 1 || v.Hyperparameters["command"] == nil {
			t.Errorf("%s: lineage datasets %v, hyperparameters %v", v.ID(), v.Datasets, v.Hyperparameters)
		}
		// The stored bundle verifies over the embedded bytes with the
		// registry's own verification, and lists the file's digest.
		bundle, err := a.Models.Bundle(ctx, guardModelTenant, v.ID())
		if err != nil {
			t.Fatal(err)
		}
		mdir, err := writeGuardModel(v.Model, guardFile(v.Model), data)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(mdir)) })
		res, err := signing.Verify(ctx, mdir, bundle, signing.VerifyOptions{PublicKey: pub})
		if err != nil {
			t.Fatalf("%s: %v", v.ID(), err)
		}
		if "sha256:"+res.RootDigest != v.Digest || len(res.Manifest.Resources) != 1 || res.Manifest.Resources[0].Digest != fileSHA {
			t.Errorf("%s: signed manifest %+v, root %s; want the one file %s", v.ID(), res.Manifest.Resources, res.RootDigest, fileSHA)
		}
		m, err := a.Models.Model(ctx, guardModelTenant, v.Model)
		if err != nil || m.Purpose == "" || m.IntendedUse == "" || len(m.Limitations) == 0 {
			t.Errorf("%s: model card %+v, %v", v.Model, m, err)
		}
	}

	// Again, and after a restart: no new evidence.
	size := a.Log.Size()
	if _, err := a.RegisterGuardModels(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.Log.Size(); got != size {
		t.Errorf("a second registration added %d ledger entries", got-size)
	}
	a.Close()
	a = openGuardApp(t, dir)
	defer a.Close()
	size = a.Log.Size()
	again, err := a.RegisterGuardModels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Log.Size(); got != size {
		t.Errorf("a restart added %d ledger entries", got-size)
	}
	for i := range again {
		if again[i].ID() != vs[i].ID() || again[i].Index != vs[i].Index {
			t.Errorf("after a restart %s (entry %d), want %s (entry %d)", again[i].ID(), again[i].Index, vs[i].ID(), vs[i].Index)
		}
	}
}

func guardFile(model string) string {
	for _, gm := range guardModels() {
		if gm.spec.Name == model {
			return gm.file
		}
	}
	return ""
}

// TestRegisterGuardModelNewVersion checks that a binary with a new model
// file registers a new version of the same model, and that a file that
// does not match its recorded digest is refused.
func TestRegisterGuardModelNewVersion(t *testing.T) {
	ctx := context.Background()
	a := openGuardApp(t, t.TempDir())
	defer a.Close()
	if _, err := a.RegisterGuardModels(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := a.guardSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gm := guardModels()[1]
	next := []byte("a retrained model")
	sum := sha256.Sum256(next)
	gm.data = func() ([]byte, error) { return next, nil }
	gm.sha256 = hex.EncodeToString(sum[:])
	v, err := a.registerGuardModel(ctx, key, gm)
	if err != nil {
		t.Fatal(err)
	}
	if v.ID() != GuardModelVersion(gm.spec.Name, gm.sha256) || v.Signature == nil {
		t.Errorf("new version %s, signature %+v", v.ID(), v.Signature)
	}
	m, err := a.Models.Model(ctx, guardModelTenant, gm.spec.Name)
	if err != nil || len(m.Versions) != 2 {
		t.Errorf("model versions %v, %v; want the old and the new", m.Versions, err)
	}
	gm.sha256 = pii.NameModelSHA256 // the bytes do not match
	if _, err := a.registerGuardModel(ctx, key, gm); err == nil {
		t.Error("a file that does not match its recorded digest was registered")
	}
}
