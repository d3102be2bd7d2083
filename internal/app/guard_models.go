package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/guard/injection"
	"github.com/attest-ai/attest/internal/guard/pii"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// The classifiers compiled into attest (prompt injection, PERSON and
// LOCATION) are registered in the model registry like any customer model:
// each embedded file is a signed version of a system model, with its
// training data, training command and model card. They belong to the
// system tenant, which already owns the control engine's and the
// gateway's own events, because no customer trained them and every
// tenant's gateway runs them.

// guardModelTenant owns the guard models.
const guardModelTenant = controls.SystemTenant

// guardModelActor registers them.
var guardModelActor = ledger.Actor{Kind: ledger.ActorService, ID: "attest-guard-models"}

// guardKeyName is the name under which the system tenant trusts the key
// that signs the guard models.
const guardKeyName = "attest-guard-models"

// guardModel describes one embedded classifier.
type guardModel struct {
	spec    registry.ModelSpec
	file    string                 // the file's name inside the signed model
	data    func() ([]byte, error) // the embedded bytes
	sha256  string                 // their digest as the binary records it
	dataset registry.DatasetSpec
	// snapshot is the SHA-256 of the training data, from the data's README.
	snapshot, uri string
	hyper         map[string]any
}

// guardModels lists the embedded classifiers.
func guardModels() []guardModel {
	return []guardModel{
		{
			spec: registry.ModelSpec{
				Name:        "attest-guard-injection",
				Purpose:     "score prompts sent through the gateway for prompt injection and jailbreak attempts",
				Owner:       "attest",
				Risk:        registry.RiskLimited,
				DataSources: []string{"guard-injection-dev"},
				IntendedUse: "screening English and German prompts before they reach a model provider; the tenant's guard policy decides whether a score blocks, flags or passes",
				Limitations: []string{
					"cross-validated TPR 0.903 at 1% FPR (near-duplicates kept in one fold), below the 0.95 goal; see internal/guard/BENCHMARKS.md",
					"plain harmful requests without injection wording are mostly missed",
					"trained on public English and German data sets; other languages are not evaluated",
				},
			},
			file:     "model.bin",
			data:     injectionModelFile,
			sha256:   injection.ModelDigest(),
			dataset:  registry.DatasetSpec{Name: "guard-injection-dev", Description: "prompt injection development set: deepset, Lakera gandalf, Giskard, JailbreakBench and InjecGuard NotInject/wildguard texts", Owner: "attest", Classification: "public"},
			snapshot: "94d798b918f7aa4ec5c13a67babc3067a976a17a901ebe7ce6000338e7404515",
			uri:      "shared/data/injection/dev.jsonl",
			hyper: map[string]any{
				"command": "go run ./internal/guard/injection/train -data ../shared/data/injection/dev.jsonl -out internal/guard/injection/model.bin",
			},
		},
		{
			spec: registry.ModelSpec{
				Name:        "attest-guard-pii-names",
				Purpose:     "label runs of capitalised words as PERSON, LOCATION or neither for PII redaction",
				Owner:       "attest",
				Risk:        registry.RiskLimited,
				DataSources: []string{"guard-pii-dev"},
				IntendedUse: "finding people's names and places in prompts and answers so that the guard policy can redact, tokenize or block them",
				Limitations: []string{
					"trained on synthetic template sentences; cross-validated precision about 0.83 and recall about 0.87 (see internal/guard/BENCHMARKS.md)",
					"English and European names and places; other scripts are matched mostly by gazetteer",
					"cities inside street addresses are reported as LOCATION or as part of the ADDRESS depending on layout",
				},
			},
			file:     "names.bin",
			data:     func() ([]byte, error) { return pii.NameModelFile(), nil },
			sha256:   pii.NameModelSHA256,
			dataset:  registry.DatasetSpec{Name: "guard-pii-dev", Description: "presidio-research synthetic PII sentences (synth_dataset_v2.json)", Owner: "attest", Classification: "public"},
			snapshot: "ec08a771ba8135314cafb60752b2295212222ba3a4cd75d73811839c699e0012",
			uri:      "shared/data/pii/dev.json",
			hyper: map[string]any{
				"command": "go run ./internal/guard/pii/train -data ../shared/data/pii/dev.json -out internal/guard/pii/names.bin",
				"epochs":  pii.NameTrainOptions.Epochs, "rate": pii.NameTrainOptions.Rate, "l2": pii.NameTrainOptions.L2,
				"seed": pii.NameTrainOptions.Seed, "hash_bits": pii.NameModelBits,
			},
		},
	}
}

