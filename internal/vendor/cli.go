package vendor

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/ledger"
)

// CLIEnv connects the command line to a registry and a ledger. Its zero
// value reviews packets offline and records nothing.
type CLIEnv struct {
	Service *Service
	Tenant  string
	Actor   ledger.Actor
}

// CLI runs "attest vendor ..." offline: reviews work, while commands that
// need the registry say how to configure one.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return CLIEnv{}.CLI(ctx, args, stdout, stderr)
}

const cliUsage = `Usage: attest vendor <command> [flags]

Commands:
  review FILES|DIR  triage a vendor's security packet (SOC reports, bridge
                    letters, pen-test summaries, data-flow descriptions,
                    policy indexes, DPAs); PDF, text and Markdown
  add NAME          register a vendor (--provider links gateway providers)
  list              list vendors with their latest verdict and coverage
  calendar          show report, bridge-letter and pen-test renewal dates
  providers NAME... check that gateway providers have a current review

Run "attest vendor <command> -h" for the flags of a command.
`

// CLI runs "attest vendor ..." against the environment's registry.
func (e CLIEnv) CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, cliUsage)
		return cmdline.Usagef("missing command")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, cliUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "review":
		return e.review(ctx, args[1:], stdout, stderr)
	case "add":
		return e.add(ctx, args[1:], stdout, stderr)
	case "list":
		return e.list(ctx, args[1:], stdout, stderr)
	case "calendar":
		return e.calendar(ctx, args[1:], stdout, stderr)
	case "providers":
		return e.providers(ctx, args[1:], stdout, stderr)
	}
	return cmdline.Usagef("unknown command %q; run \"attest vendor -h\" for the list", args[0])
}

var errNoRegistry = errors.New("this command needs the vendor registry; run it through an attest configured with a database (see docs/CONFIG.md)")

func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("attest vendor "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: attest vendor %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// asOfFlag parses --as-of, defaulting to today.
func asOfFlag(s string) (time.Time, error) {
	if s == "" {
		return day(time.Now()), nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of %q must be a date such as 2025-06-30", s)
	}
	return t, nil
}

// parseSize reads sizes such as 100MB, 512k or 1048576.
func parseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q must be a positive number of bytes, such as 100MB", s)
	}
	return n * mult, nil
}

func (e CLIEnv) review(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("review", "review [flags] FILES|DIR...", stderr)
	vendorName := fs.String("vendor", "", "vendor `name`; with a registry the review is recorded under it")
	format := fs.String("format", "text", "output `format`: text, json or html")
	out := fs.String("out", "", "write the result to `file` instead of standard output")
	asOf := fs.String("as-of", "", "review as of this `date` (YYYY-MM-DD, default today)")
	maxSize := fs.String("max-size", "100MB", "largest document to read")
	pdftotext := fs.String("pdftotext", "", "pdftotext `binary` for PDFs the built-in reader cannot read (default: search PATH; \"-\" disables)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("name the files or directories to review")
	}
	switch *format {
	case "text", "json", "html":
	default:
		return fmt.Errorf("--format %q must be text, json or html", *format)
	}
	date, err := asOfFlag(*asOf)
	if err != nil {
		return err
	}
	limit, err := parseSize(*maxSize)
	if err != nil {
		return fmt.Errorf("--max-size: %w", err)
	}
	paths, err := collectFiles(fs.Args())
	if err != nil {
		return err
	}
	if len(paths) > MaxDocuments {
		return fmt.Errorf("%d documents found; one review takes at most %d, so review the packet in parts", len(paths), MaxDocuments)
	}
	inputs := make([]Input, 0, len(paths))
	for _, p := range paths {
		in, err := readFileInput(p, limit)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
	}
	reader := Reader{MaxFileBytes: limit, PDFToText: *pdftotext}
	if isTerminal(stdout) {
		reader.Progress = progressPrinter(stderr)
	}
	r, err := e.runReview(ctx, reader, *vendorName, inputs, date, stderr)
	if err != nil {
		return err
	}
	if reader.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer f.Close()
		w = f
	}
	switch *format {
	case "json":
		err = WriteJSON(w, r)
	case "html":
		err = WriteHTML(w, r)
	default:
		err = WriteText(w, r)
	}
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if *out != "" {
		fmt.Fprintf(stderr, "wrote %s (verdict: %s)\n", *out, verdictLabel(r.Verdict))
	}
	return nil
}

// runReview records the review when a registry is configured, creating the
// vendor if needed, and otherwise analyses offline.
func (e CLIEnv) runReview(ctx context.Context, reader Reader, vendorName string, inputs []Input, date time.Time, stderr io.Writer) (*Review, error) {
	if e.Service == nil || vendorName == "" {
		if e.Service != nil {
			fmt.Fprintln(stderr, "note: not recorded; pass --vendor NAME to keep the review in the registry and the ledger")
		}
		policy := Policy{}
		r, err := Analyze(ctx, &reader, policy, inputs, date, nil)
		if err != nil {
			return nil, err
		}
		if vendorName != "" {
			r.Vendor = vendorName
			r.Clauses = clauses(policy.Clauses, vendorName, r.RedFlags)
		}
		return r, nil
	}
	svc := *e.Service
	svc.Reader = reader
	v, err := svc.VendorByName(ctx, e.Tenant, vendorName)
	if errors.Is(err, ErrNotFound) {
		if v, err = svc.RegisterVendor(ctx, e.Tenant, e.Actor, Vendor{Name: vendorName}); err == nil {
			fmt.Fprintf(stderr, "registered vendor %s (%s)\n", v.Name, v.ID)
		}
	}
	if err != nil {
		return nil, err
	}
	return svc.Review(ctx, e.Tenant, e.Actor, v.ID, inputs, date)
}

