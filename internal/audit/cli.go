package audit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"
)

const usage = `usage: attest audit <command> [flags]

commands:
  export --from DATE --to DATE --seed SEED --out DIR
        write the auditor package to DIR and DIR.zip: control matrix, system
        description, seeded samples with inclusion proofs, checkpoints,
        consistency proofs, the ledger bundle, OSCAL and a manifest
  verify DIR|ZIP [--key KEY]
        check a package offline: manifest, ledger bundle, signatures, proofs
  oscal --out DIR [--from DATE] [--to DATE]
        write the catalog, assessment results and POA&M as OSCAL 1.1.3 JSON

Run "attest audit <command> -h" for a command's flags.
`

// CLI runs "attest audit ..."; args start with the command.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return cmdline.Usagef("missing command")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	var err error
	switch args[0] {
	case "export":
		err = cmdExport(ctx, args[1:], stdout, stderr)
	case "verify":
		err = cmdVerify(ctx, args[1:], stdout, stderr)
	case "oscal":
		err = cmdOSCAL(ctx, args[1:], stdout, stderr)
	default:
		return cmdline.Usagef("unknown command %q: run \"attest audit -h\" for the list", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// progressBar draws one line per stage on a terminal and stays silent
// otherwise.
func progressBar(w io.Writer) func(stage string, done, total uint64) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var last string
	return func(stage string, done, total uint64) {
		if stage != last && last != "" {
			fmt.Fprintln(w)
		}
		last = stage
		pct := 100.0
		if total > 0 {
			pct = float64(done) * 100 / float64(total)
		}
		fmt.Fprintf(w, "\r%-9s [%-30s] %5.1f%% %d/%d", stage, strings.Repeat("=", int(pct*30/100)), pct, done, total)
	}
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := controls.NewCommand("audit", "export", "export --from DATE --to DATE --seed SEED --out DIR", stderr)
	from := c.Flags.String("from", "", "first `date` of the observation period (2026-01-01)")
	to := c.Flags.String("to", "", "last `date` of the period, inclusive")
	seed := c.Flags.String("seed", "", "random `seed` chosen by the auditor; the same seed selects the same samples")
	out := c.Flags.String("out", "", "package `directory` to create; DIR.zip is written beside it")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || *seed == "" || *out == "" {
		return cmdline.Usagef("--from, --to, --seed and --out are all required, for example: attest audit export --from 2026-01-01 --to 2026-06-30 --seed 8f3a91 --out q2-audit")
	}
	f, err := controls.ParseDate(*from, false)
	if err != nil {
		return cmdline.Usagef("--from: %v", err)
	}
	t, err := controls.ParseDate(*to, true)
	if err != nil {
		return cmdline.Usagef("--to: %v", err)
	}
	env, _, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	eng, err := env.Engine(c.Dir)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	bar := progressBar(stderr)
	start := time.Now()
	res, err := Export(ctx, Deps{Store: env.Ledger, Log: env.Log, Publish: env.Publish, VerifierKey: env.VerifierKey, Engine: eng}, Options{
		From: f, To: t, Seed: *seed, Dir: dir, Actor: ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:local"}, Progress: bar,
	})
	if bar != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote auditor package %s in %s\n  directory: %s\n  zip:       %s\n  %s, %s, ledger of %s; manifest sha256 %s\n",
		res.PackageID, time.Since(start).Round(time.Millisecond), res.Dir, res.Zip,
		cmdline.Count(res.Files, "file"), cmdline.Count(res.Samples, "sample"), cmdline.Count(res.Entries, "entry"), res.Manifest)
	fmt.Fprintf(stdout, "the auditor verifies it offline with:\n  attest audit verify %s --key '%s'\n", res.Zip, env.VerifierKey)
	return nil
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("attest audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "ledger verifier `key` (name+hash+base64) received out of band; default: the package's key.pub, which proves less")
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return err
		} else if err != nil {
			return cmdline.Usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return cmdline.Usagef("usage: attest audit verify DIR|ZIP [--key KEY]")
	}
	if *key != "" {
		// A mistyped key is the caller's error, not the package's: say so
		// before verifying anything.
		if _, err := note.NewVerifier(*key); err != nil {
			return cmdline.Usagef("--key: not a verifier key of the form name+hash+base64 (%v); pass the key 'attest audit export' printed, or that 'attest ledger key' prints on the log's host", err)
		}
	}
	rep, err := Verify(ctx, pos[0], *key)
	if err != nil {
		var te *ledger.TamperError
		if errors.As(err, &te) {
			return fmt.Errorf("%w\nthe package's ledger is not intact from index %d on; do not rely on it and ask for a new export", err, te.Index)
		}
		return fmt.Errorf("%w\nthe package does not verify; do not rely on it", err)
	}
	if rep.KeyFromPackage {
		fmt.Fprintln(stderr, "note: verified with the key inside the package; pass --key with the key you received out of band for an independent check")
	}
	fmt.Fprintf(stdout, "ok: package %s: the manifest (sha256 %s) matches its %s; ledger bundle of %s verified; %s, %s, %s and %s proven\n",
		rep.PackageID, rep.Manifest, cmdline.Count(rep.Files, "file"), cmdline.Count(rep.Entries, "entry"), cmdline.Count(rep.Checkpoints, "checkpoint"),
		cmdline.Count(rep.Consistency, "consistency proof"), cmdline.Count(rep.Samples, "sample"), cmdline.Count(rep.Selections, "selection record"))
	return nil
}

