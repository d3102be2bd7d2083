package controls

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/ledger"
)

const usage = `usage: attest controls <command> [flags]

commands:
  list                      the controls with their latest status
  show ID                   one control: objective, criteria, checks and latest result
  checks                    the automated checks
  evaluate                  run every check now and record the results in the ledger
  history --from D --to D   Type 2 history: exceptions per control over a period
  poam                      open exceptions with owners and due dates
  readiness                 gap assessment, Type 1 design, Type 2 progress and timeline
  scope                     the system description with components by lifecycle stage
  scope add|remove          add or remove a component of your own
  scope overview FILE       replace the service overview with FILE's text
  attest ID --file PATH     upload evidence for a manual control (or --kind remediation)
  review start|list|show|decide|complete
                            access-review campaigns over every key and role

Run "attest controls <command> -h" for a command's flags.
`

// localActor is who CLI commands act as: whoever can read the data
// directory already controls the instance.
var localActor = ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:local"}

func localPrincipal(tenant string) access.Principal {
	return access.Principal{ID: "local", Kind: "cli", Tenant: tenant, Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
}

// CLI runs "attest controls ..."; args start with the command.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return cmdline.Usagef("missing command")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"list": cmdList, "show": cmdShow, "checks": cmdChecks, "evaluate": cmdEvaluate, "history": cmdHistory,
		"poam": cmdPOAM, "readiness": cmdReadiness, "scope": cmdScope, "attest": cmdAttest, "review": cmdReview,
	}
	run, ok := cmds[args[0]]
	if !ok {
		return cmdline.Usagef("unknown command %q: run \"attest controls -h\" for the list", args[0])
	}
	err := run(ctx, args[1:], stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// session is an opened installation with its engine.
type session struct {
	env *Env
	eng *Engine
}

func (c *Command) session(ctx context.Context) (*session, error) {
	env, _, err := c.Open(ctx)
	if err != nil {
		return nil, err
	}
	eng, err := env.Engine(c.Dir)
	if err != nil {
		env.Close()
		return nil, err
	}
	return &session{env: env, eng: eng}, nil
}

func (s *session) Close() { s.env.Close() }

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "list", "list [--json]", stderr)
	asJSON := c.Flags.Bool("json", false, "print JSON")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	last, err := s.eng.LastRun(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	type row struct {
		Control
		Status Status    `json:"status"`
		Reason string    `json:"reason,omitempty"`
		Time   time.Time `json:"evaluated,omitzero"`
	}
	var rows []row
	for _, k := range s.eng.Catalog().Controls {
		r := row{Control: k, Status: "not evaluated"}
		if last != nil {
			if cr, ok := last.Result(k.ID); ok {
				r.Status, r.Reason, r.Time = cr.Status, cr.Reason, cr.Time
			}
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return printJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tSTATUS\tFREQUENCY\tOWNER\tCRITERIA\tTITLE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Frequency, r.Owner, strings.Join(r.Criteria, ","), r.Title)
	}
	if last == nil {
		fmt.Fprintln(tw, "\nno evaluation has run yet; run 'attest controls evaluate'")
	}
	return tw.Flush()
}

func cmdShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "show", "show ID", stderr)
	pos, err := c.Parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cmdline.Usagef("name one control, such as 'attest controls show AI-SEC-03'")
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	k, ok := s.eng.Catalog().Control(pos[0])
	if !ok {
		return fmt.Errorf("no control %q; run 'attest controls list'", pos[0])
	}
	out := map[string]any{"control": k}
	if last, err := s.eng.LastRun(ctx); err == nil {
		if cr, ok := last.Result(k.ID); ok {
			out["latest"] = cr
		}
	}
	return printJSON(stdout, out)
}

func cmdChecks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "checks", "checks", stderr)
	if _, err := c.Parse(args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, ch := range Checks() {
		fmt.Fprintf(tw, "%s\t%s\n", ch.Name, ch.Title)
	}
	return tw.Flush()
}

func cmdEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "evaluate", "evaluate [--json]", stderr)
	asJSON := c.Flags.Bool("json", false, "print the whole run as JSON")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	run, err := s.eng.Evaluate(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, run)
	}
	counts := map[Status]int{}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, cr := range run.Controls {
		counts[cr.Status]++
		// Not applicable is listed too: it is not failing, but its reason
		// is a claim about scope someone should read.
		if cr.Status != Pass {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", cr.Control, cr.Status, cr.Reason)
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "evaluated %d controls over %s in %s: %d pass, %d fail, %d stale, %d without evidence, %d not applicable; recorded as control.evaluated events\n",
		len(run.Controls), cmdline.Count(run.LedgerSize, "ledger entry"), run.Duration.Round(time.Millisecond), counts[Pass], counts[Fail], counts[Stale], counts[NoEvidence], counts[NotApplicable])
	return nil
}

// ParseDate reads a date (2026-01-31) or an RFC 3339 time. A plain date
// used as the end of a period means the end of that day.
func ParseDate(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z", s)
	}
	if end {
		t = t.Add(Day)
	}
	return t, nil
}

