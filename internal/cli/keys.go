package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	Register("keys", "create, list, rotate and revoke API keys", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "keys", map[string]Func{
			"create": keysCreate,
			"list":   keysList,
			"rotate": keysRotate,
			"revoke": keysRevoke,
		}, args, stdout, stderr)
	})
}

// localAdmin is the principal for commands run on the server's own host:
// whoever can read the data directory already controls the instance.
var localAdmin = access.Principal{ID: "local", Kind: "cli", Tenant: "default", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}

func keysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tenant, name, role, actor, owner, models, ttl string
	var rpm, tpm, daily int64
	c, _, err := loadConfig("keys create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "tenant the key belongs to (default: the configured tenant)")
		fs.StringVar(&name, "name", "", "a name for the key, such as the calling service")
		fs.StringVar(&role, "role", "consumer", "admin, compliance, engineer, approver, auditor, operator or consumer")
		fs.StringVar(&actor, "actor-kind", "service", "service, agent or human: how the key appears in evidence")
		fs.StringVar(&owner, "owner", "", "the console user a human key belongs to (separation of duties counts them as one person)")
		fs.StringVar(&models, "models", "", "comma-separated model aliases the key may call (default: all)")
		fs.StringVar(&ttl, "ttl", "", "expiry as a duration such as 720h (default: none)")
		fs.Int64Var(&rpm, "rpm", 0, "requests per minute (0: unlimited)")
		fs.Int64Var(&tpm, "tpm", 0, "tokens per minute (0: unlimited)")
		fs.Int64Var(&daily, "daily-tokens", 0, "daily token budget (0: unlimited)")
	})
	if err != nil {
		return err
	}
	r := access.KeyRequest{Tenant: tenant, Name: name, Role: access.Role(role), ActorKind: ledger.ActorKind(actor), Owner: owner, Limits: access.Limits{RPM: rpm, TPM: tpm, DailyTokens: daily}}
	if r.Tenant == "" {
		r.Tenant = c.Tenant
	}
	if models != "" {
		r.Models = strings.Split(models, ",")
	}
	if ttl != "" {
		if r.TTL, err = time.ParseDuration(ttl); err != nil || r.TTL <= 0 {
			return usagef("--ttl %q is not a positive duration such as 720h", ttl)
		}
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	tok, k, err := a.Access.CreateKey(ctx, localAdmin, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created key %s (%s, tenant %s). The token is shown only once:\n\n    %s\n\n", k.ID, k.Role, k.Tenant, tok)
	return nil
}

func keysList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tenant string
	var asJSON bool
	c, _, err := loadConfig("keys list", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "only this tenant's keys")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	ks, err := st.Keys(ctx, tenant)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(ks)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tNAME\tROLE\tOWNER\tSTATUS\tEXPIRES")
	now := time.Now()
	for _, k := range ks {
		status := "active"
		if err := k.Active(now); err != nil {
			status = strings.TrimPrefix(err.Error(), "API key ")
		}
		exp := "-"
		if !k.Expires.IsZero() {
			exp = k.Expires.Format(time.RFC3339)
		}
		own := k.Owner
		if own == "" {
			own = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Name, k.Role, own, status, exp)
	}
	return tw.Flush()
}

func keyIDArg(name string, args []string) (string, []string, error) {
	if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
		return "", args, nil // loadConfig prints the flags
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, usagef("usage: attest keys %s KEY_ID [flags]", name)
	}
	return args[0], args[1:], nil
}

func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	id, rest, err := keyIDArg("rotate", args)
	if err != nil {
		return err
	}
	var grace time.Duration
	c, _, err := loadConfig("keys rotate", rest, stderr, func(fs *flag.FlagSet) {
		fs.DurationVar(&grace, "grace", 24*time.Hour, "how long the old key keeps working")
	})
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	tok, k, err := a.Access.Rotate(ctx, localAdmin, id, grace)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotated %s → %s; the old key works until %s. New token (shown once):\n\n    %s\n\n", id, k.ID, time.Now().Add(grace).Format(time.RFC3339), tok)
	return nil
}

func keysRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	id, rest, err := keyIDArg("revoke", args)
	if err != nil {
		return err
	}
	c, _, err := loadConfig("keys revoke", rest, stderr, nil)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Access.Revoke(ctx, localAdmin, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s\n", id)
	return nil
}
