package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/demo"
)

// components discovers the system's parts from configuration and the
// registries: gateway providers, models, datasets and vendors.
type components struct{ a *App }

func (c components) Components(ctx context.Context) ([]controls.Component, error) {
	var out []controls.Component
	secretless := map[string]bool{}
	for _, p := range c.a.gatewayCfg.Providers {
		secretless[p.Name] = p.Credential.IsZero()
	}
	for _, d := range c.a.Destinations() {
		out = append(out, controls.Component{ID: controls.KindProvider + ":" + d.Name, Name: d.Name, Kind: controls.KindProvider, Stage: controls.StageInference,
			Description: "model provider in region " + d.Region, Source: "config", Secretless: secretless[d.Name]})
	}
	tenants := map[string]bool{c.a.Config.Tenant: true, demo.Tenant: true}
	for t := range tenants {
		ms, err := c.a.Models.Models(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, controls.Component{ID: controls.KindModel + ":" + m.Name, Name: m.Name, Kind: controls.KindModel, Stage: controls.StageTraining, Description: m.Purpose, Source: "ledger"})
		}
		ds, err := c.a.Models.Datasets(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, controls.Component{ID: controls.KindDataset + ":" + d.Name, Name: d.Name, Kind: controls.KindDataset, Stage: controls.StageIngestion, Source: "ledger"})
		}
		vs, err := c.a.Vendors.Store.Vendors(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			out = append(out, controls.Component{ID: controls.KindVendor + ":" + v.Name, Name: v.Name, Kind: controls.KindVendor, Stage: controls.StageSupporting, Source: "ledger"})
		}
	}
	return out, nil
}

// openControls builds the control engine over the ledger and stores and
// mounts its API. The catalog is the built-in one plus ATTEST_CONTROLS_DIR.
func (a *App) openControls() error {
	cat, err := controls.Load(os.Getenv("ATTEST_CONTROLS_DIR"))
	if err != nil {
		return fmt.Errorf("control catalog (ATTEST_CONTROLS_DIR): %w", err)
	}
	a.Controls, err = controls.New(controls.Deps{
		Ledger: a.Store, Log: a.Log, Store: a.Store, Keys: a.Store, Components: components{a},
		VerifierKey: a.VKey, Settings: WitnessSettings(a.Config), Catalog: cat, Logger: a.Logger,
	})
	if err != nil {
		return err
	}
	// Campaigns cover the console's users too; the console's directory is
	// handed to access so that access need not import the console.
	a.Reviews = access.NewReviews(a.Store, a.Store, a.Access, a.Log).WithUsers(console.NewDirectory(a.Store, a.Log))
	a.Web.ControlRoutes(a.Controls, a.Reviews)
	return nil
}

// controlsInterval is how often every control is evaluated in the server.
const controlsInterval = time.Hour