// period parses --from and --to; --from defaults to the Type 2 window
// start and --to to now.
func period(ctx context.Context, eng *Engine, from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = ParseDate(from, false); err != nil {
			return f, t, cmdline.Usagef("--from: %v", err)
		}
	} else if f, err = eng.WindowStart(ctx); err != nil {
		return f, t, err
	} else if f.IsZero() {
		return f, t, errors.New("no evaluation has run yet; run 'attest controls evaluate' or pass --from")
	}
	t = time.Now().UTC()
	if to != "" {
		if t, err = ParseDate(to, true); err != nil {
			return f, t, cmdline.Usagef("--to: %v", err)
		}
	}
	if !f.Before(t) {
		return f, t, cmdline.Usagef("--from must be before --to")
	}
	return f, t, nil
}

func cmdHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "history", "history [--from DATE] [--to DATE] [--control ID] [--json]", stderr)
	from := c.Flags.String("from", "", "start `date` (default: the first evaluation)")
	to := c.Flags.String("to", "", "end `date`, inclusive (default: now)")
	only := c.Flags.String("control", "", "show one control `id`")
	asJSON := c.Flags.Bool("json", false, "print JSON")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	f, t, err := period(ctx, s.eng, *from, *to)
	if err != nil {
		return err
	}
	hist, err := History(ctx, s.env.Ledger, s.eng.Catalog(), f, t, time.Now().UTC())
	if err != nil {
		return err
	}
	if *only != "" {
		var one []ControlHistory
		for _, h := range hist {
			if h.Control == *only {
				one = append(one, h)
			}
		}
		if len(one) == 0 {
			return fmt.Errorf("no control %q; run 'attest controls list'", *only)
		}
		hist = one
	}
	if *asJSON {
		return printJSON(stdout, hist)
	}
	return printHistory(stdout, hist, f, t)
}

// printHistory writes the controls as one table and their exceptions as a
// second below it, so that an exception's long cells do not widen the
// columns of the first.
func printHistory(w io.Writer, hist []ControlHistory, from, to time.Time) error {
	fmt.Fprintf(w, "period %s to %s\n", from.Format(time.RFC3339), to.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tOPERATED\tEVALUATIONS\tPASSING\tNOT APPLICABLE\tEXCEPTIONS")
	n := 0
	for _, h := range hist {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%d\t%d\n", h.Control, h.Operated, h.Evaluations, h.Passing, h.NotApplicable, len(h.Exceptions))
		n += len(h.Exceptions)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%s:\n", cmdline.Count(n, "exception"))
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tKIND\tSTART\tEND\tDURATION\tREASON")
	for _, h := range hist {
		for _, e := range h.Exceptions {
			end := "open"
			if !e.Open {
				end = e.End.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Control, e.Kind, e.Start.Format(time.RFC3339), end, e.Duration.Round(time.Minute), e.Reason)
		}
	}
	return tw.Flush()
}

func cmdPOAM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "poam", "poam [--from DATE] [--json]", stderr)
	from := c.Flags.String("from", "", "look for exceptions from this `date` (default: the first evaluation)")
	asJSON := c.Flags.Bool("json", false, "print JSON")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	f, t, err := period(ctx, s.eng, *from, "")
	if err != nil {
		return err
	}
	hist, err := History(ctx, s.env.Ledger, s.eng.Catalog(), f, t, t)
	if err != nil {
		return err
	}
	items := POAM(s.eng.Catalog(), hist, t)
	if *asJSON {
		return printJSON(stdout, items)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tOWNER\tDETECTED\tDUE\tOVERDUE\tWEAKNESS")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", it.ID, it.Owner, it.Detected.Format("2006-01-02"), it.Due.Format("2006-01-02"), it.Overdue, it.Weakness)
	}
	if len(items) == 0 {
		fmt.Fprintln(tw, "no open exceptions")
	}
	return tw.Flush()
}

