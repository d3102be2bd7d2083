package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// seedModels walks the model lifecycle once: a small synthetic model is
// signed (OpenSSF Model Signing), registered, approved by a second person,
// deployed to staging and verified at load; a second version waits in the
// approvals queue, proposed by an agent.
func (a *App) seedModels(ctx context.Context, s *demo.Seed) (string, error) {
	eng := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:ml-engineer"}
	approver := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:release-approver"}
	agent := ledger.Actor{Kind: ledger.ActorAgent, ID: "key:ci-agent"}
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		return "", err
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		return "", err
	}
	if _, err := a.Models.TrustKey(ctx, demo.Tenant, eng, "demo-release-key", pub); err != nil {
		return "", err
	}
	if _, err := a.Models.RegisterModel(ctx, demo.Tenant, eng, registry.ModelSpec{
		Name: "ticket-router", Purpose: "route support tickets to the right queue", Owner: "ml-team", Risk: registry.RiskLimited,
		DataSources: []string{"support-tickets"}, IntendedUse: "internal triage of customer tickets", Limitations: []string{"English only", "synthetic demo model"},
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
		v, err := a.Models.RegisterVersion(ctx, demo.Tenant, eng, "ticket-router", registry.VersionSpec{Version: version, Bundle: sig.Bundle})
		if err != nil {
			return "", err
		}
		spec := registry.ChangeSpec{
			Target:      registry.Target{Kind: registry.KindModel, Name: "ticket-router", Version: version, Alias: registry.AliasStaging},
			Description: "promote ticket-router@" + version + " to staging", RollbackPlan: "attest model rollback ticket-router --alias staging",
			Ticket: &registry.Ticket{Key: "ML-" + version, URL: "https://tickets.example.com/ML-" + version},
		}
		if version == "1" {
			c, err := a.Models.RequestChange(ctx, demo.Tenant, eng, spec)
			if err != nil {
				return "", err
			}
			if _, err := a.Models.Approve(ctx, demo.Tenant, approver, c.ID, "evaluations reviewed"); err != nil {
				return "", err
			}
			if _, err := a.Models.VerifyFiles(ctx, demo.Tenant, eng, v.ID(), mdir, signing.VerifyOptions{}); err != nil {
				return "", err
			}
			first = v.ID()
			continue
		}
		// Version 2 is proposed by an agent and waits for a human.
		if _, err := a.Models.RequestChange(ctx, demo.Tenant, agent, spec); err != nil {
			return "", err
		}
	}
	if _, err := a.Models.CanServe(ctx, demo.Tenant, "ticket-router", registry.AliasStaging); err != nil {
		return "", fmt.Errorf("demo model not servable: %w", err)
	}
	return first + " signed, approved by a second person, serving at staging; @2 proposed by an agent awaits approval", nil
}
