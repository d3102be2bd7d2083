package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/vendor"
)

// components discovers the system's parts from configuration and the
// registries: gateway providers, models, datasets and vendors.
type components struct {
	providers []gateway.ProviderConfig
	tenants   []string
	models    *registry.Service
	vendors   vendorLister
}

type vendorLister interface {
	Vendors(ctx context.Context, tenant string) ([]vendor.Vendor, error)
}

// ComponentSource lists the components that c and the registries in st
// describe, as the server's control engine sees them. The controls
// commands use it, so that a control evaluated from the command line rests
// on the same scope as one the server evaluates.
func ComponentSource(c config.Config, st Store) (controls.ComponentSource, error) {
	cfg, err := gatewayConfig(c.Gateway)
	if err != nil {
		return nil, err
	}
	return newComponents(c, cfg, registry.New(registry.Deps{Records: st}), vendor.NewRecordStore(st)), nil
}

func newComponents(c config.Config, cfg gateway.Config, models *registry.Service, vendors vendorLister) components {
	tenants := []string{c.Tenant}
	if c.Tenant != demo.Tenant {
		tenants = append(tenants, demo.Tenant)
	}
	return components{providers: cfg.Providers, tenants: tenants, models: models, vendors: vendors}
}

func (c components) Components(ctx context.Context) ([]controls.Component, error) {
	var out []controls.Component
	for _, p := range c.providers {
		region := p.Region
		if region == "" {
			region = "unspecified"
		}
		out = append(out, controls.Component{ID: controls.KindProvider + ":" + p.Name, Name: p.Name, Kind: controls.KindProvider, Stage: controls.StageInference,
			Description: "model provider in region " + region, Source: "config", Secretless: p.Credential.IsZero()})
	}
	for _, t := range c.tenants {
		ms, err := c.models.Models(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, controls.Component{ID: controls.KindModel + ":" + m.Name, Name: m.Name, Kind: controls.KindModel, Stage: controls.StageTraining, Description: m.Purpose, Source: "ledger"})
		}
		ds, err := c.models.Datasets(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, controls.Component{ID: controls.KindDataset + ":" + d.Name, Name: d.Name, Kind: controls.KindDataset, Stage: controls.StageIngestion, Source: "ledger"})
		}
		vs, err := c.vendors.Vendors(ctx, t)
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
		Ledger: a.Store, Log: a.Log, Store: a.Store, Keys: a.Store, Components: newComponents(a.Config, a.gatewayCfg, a.Models, a.Vendors.Store),
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