// collectFiles expands directories into the PDF, text and Markdown files
// they hold, skipping hidden entries.
func collectFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".pdf", ".txt", ".md", ".markdown":
				if !d.IsDir() {
					found = append(found, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s holds no PDF, text or Markdown files", a)
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, nil
}

func readFileInput(path string, limit int64) (Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return Input{}, err
	}
	defer f.Close()
	return ReadInput(filepath.Base(path), f, limit)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressPrinter redraws one status line per page of large PDFs.
func progressPrinter(w io.Writer) func(name string, done, total int) {
	return func(name string, done, total int) {
		if total < 20 {
			return
		}
		const width = 30
		filled := width * done / total
		fmt.Fprintf(w, "\r\033[K%s [%s%s] %d/%d pages", name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
	}
}

func (e CLIEnv) add(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("add", "add [flags] NAME", stderr)
	website := fs.String("website", "", "vendor website `URL`")
	var providers stringList
	fs.Var(&providers, "provider", "gateway provider `name` this vendor backs, such as openai (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if e.Service == nil {
		return errNoRegistry
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("give the vendor's name as one argument (quote names with spaces)")
	}
	v, err := e.Service.RegisterVendor(ctx, e.Tenant, e.Actor, Vendor{Name: fs.Arg(0), Website: *website, Providers: providers})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered %s (%s)\n", v.Name, v.ID)
	return nil
}

// stringList is a repeatable string flag that also splits on commas.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

func (e CLIEnv) list(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list", "list [flags]", stderr)
	format := fs.String("format", "text", "output `format`: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if e.Service == nil {
		return errNoRegistry
	}
	sums, err := e.Service.Summaries(ctx, e.Tenant)
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(stdout).Encode(sums)
	}
	if len(sums) == 0 {
		fmt.Fprintln(stdout, "no vendors yet; add one with \"attest vendor add NAME\"")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tID\tPROVIDERS\tLAST REVIEW\tVERDICT\tCOVERED UNTIL")
	for _, s := range sums {
		last, verdict, until := "never", "-", "-"
		if r := s.LatestReview; r != nil {
			last, verdict, until = r.AsOf, verdictLabel(r.Verdict), cmpOrDash(r.Coverage.StaleOn)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.ID, cmpOrDash(strings.Join(s.Providers, ",")), last, verdict, until)
	}
	return tw.Flush()
}

func cmpOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e CLIEnv) calendar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calendar", "calendar [flags]", stderr)
	format := fs.String("format", "text", "output `format`: text or json")
	asOf := fs.String("as-of", "", "`date` to measure from (YYYY-MM-DD, default today)")
	alerts := fs.Bool("alerts", false, "record a vendor.alert ledger event for each entry due soon or expired")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if e.Service == nil {
		return errNoRegistry
	}
	date, err := asOfFlag(*asOf)
	if err != nil {
		return err
	}
	var entries []CalendarEntry
	if *alerts {
		entries, err = e.Service.Alerts(ctx, e.Tenant, e.Actor, date)
	} else {
		entries, err = e.Service.Calendar(ctx, e.Tenant, date)
	}
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(stdout).Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(stdout, "nothing is due")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DUE\tSTATUS\tVENDOR\tWHAT\tDETAIL")
	for _, c := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Due, strings.ToUpper(strings.ReplaceAll(c.Status, "_", " ")), c.Vendor, strings.ReplaceAll(c.Kind, "_", " "), c.Detail)
	}
	return tw.Flush()
}

func (e CLIEnv) providers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("providers", "providers [flags] PROVIDER...", stderr)
	format := fs.String("format", "text", "output `format`: text or json")
	asOf := fs.String("as-of", "", "`date` to check at (YYYY-MM-DD, default today)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if e.Service == nil {
		return errNoRegistry
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("name the gateway providers to check, such as openai anthropic")
	}
	date, err := asOfFlag(*asOf)
	if err != nil {
		return err
	}
	sts, err := e.Service.CheckProviders(ctx, e.Tenant, fs.Args(), date)
	if err != nil {
		return err
	}
	failed := 0
	for _, s := range sts {
		if !s.Pass {
			failed++
		}
	}
	if *format == "json" {
		if err := json.NewEncoder(stdout).Encode(sts); err != nil {
			return err
		}
	} else {
		for _, s := range sts {
			mark := "PASS"
			if !s.Pass {
				mark = "FAIL"
			}
			fmt.Fprintf(stdout, "%s  %-12s %s\n", mark, s.Provider, s.Reason)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d providers have no current vendor review", failed, len(sts))
	}
	return nil
}
