package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/demo"
)

func init() {
	Register("serve", "run the server: API, gateway, console and ledger", serve)
}

// loadConfig parses the shared flags plus any extra ones a command adds.
func loadConfig(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	return parseConfig(name, args, stderr, config.RegisterFlags, extra)
}

// parseConfig parses the flags register adds plus any extra ones and loads
// the configuration they point to.
func parseConfig(name string, args []string, stderr io.Writer, register func(*flag.FlagSet) *config.Flags, extra func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("attest "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return config.Config{}, fs, err
		}
		return config.Config{}, fs, usagef("%v", err)
	}
	c, err := config.Load(f, os.Getenv)
	if err != nil {
		return c, fs, fmt.Errorf("configuration: %w", err)
	}
	return c, fs, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := parseConfig("serve", args, stderr, config.RegisterServeFlags, nil)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return usagef("--addr %q: %v; use host:port, such as 127.0.0.1:8080", c.Addr, err)
	}
	config.ApplyGC(c.GCPercent, os.Getenv)
	logger := app.NewLogger(c, stderr)
	a, err := app.Open(ctx, c, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.AdminToken != "" {
		fmt.Fprintf(stdout, "\nFirst start: created the admin API key for tenant %q. It is shown only once; store it now:\n\n    %s\n\n", c.Tenant, a.AdminToken)
	}
	if c.Demo {
		if err := demo.Run(ctx, a.DemoDeps(), stdout); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listen on %s: %w (is another attest running? choose another --addr)", c.Addr, err)
		}
		return fmt.Errorf("listen on %s: %w; check --addr", c.Addr, err)
	}
	store := "embedded SQLite in " + c.DataDir
	if c.Database != "" {
		store = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "attest %s listening on http://%s (%s); ledger key %s\n", app.Version, l.Addr(), store, a.VKey)
	return a.Serve(ctx, l)
}
