package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vendor"
)

func init() {
	Register("vendor", "review an AI vendor's SOC 2 packet; vendors and renewals", vendorCLI)
}

// vendorShared are the flags every other command takes. The vendor
// subcommands do not define them, so they are taken out of the arguments
// before the subcommand parses the rest.
var vendorShared = []string{"data", "database", "config", "log-level", "tenant"}

// splitShared separates the flags named in names, with their values, from
// the other arguments.
func splitShared(args, names []string) (shared, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return shared, append(rest, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") || !slices.Contains(names, name) {
			rest = append(rest, a)
			continue
		}
		shared = append(shared, a)
		if !hasValue && i+1 < len(args) {
			i++
			shared = append(shared, args[i])
		}
	}
	return shared, rest
}

// vendorCLI reviews packets offline when there is no attest data yet, and
// through the vendor registry (with evidence) when there is.
func vendorCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	shared, rest := splitShared(args, vendorShared)
	var tenant string
	c, _, err := loadConfig("vendor", shared, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "tenant of the vendors (default: the configured tenant)")
	})
	if err != nil {
		return err
	}
	// The group's usage needs no registry: print it without opening one.
	if len(rest) == 0 || slices.Contains([]string{"-h", "--help", "help"}, rest[0]) {
		return vendor.CLI(ctx, rest, stdout, stderr)
	}
	if _, err := os.Stat(c.DataDir); err != nil && c.Database == "" {
		return vendor.CLI(ctx, rest, stdout, stderr)
	}
	if tenant == "" {
		tenant = c.Tenant
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	env := vendor.CLIEnv{Service: a.Vendors, Tenant: tenant, Actor: ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:vendor"}}
	return env.CLI(ctx, rest, stdout, stderr)
}
