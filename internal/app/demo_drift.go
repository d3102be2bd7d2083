package app

import (
	"context"
	"fmt"

	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
)

// seedDrift runs the weekly drift check of the production model
// (AI-MOD-05): the locked validation set is replayed and compared with the
// version's own gate result. The drop stays within the suite's limit, so
// no alert opens.
func (a *App) seedDrift(ctx context.Context, s *demo.Seed) (string, error) {
	v, err := a.Models.CanServe(ctx, demo.Tenant, demoModel, registry.AliasProduction)
	if err != nil {
		return "", err
	}
	by := ledger.Actor{Kind: ledger.ActorService, ID: "drift-monitor"}
	out, err := a.Models.RecordReplay(ctx, demo.Tenant, by, demoSuite, v.ID(), map[string]float64{"accuracy": 0.90, "f1_macro": 0.87},
		demoExamples, syntheticDigest("weekly replay of "+v.ID()))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("weekly replay of %s in production: accuracy %.2f (%.2f at its gate), %d drift alerts",
		v.ID(), out.Metrics["accuracy"], out.Baseline["accuracy"], len(out.Alerts)), nil
}
