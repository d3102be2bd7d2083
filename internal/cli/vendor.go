package cli

import (
	"context"
	"io"
	"os"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vendor"
)

func init() {
	Register("vendor", "review an AI vendor's SOC 2 packet; vendors and renewals", vendorCLI)
}

// vendorCLI reviews packets offline when there is no attest data yet, and
// through the vendor registry (with evidence) when there is.
func vendorCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	dir := os.Getenv("ATTEST_DATA")
	if dir == "" {
		dir = "./attest-data"
	}
	if _, err := os.Stat(dir); err != nil && os.Getenv("ATTEST_DATABASE") == "" {
		return vendor.CLI(ctx, args, stdout, stderr)
	}
	c, _, err := loadConfig("vendor", nil, stderr, nil)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	env := vendor.CLIEnv{Service: a.Vendors, Tenant: c.Tenant, Actor: ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:vendor"}}
	return env.CLI(ctx, args, stdout, stderr)
}