func cmdOSCAL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := controls.NewCommand("audit", "oscal", "oscal --out DIR [--from DATE] [--to DATE]", stderr)
	out := c.Flags.String("out", "", "`directory` to write catalog.json, assessment-results.json and poam.json into")
	from := c.Flags.String("from", "", "period start `date` (default: the first evaluation)")
	to := c.Flags.String("to", "", "period end `date`, inclusive (default: now)")
	if _, err := c.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return cmdline.Usagef("--out DIR is required")
	}
	env, _, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	eng, err := env.Engine(c.Dir)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	f, t := time.Time{}, now
	if *from != "" {
		if f, err = controls.ParseDate(*from, false); err != nil {
			return cmdline.Usagef("--from: %v", err)
		}
	} else if f, err = eng.WindowStart(ctx); err != nil {
		return err
	}
	if f.IsZero() {
		f = now.Add(-controls.Day)
	}
	if *to != "" {
		if t, err = controls.ParseDate(*to, true); err != nil {
			return cmdline.Usagef("--to: %v", err)
		}
	}
	in, err := Results(ctx, eng, f, t, now)
	if err != nil {
		return err
	}
	for name, doc := range map[string]any{"catalog.json": OSCALCatalog(in.Catalog, now), "assessment-results.json": OSCALAssessmentResults(in), "poam.json": OSCALPOAM(in)} {
		if err := writeJSON(*out, name, doc); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote OSCAL %s catalog, assessment results and POA&M to %s\n", OSCALVersion, *out)
	return nil
}

// Results gathers what the OSCAL assessment results and POA&M describe for
// a period.
func Results(ctx context.Context, eng *controls.Engine, from, to, now time.Time) (ResultsInput, error) {
	cat := eng.Catalog()
	last, err := eng.LastRun(ctx)
	if err != nil && !errors.Is(err, controls.ErrNotFound) {
		return ResultsInput{}, err
	}
	hist, err := controls.History(ctx, eng.Reader(), cat, from, to, now)
	if err != nil {
		return ResultsInput{}, err
	}
	end := to
	if end.After(now) {
		end = now
	}
	return ResultsInput{Catalog: cat, Last: last, History: hist, POAM: controls.POAM(cat, hist, end), From: from, To: to, Generated: now,
		PackageID: "oscal-" + now.Format("20060102T150405Z")}, nil
}
