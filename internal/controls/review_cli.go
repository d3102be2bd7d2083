package controls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/cmdline"
)

const reviewUsage = `usage: attest controls review <command> [flags]

commands:
  start [--tenant T] [--due 14d]      list every active key, console user and role for review
  list                                campaigns, newest first
  show ID                             a campaign's items and decisions
  decide ID ITEM keep|revoke [--note] record a decision (ITEM as shown by 'show')
  complete ID                         apply revocations and record completion
`

func cmdReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, reviewUsage)
		return cmdline.Usagef("missing review command")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, reviewUsage)
		return nil
	}
	name, args := args[0], args[1:]
	c := NewCommand("controls review", name, name+" ...", stderr)
	var tenant, due, note string
	switch name {
	case "start":
		c.Flags.StringVar(&tenant, "tenant", "", "review one `tenant` only (default: all)")
		c.Flags.StringVar(&due, "due", "14d", "how long reviewers have, such as 14d")
	case "decide":
		c.Flags.StringVar(&note, "note", "", "the reason for the decision; kept in the store, never in the ledger")
	case "list", "show", "complete":
	default:
		return cmdline.Usagef("unknown review command %q: run \"attest controls review -h\"", name)
	}
	pos, err := c.Parse(args)
	if err != nil {
		return err
	}
	env, conf, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.Reviews == nil || env.Access == nil {
		return errors.New("this installation has no access-review store")
	}
	rv := access.NewReviews(env.Reviews, env.Keys, env.Access, env.Log)
	if env.Users != nil {
		rv.WithUsers(env.Users)
	}
	by := localPrincipal(conf.Tenant)
	switch name {
	case "start":
		d, err := ParseDuration(due)
		if err != nil {
			return cmdline.Usagef("--due: %v", err)
		}
		r, items, err := rv.Start(ctx, by, access.StartRequest{Tenant: tenant, DueIn: d.D})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "started access review %s with %s, due %s\n", r.ID, cmdline.Count(len(items), "item"), r.Due.Format("2006-01-02"))
		return printItems(stdout, items)
	case "list":
		rs, err := rv.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REVIEW\tSTARTED\tDUE\tDECIDED\tCOMPLETED\tREVOKED")
		for _, r := range rs {
			done := "-"
			if !r.Completed.IsZero() {
				done = r.Completed.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%d\n", r.ID, r.Started.Format("2006-01-02"), r.Due.Format("2006-01-02"), r.Decided, r.Items, done, r.Revoked)
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return cmdline.Usagef("name the review, such as 'attest controls review show ar-20260105-1a2b3c4d'")
		}
		r, items, err := rv.Get(ctx, pos[0])
		if err != nil {
			return reviewErr(err, pos[0])
		}
		fmt.Fprintf(stdout, "review %s (%s), started %s, due %s, %d of %d decided\n", r.ID, scopeOf(r), r.Started.Format("2006-01-02"), r.Due.Format("2006-01-02"), r.Decided, r.Items)
		return printItems(stdout, items)
	case "decide":
		if len(pos) != 3 {
			return cmdline.Usagef("usage: attest controls review decide REVIEW ITEM keep|revoke [--note TEXT]")
		}
		it, err := rv.Decide(ctx, by, pos[0], pos[1], pos[2], note)
		if err != nil {
			return reviewErr(err, pos[0])
		}
		fmt.Fprintf(stdout, "%s: %s\n", it.ID, it.Decision)
		return nil
	default: // complete
		if len(pos) != 1 {
			return cmdline.Usagef("name the review to complete")
		}
		r, err := rv.Complete(ctx, by, pos[0])
		if err != nil {
			return reviewErr(err, pos[0])
		}
		fmt.Fprintf(stdout, "completed %s at %s: %d revoked (keys and console users); recorded as access_review.completed\n", r.ID, r.Completed.Format(time.RFC3339), r.Revoked)
		return nil
	}
}

func scopeOf(r access.Review) string {
	if r.Tenant == "" {
		return "all tenants"
	}
	return "tenant " + r.Tenant
}

func reviewErr(err error, id string) error {
	if errors.Is(err, access.ErrNotFound) {
		return fmt.Errorf("%w: check the review id with 'attest controls review list' and the item with 'attest controls review show %s'", err, id)
	}
	return err
}

func printItems(w io.Writer, items []access.ReviewItem) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tTENANT\tNAME\tROLE\tHOLDERS\tSIGN-IN\tDECISION")
	for _, it := range items {
		d := it.Decision
		if d == "" {
			d = "-"
		}
		holders := ""
		if it.Kind == "role" {
			holders = fmt.Sprint(len(it.Holders))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Tenant, it.Name, it.Role, holders, strings.Join(it.SignIn, "+"), d)
	}
	return tw.Flush()
}
