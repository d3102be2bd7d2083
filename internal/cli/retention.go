package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	Register("retention", "enforce retention policies now", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "retention", map[string]Func{"run": retentionRun}, args, stdout, stderr)
	})
}

func retentionRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("retention run", args, stderr, nil)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.Privacy.RunRetention(ctx, ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:retention"}, "manual")
	if err != nil {
		return err
	}
	total := 0
	for _, x := range r.Results {
		total += x.Deleted + x.Expired
		fmt.Fprintf(stdout, "%-24s cutoff %s  deleted %d  expired %d\n", x.Policy, x.Cutoff.Format("2006-01-02T15:04Z"), x.Deleted, x.Expired)
	}
	fmt.Fprintf(stdout, "retention run %s: %s, %s deleted; evidence at ledger index %d\n", r.ID, r.Status, cmdline.Count(total, "payload"), r.Ledger)
	return nil
}