func cmdReadiness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "readiness", "readiness [--json]", stderr)
	asJSON := c.Flags.Bool("json", false, "print JSON")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.eng.Readiness(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, r)
	}
	g := r.Gap
	fmt.Fprintf(stdout, "Gap assessment: %d of %d controls pass; %d fail, %d stale, %d without evidence, %d not evaluated, %d not applicable\n",
		g.Passing, g.Controls, len(g.Failing), len(g.Stale), len(g.NoEvidence), len(g.NotEvaluated), len(g.NotApplicable))
	for _, l := range []struct {
		name string
		ids  []string
	}{{"failing", g.Failing}, {"stale", g.Stale}, {"no evidence", g.NoEvidence}, {"not evaluated", g.NotEvaluated}, {"not applicable", g.NotApplicable}} {
		if len(l.ids) > 0 {
			fmt.Fprintf(stdout, "  %s: %s\n", l.name, strings.Join(l.ids, ", "))
		}
	}
	t1 := r.Type1
	fmt.Fprintf(stdout, "Type 1 design: %d controls (%d automated, %d manual) cover %d of %d criteria; design complete: %v; ready: %v\n",
		t1.Controls, t1.Automated, t1.Manual, t1.CriteriaCovered, t1.CriteriaTotal, t1.DesignComplete, t1.Ready)
	if len(t1.UncoveredComponents) > 0 {
		fmt.Fprintf(stdout, "  components without controls: %s\n", strings.Join(t1.UncoveredComponents, ", "))
	}
	t2 := r.Type2
	if t2.WindowStart.IsZero() {
		fmt.Fprintln(stdout, "Type 2: the observation window has not started")
	} else {
		fmt.Fprintf(stdout, "Type 2: window started %s, %d of %d days elapsed, %s so far (%d open), %s operating throughout\n",
			t2.WindowStart.Format("2006-01-02"), t2.DaysElapsed, t2.TargetDays, cmdline.Count(t2.Exceptions, "exception"), t2.Open, cmdline.Count(t2.Operating, "control"))
	}
	for _, p := range r.Timeline.Phases {
		state := ""
		if p.Done {
			state = " (done)"
		}
		fmt.Fprintf(stdout, "  %-12s %s to between %s and %s%s\n", p.Name, p.Start.Format("2006-01-02"), p.EndEarliest.Format("2006-01-02"), p.EndLatest.Format("2006-01-02"), state)
	}
	fmt.Fprintf(stdout, "Estimated Type 2 report: between %s and %s\n", r.Timeline.EarliestReport.Format("2006-01-02"), r.Timeline.LatestReport.Format("2006-01-02"))
	return nil
}

func cmdScope(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return cmdScopeAdd(ctx, args[1:], stdout, stderr)
		case "remove":
			return cmdScopeRemove(ctx, args[1:], stdout, stderr)
		case "overview":
			return cmdScopeOverview(ctx, args[1:], stdout, stderr)
		}
	}
	c := NewCommand("controls", "scope", "scope [--json]", stderr)
	asJSON := c.Flags.Bool("json", false, "print JSON")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := s.eng.Description(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	_, err = io.WriteString(stdout, d.Markdown())
	return err
}

func cmdScopeAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "scope add", "scope add --name NAME --kind KIND --stage STAGE [--controls ID,ID] [--description TEXT]", stderr)
	var comp Component
	var links string
	c.Flags.StringVar(&comp.Name, "name", "", "component `name`")
	c.Flags.StringVar(&comp.Kind, "kind", "", "component `kind`, such as database or provider")
	c.Flags.StringVar((*string)(&comp.Stage), "stage", "", "ingestion, training, deployment_inference, storage, supporting_technology or people_processes")
	c.Flags.StringVar(&comp.Description, "description", "", "what it is")
	c.Flags.StringVar(&links, "controls", "", "comma-separated control `ids` that cover it")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	if links != "" {
		comp.Controls = strings.Split(links, ",")
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	added, err := s.eng.AddComponent(ctx, localActor.ID, comp)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s\n", added.ID)
	return nil
}

func cmdScopeRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "scope remove", "scope remove KIND:NAME", stderr)
	pos, err := c.Parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cmdline.Usagef("name one component id, such as 'database:crm'")
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.eng.RemoveComponent(ctx, pos[0]); errors.Is(err, ErrNotFound) {
		return fmt.Errorf("no added component %q; 'attest controls scope' lists them (only components you added can be removed)", pos[0])
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed %s\n", pos[0])
	return nil
}

func cmdScopeOverview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "scope overview", "scope overview FILE", stderr)
	pos, err := c.Parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cmdline.Usagef("give the file holding the service overview")
	}
	text, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.eng.SetOverview(ctx, string(text)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "service overview updated")
	return nil
}

func cmdAttest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := NewCommand("controls", "attest", "attest ID --file PATH [--kind operation|remediation] [--expires DATE]", stderr)
	file := c.Flags.String("file", "", "evidence `file` to upload")
	kind := c.Flags.String("kind", AttestOperation, "operation (a manual control operated) or remediation (an exception was fixed)")
	expires := c.Flags.String("expires", "", "evidence expiry `date` (default: the control's expiry)")
	pos, err := c.Parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *file == "" {
		return cmdline.Usagef("usage: attest controls attest ID --file PATH")
	}
	fi, err := os.Stat(*file)
	if err != nil {
		return err
	}
	if fi.Size() > MaxEvidenceBytes {
		return fmt.Errorf("%s is over %d MiB; upload a summary and keep the full file in your document store", *file, MaxEvidenceBytes>>20)
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	req := AttestRequest{Control: pos[0], Kind: *kind, EvidenceName: filepath.Base(*file), Evidence: data}
	if *expires != "" {
		if req.Expires, err = ParseDate(*expires, true); err != nil {
			return cmdline.Usagef("--expires: %v", err)
		}
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	ref, err := s.eng.Attest(ctx, localActor, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "recorded control.attested at ledger index %d (evidence sha256 %s)", ref.Index, ref.Evidence)
	if !ref.Expires.IsZero() {
		fmt.Fprintf(stdout, ", current until %s", ref.Expires.Format("2006-01-02"))
	}
	fmt.Fprintln(stdout)
	return nil
}