// injectionModelFile returns the injection model's file. The package
// keeps the bytes to itself, so they are rebuilt from the loaded model,
// which writes the same bytes; the digest check proves it.
func injectionModelFile() ([]byte, error) {
	m, err := injection.Model()
	if err != nil {
		return nil, err
	}
	return m.MarshalBinary()
}

// GuardModelVersion returns the registry reference, NAME@VERSION, of the
// embedded model whose file has the given SHA-256 (the
// injection_model_sha256 of guard evidence): the version is the first 12
// hex digits of the digest.
func GuardModelVersion(model, fileSHA256 string) string {
	return model + "@" + fileSHA256[:min(12, len(fileSHA256))]
}

// RegisterGuardModels makes sure that every embedded classifier is a
// signed, registered version in the system tenant. It records nothing
// when they already are, so a restart with the same binary adds no
// events, and registers a new version when the binary ships a new model.
func (a *App) RegisterGuardModels(ctx context.Context) ([]registry.Version, error) {
	key, err := a.guardSigningKey(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.trustGuardKey(ctx, &key.PublicKey); err != nil {
		return nil, err
	}
	var out []registry.Version
	for _, gm := range guardModels() {
		v, err := a.registerGuardModel(ctx, key, gm)
		if err != nil {
			return nil, fmt.Errorf("register guard model %s: %w", gm.spec.Name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// guardSigningKey derives the ECDSA P-256 key that signs the guard
// models from a vault secret: every replica derives the same key, and
// the secret stays wrapped by the master key like the others.
func (a *App) guardSigningKey(ctx context.Context) (*ecdsa.PrivateKey, error) {
	secret, err := a.Vault.Secret(ctx, "guard-model-signing")
	if err != nil {
		return nil, err
	}
	// A scalar of zero or one at least the curve order is refused; the
	// counter tries again, which happens with odds of about 2^-32.
	for i := byte(0); i < 8; i++ {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("attest guard model signing key"))
		m.Write([]byte{i})
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), m.Sum(nil)); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("derive the guard model signing key: no valid scalar")
}

// trustGuardKey adds the guard signing key to the system tenant's trusted
// keys once. A key an operator revoked is not trusted again behind their
// back: registration fails instead.
func (a *App) trustGuardKey(ctx context.Context, pub *ecdsa.PublicKey) error {
	hint, err := signing.KeyHint(pub)
	if err != nil {
		return err
	}
	keys, err := a.Models.TrustedKeys(ctx, guardModelTenant)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Hint != hint {
			continue
		}
		if !k.Revoked.IsZero() {
			return fmt.Errorf("the guard model signing key %s was revoked in tenant %s; trust it again with 'attest model trust-key' if that was a mistake", hint, guardModelTenant)
		}
		return nil
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	_, err = a.Models.TrustKey(ctx, guardModelTenant, guardModelActor, guardKeyName, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return err
}

// registerGuardModel registers one classifier's model, training data and
// version as far as they are missing.
func (a *App) registerGuardModel(ctx context.Context, key *ecdsa.PrivateKey, gm guardModel) (registry.Version, error) {
	data, err := gm.data()
	if err != nil {
		return registry.Version{}, err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != gm.sha256 {
		return registry.Version{}, fmt.Errorf("the embedded file has SHA-256 %s, not the recorded %s; rebuild attest", got, gm.sha256)
	}
	id := GuardModelVersion(gm.spec.Name, gm.sha256)
	if v, err := a.Models.Version(ctx, guardModelTenant, id); err == nil {
		return a.finishGuardVersion(ctx, key, gm, v, data)
	} else if !errors.Is(err, registry.ErrNotFound) {
		return registry.Version{}, err
	}
	if _, err := a.Models.Model(ctx, guardModelTenant, gm.spec.Name); errors.Is(err, registry.ErrNotFound) {
		if _, err := a.Models.RegisterModel(ctx, guardModelTenant, guardModelActor, gm.spec); err != nil {
			return registry.Version{}, err
		}
	} else if err != nil {
		return registry.Version{}, err
	}
	snapshot := "sha256:" + gm.snapshot
	ds, err := a.Models.Dataset(ctx, guardModelTenant, gm.dataset.Name)
	if errors.Is(err, registry.ErrNotFound) {
		ds, err = a.Models.RegisterDataset(ctx, guardModelTenant, guardModelActor, gm.dataset)
	}
	if err != nil {
		return registry.Version{}, err
	}
	if !hasSnapshot(ds, snapshot) {
		if _, err := a.Models.AddSnapshot(ctx, guardModelTenant, guardModelActor, gm.dataset.Name, registry.SnapshotSpec{Digest: snapshot, URI: gm.uri}); err != nil {
			return registry.Version{}, err
		}
	}
	dir, err := writeGuardModel(gm.spec.Name, gm.file, data)
	if err != nil {
		return registry.Version{}, err
	}
	defer os.RemoveAll(filepath.Dir(dir))
	signer, err := signing.NewSigner(key)
	if err != nil {
		return registry.Version{}, err
	}
	sig, err := signer.Sign(ctx, dir, signing.HashOptions{Method: signing.MethodFiles})
	if err != nil {
		return registry.Version{}, err
	}
	v, err := a.Models.RegisterVersion(ctx, guardModelTenant, guardModelActor, gm.spec.Name, registry.VersionSpec{
		Version: id[len(gm.spec.Name)+1:], Bundle: sig.Bundle, Hyperparameters: gm.hyper,
		Datasets: []registry.DatasetRef{{Name: gm.dataset.Name, Digest: snapshot}},
	})
	if err != nil {
		return registry.Version{}, err
	}
	return a.finishGuardVersion(ctx, key, gm, v, data)
}

// finishGuardVersion checks the files against the version's signature as
// a deployment would, so that the version carries a verification like any
// served model, and signs a version that an interrupted start left
// unsigned. A signed and verified version is returned as it is.
func (a *App) finishGuardVersion(ctx context.Context, key *ecdsa.PrivateKey, gm guardModel, v registry.Version, data []byte) (registry.Version, error) {
	if v.Signature != nil && v.Verification != nil && v.Verification.OK {
		return v, nil
	}
	dir, err := writeGuardModel(gm.spec.Name, gm.file, data)
	if err != nil {
		return v, err
	}
	defer os.RemoveAll(filepath.Dir(dir))
	if v.Signature == nil {
		signer, err := signing.NewSigner(key)
		if err != nil {
			return v, err
		}
		sig, err := signer.Sign(ctx, dir, signing.HashOptions{Method: signing.MethodFiles})
		if err != nil {
			return v, err
		}
		if v, err = a.Models.AttachSignature(ctx, guardModelTenant, guardModelActor, v.ID(), sig.Bundle); err != nil {
			return v, err
		}
	}
	return a.Models.VerifyFiles(ctx, guardModelTenant, guardModelActor, v.ID(), dir, signing.VerifyOptions{})
}

// writeGuardModel writes a model file alone into a directory named after
// the model in a new temporary directory, the layout that is signed and
// verified, and returns the model directory. The caller removes its parent.
func writeGuardModel(model, name string, data []byte) (string, error) {
	tmp, err := os.MkdirTemp("", "attest-guard-model")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tmp, model)
	if err := os.Mkdir(dir, 0o700); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return dir, nil
}

func hasSnapshot(d registry.Dataset, digest string) bool {
	for _, s := range d.Snapshots {
		if s.Digest == digest {
			return true
		}
	}
	return false
}
