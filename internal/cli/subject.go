package cli

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"slices"
	"strings"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	Register("subject", "data-subject access, erasure and legal holds", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "subject", map[string]Func{
			"export":  subjectExport,
			"erase":   subjectErase,
			"hold":    subjectHold,
			"release": subjectRelease,
		}, args, stdout, stderr)
	})
}

// subjectCmd parses "<id> [flags]" and opens the app.
func subjectCmd(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*app.App, string, string, ledger.Actor, error) {
	var tenant, actor string
	if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		args = append([]string{""}, args...) // loadConfig prints the flags
	} else if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
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
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return nil, "", "", ledger.Actor{}, err
	}
	return a, tenant, a.Vault.Pseudonym(tenant, id).ID, ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:" + actor}, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// subjectErase runs an erasure request: the subject's key is destroyed and
// every dataset, evaluation set or export that still holds their data gets
// a tracked remediation item.
func subjectErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var request string
	a, tenant, _, actor, err := subjectCmd(ctx, "erase", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&request, "request", "", "an open erasure request id to complete (default: open one now)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.Privacy.Erase(ctx, tenant, actor, args[0], request)
	if err != nil {
		return err
	}
	return printJSON(stdout, r)
}

// subjectExport prints everything held about a subject as JSON (the right
// of access).
func subjectExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var request string
	a, tenant, _, actor, err := subjectCmd(ctx, "export", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&request, "request", "", "an open access request id to complete")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	out, err := a.Privacy.Export(ctx, tenant, actor, args[0], request, ledger.StoreReader{Store: a.Store})
	if err != nil {
		return err
	}
	return printJSON(stdout, out)
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
	if strings.TrimSpace(reason) == "" {
		return usagef("--reason is required: a legal hold needs a case or matter reference")
	}
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
