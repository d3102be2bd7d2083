package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// The demo model, its training data and its locked evaluation suite.
const (
	demoModel    = "ticket-router"
	demoDataset  = "support-tickets"
	demoSuite    = "ticket-router-holdout"
	demoExamples = 500
)

// The demo's people: an engineer requests changes, a second person
// approves them, and an agent proposes one.
var (
	demoEngineer = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:ml-engineer"}
	demoApprover = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:release-approver"}
	demoAgent    = ledger.Actor{Kind: ledger.ActorAgent, ID: "key:ci-agent"}
)

// demoHoldout is the digest of the suite's locked validation set.
var demoHoldout = syntheticDigest("ticket-router holdout set")

// syntheticDigest is the sha256 digest of a made-up artifact's description,
// standing in for data the demo does not have.
func syntheticDigest(what string) string {
	sum := sha256.Sum256([]byte(what))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// seedModels walks the model lifecycle once: a small synthetic model is
// trained on a registered dataset snapshot, signed (OpenSSF Model Signing),
// evaluated on a locked suite, approved by a second person for staging,
// verified at load and promoted to production through the evaluation gate.
// A second version waits in the approvals queue, proposed by an agent.
func (a *App) seedModels(ctx context.Context, s *demo.Seed) (string, error) {
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		return "", err
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		return "", err
	}
	if _, err := a.Models.TrustKey(ctx, demo.Tenant, demoEngineer, "demo-release-key", pub); err != nil {
		return "", err
	}
	if _, err := a.Models.RegisterModel(ctx, demo.Tenant, demoEngineer, registry.ModelSpec{
		Name: demoModel, Purpose: "route support tickets to the right queue", Owner: "ml-team", Risk: registry.RiskLimited,
		DataSources: []string{demoDataset}, IntendedUse: "internal triage of customer tickets", Limitations: []string{"English only", "synthetic demo model"},
	}); err != nil {
		return "", err
	}
	snapshot, err := a.seedTrainingData(ctx)
	if err != nil {
		return "", err
	}
	if _, err := a.Models.RegisterSuite(ctx, demo.Tenant, demoEngineer, registry.SuiteSpec{
		Name: demoSuite, Model: demoModel, Task: "classification", ValidationDigest: demoHoldout,
		Examples: demoExamples, Metrics: []string{"accuracy", "f1_macro"},
		Gate: monitor.Gate{Rules: []monitor.Rule{{Metric: "accuracy", Min: ptr(0.85)}, {Metric: "f1_macro", Min: ptr(0.80)}}},
	}); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "attest-demo-model")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	var first string
	for _, version := range []string{"1", "2"} {
		mdir := filepath.Join(dir, version)
		os.MkdirAll(mdir, 0o755)
		os.WriteFile(filepath.Join(mdir, "weights.bin"), []byte("synthetic weights, version "+version), 0o644)
		os.WriteFile(filepath.Join(mdir, "config.json"), []byte(`{"labels":["billing","bug","access"]}`), 0o644)
		signer, err := signing.NewSigner(key)
		if err != nil {
			return "", err
		}
		sig, err := signer.Sign(ctx, mdir, signing.HashOptions{})
		if err != nil {
			return "", err
		}
		v, err := a.Models.RegisterVersion(ctx, demo.Tenant, demoEngineer, demoModel, registry.VersionSpec{
			Version: version, Bundle: sig.Bundle, TrainingRun: "train-" + demoModel + "-" + version,
			Datasets: []registry.DatasetRef{{Name: demoDataset, Digest: snapshot}},
		})
		if err != nil {
			return "", err
		}
		if version == "2" {
			// Version 2 is proposed by an agent and waits for a human.
			if _, err := a.Models.RequestChange(ctx, demo.Tenant, demoAgent, demoChange(version, registry.AliasStaging, "ML-3")); err != nil {
				return "", err
			}
			continue
		}
		if _, err := a.Models.RecordEval(ctx, demo.Tenant, demoEngineer, demoSuite, registry.ResultSpec{
			ModelVersion: v.ID(), Metrics: map[string]float64{"accuracy": 0.91, "f1_macro": 0.88}, Examples: demoExamples,
			PredictionsSHA256: syntheticDigest("predictions of " + v.ID()), ValidationDigest: demoHoldout,
		}); err != nil {
			return "", err
		}
		if err := a.promoteDemo(ctx, demoChange(version, registry.AliasStaging, "ML-1")); err != nil {
			return "", err
		}
		// Verified at load before production, as the deployment check
		// (AI-MOD-01) requires.
		if _, err := a.Models.VerifyFiles(ctx, demo.Tenant, demoEngineer, v.ID(), mdir, signing.VerifyOptions{}); err != nil {
			return "", err
		}
		if err := a.promoteDemo(ctx, demoChange(version, registry.AliasProduction, "ML-2")); err != nil {
			return "", err
		}
		first = v.ID()
	}
	if _, err := a.Models.CanServe(ctx, demo.Tenant, demoModel, registry.AliasProduction); err != nil {
		return "", fmt.Errorf("demo model not servable: %w", err)
	}
	return first + " signed, evaluated, approved by a second person, verified, serving in production with its lineage; @2 proposed by an agent awaits approval", nil
}

// seedTrainingData registers the demo model's training dataset and the
// snapshot it was trained on, and returns the snapshot's digest.
func (a *App) seedTrainingData(ctx context.Context) (string, error) {
	if _, err := a.Models.RegisterDataset(ctx, demo.Tenant, demoEngineer, registry.DatasetSpec{
		Name: demoDataset, Description: "synthetic support tickets with their queue labels", Owner: "support-ops",
		Classification: "restricted", RetentionDays: 30,
	}); err != nil {
		return "", err
	}
	snap, err := a.Models.AddSnapshot(ctx, demo.Tenant, demoEngineer, demoDataset, registry.SnapshotSpec{
		Digest: syntheticDigest("support tickets, demo snapshot"), URI: "s3://demo-datasets/support-tickets/2025-q4/",
	})
	return snap.Digest, err
}

// demoChange is the request to move alias to version of the demo model.
func demoChange(version, alias, ticket string) registry.ChangeSpec {
	return registry.ChangeSpec{
		Target:      registry.Target{Kind: registry.KindModel, Name: demoModel, Version: version, Alias: alias},
		Description: "promote " + demoModel + "@" + version + " to " + alias, RollbackPlan: "attest model rollback " + demoModel + " --alias " + alias,
		Ticket: &registry.Ticket{Key: ticket, URL: "https://tickets.example.com/" + ticket},
	}
}

// promoteDemo requests a change as the engineer and approves it as the
// second person, which applies it.
func (a *App) promoteDemo(ctx context.Context, spec registry.ChangeSpec) error {
	c, err := a.Models.RequestChange(ctx, demo.Tenant, demoEngineer, spec)
	if err != nil {
		return err
	}
	_, err = a.Models.Approve(ctx, demo.Tenant, demoApprover, c.ID, "evaluations reviewed")
	return err
}

func ptr[T any](v T) *T { return &v }
