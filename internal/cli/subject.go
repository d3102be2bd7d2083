package cli

import (
	"context"
	"encoding/json"
	"flag"
	"io"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	Register("subject", "data-subject erasure and legal holds", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "subject", map[string]Func{
			"erase":   subjectErase,
			"hold":    subjectHold,
			"release": subjectRelease,
		}, args, stdout, stderr)
	})
}

// subjectCmd parses "<id> [flags]" and opens the app.
func subjectCmd(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*app.App, string, string, ledger.Actor, error) {
	var tenant, actor string
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return nil, "", "", ledger.Actor{}, usagef("usage: attest subject %s ID [--tenant T] [--actor NAME]", name)
	}
	id := args[0]
	c, _, err := loadConfig("subject "+name, args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "tenant of the subject (default: the configured tenant)")
		fs.StringVar(&actor, "actor", "cli", "who is acting, for the ledger")
		if extra != nil {
			extra(fs)
		}
	})
	if err != nil {
		return nil, "", "", ledger.Actor{}, err
	}
	if tenant == "" {
		tenant = c.Tenant
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return nil, "", "", ledger.Actor{}, err
	}
	return a, tenant, a.Vault.Pseudonym(tenant, id).ID, ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:" + actor}, nil
}

func subjectErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, tenant, sub, actor, err := subjectCmd(ctx, "erase", args, stderr, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.Vault.Erase(ctx, tenant, sub, actor)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func subjectHold(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var reason string
	a, tenant, sub, actor, err := subjectCmd(ctx, "hold", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "why the subject is held (a matter or case number)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Vault.PlaceHold(ctx, tenant, sub, reason, actor); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, "held "+sub+"\n")
	return err
}

func subjectRelease(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, tenant, sub, actor, err := subjectCmd(ctx, "release", args, stderr, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Vault.ReleaseHold(ctx, tenant, sub, actor); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, "released "+sub+"\n")
	return err
}
