package guard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/guard/injection"
	"github.com/attest-ai/attest/internal/guard/pii"
)

// maxInput bounds what scan and eval read.
const maxInput = 256 << 20

const usage = `usage: attest guard <command> [flags]

commands:
  scan [-format table|json] [-redact] [-types T1,T2] [-min-score S] [FILE]
        find personal data, secrets and prompt injection in FILE or stdin
  eval -dataset FILE
        measure the detectors on a labelled data set: a presidio-research
        JSON array (per-entity precision, recall and F1) or JSON lines of
        {"text", "label"} (injection TPR at 1% and 5% FPR, ROC AUC)
`

// CLI runs the guard subcommands.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return cmdline.Usagef("missing command")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "scan":
		return cliScan(ctx, args[1:], stdout, stderr)
	case "eval":
		return cliEval(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return cmdline.Usagef("unknown guard command %q; run 'attest guard -h' for the list", args[0])
}

// newFlags prepares the flags of "attest guard <synopsis>"; -h prints
// that command's flags, not the whole group's.
func newFlags(name, synopsis, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("attest guard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: attest guard %s\n\n%s\n\nflags:\n", synopsis, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; -h is not an error, a bad flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return cmdline.Usagef("%v", err)
}

func readInput(name string) (string, error) {
	var r io.Reader = os.Stdin
	if name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	if len(b) > maxInput {
		return "", fmt.Errorf("input is larger than %d MiB; split it into smaller files", maxInput>>20)
	}
	return string(b), nil
}

func cliScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", "scan [-format table|json] [-redact] [-types T1,T2] [-min-score S] [FILE]",
		"Finds personal data, secrets and prompt injection in FILE or stdin.", stderr)
	format := fs.String("format", "table", "output format: table or json")
	redact := fs.Bool("redact", false, "print the text with every finding replaced by a placeholder")
	types := fs.String("types", "", "comma-separated entity types to find (default: all)")
	minScore := fs.Float64("min-score", 0, "drop findings scoring below this (default 0.5)")
	if err := parseFlags(fs, args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return cmdline.Usagef("scan takes at most one file, got %d; scan them one by one", fs.NArg())
	}
	if *format != "table" && *format != "json" {
		return cmdline.Usagef("unknown format %q; use table or json", *format)
	}
	text, err := readInput(fs.Arg(0))
	if err != nil {
		return err
	}
	pol := pii.Policy{Entities: map[pii.Type]pii.Action{}, MinScore: *minScore}
	if *types == "" {
		for _, t := range pii.Types() {
			pol.Entities[t] = pii.ActionRedact
		}
	} else {
		for _, t := range strings.Split(*types, ",") {
			pol.Entities[pii.Type(strings.ToUpper(strings.TrimSpace(t)))] = pii.ActionRedact
		}
	}
	g, err := pii.NewGuard(pol)
	if err != nil {
		return err
	}
	findings := g.Scanner.Scan(text)
	if *redact {
		out, _ := g.Redactor().Apply(text, findings)
		_, err := io.WriteString(stdout, out)
		return err
	}
	det, err := injection.New()
	if err != nil {
		return err
	}
	inj := det.Score(text)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Findings  []pii.Finding    `json:"findings"`
			Counts    map[pii.Type]int `json:"counts"`
			Injection injection.Score  `json:"injection"`
		}{findings, pii.Counts(findings), inj})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tLINE:COL\tSTART\tEND\tSCORE")
	for _, f := range findings {
		line, col := lineCol(text, f.Start)
		fmt.Fprintf(tw, "%s\t%d:%d\t%d\t%d\t%.2f\n", f.Type, line, col, f.Start, f.End, f.Score)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s; prompt injection probability %.3f", cmdline.Count(len(findings), "finding"), inj.Probability)
	if len(inj.Rules) > 0 {
		fmt.Fprintf(stdout, " (rules: %s)", strings.Join(inj.Rules, ", "))
	}
	fmt.Fprintln(stdout)
	return nil
}

// lineCol returns the 1-based line and byte column of offset i.
func lineCol(s string, i int) (int, int) {
	line := 1 + strings.Count(s[:i], "\n")
	return line, i - strings.LastIndexByte(s[:i], '\n')
}

func cliEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval -dataset FILE", "Measures the detectors on a labelled data set: a presidio-research JSON array\n"+
		"(per-entity precision, recall and F1) or JSON lines of {\"text\", \"label\"}\n(injection TPR at 1% and 5% FPR, ROC AUC).", stderr)
	dataset := fs.String("dataset", "", "labelled data set `file`: presidio JSON array or injection JSON lines")
	if err := parseFlags(fs, args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *dataset == "" {
		return cmdline.Usagef("eval needs -dataset FILE: a presidio-research JSON array or JSON lines of {\"text\", \"label\"}; run 'attest guard -h' for the formats")
	}
	data, err := readInput(*dataset)
	if err != nil {
		return err
	}
	trimmed := strings.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case strings.HasPrefix(trimmed, "["):
		return evalPII(ctx, data, stdout)
	case strings.HasPrefix(trimmed, "{"):
		return evalInjection(ctx, data, stdout)
	}
	return fmt.Errorf("%s is neither a JSON array (presidio format) nor JSON lines (injection format)", *dataset)
}

func evalPII(ctx context.Context, data string, w io.Writer) error {
	samples, err := pii.LoadPresidio(strings.NewReader(data))
	if err != nil {
		return err
	}
	s, err := pii.NewScanner(pii.Options{})
	if err != nil {
		return err
	}
	r := pii.Evaluate(samples, s.Scan)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTITY\tGOLD\tFOUND\tEXACT P\tEXACT R\tEXACT F1\tOVERLAP P\tOVERLAP R\tOVERLAP F1")
	for _, t := range r.Types() {
		e, o := r.Exact[t], r.Overlap[t]
		note := ""
		if o.Gold == 0 {
			note = " (not labelled in this data set)"
		}
		fmt.Fprintf(tw, "%s%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n", t, note, o.Gold, o.Predicted,
			e.Precision(), e.Recall(), e.F1(), o.Precision(), o.Recall(), o.F1())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\n%s\n", cmdline.Count(len(samples), "sample"))
	return err
}

func evalInjection(ctx context.Context, data string, w io.Writer) error {
	d, err := injection.New()
	if err != nil {
		return err
	}
	var scores []float64
	var labels []int
	type src struct{ benign, flagged, attacks, caught int }
	per := map[string]*src{}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), maxInput)
	thr := injection.DefaultBlockThreshold
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec struct {
			Text   string `json:"text"`
			Label  *int   `json:"label"`
			Source string `json:"source"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if rec.Label == nil || (*rec.Label != 0 && *rec.Label != 1) {
			return fmt.Errorf("line %d: label must be 0 (benign) or 1 (attack)", line)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		p := d.Score(rec.Text).Probability
		scores = append(scores, p)
		labels = append(labels, *rec.Label)
		if per[rec.Source] == nil {
			per[rec.Source] = &src{}
			order = append(order, rec.Source)
		}
		s := per[rec.Source]
		if *rec.Label == 0 {
			s.benign++
			if p >= thr {
				s.flagged++
			}
		} else {
			s.attacks++
			if p >= thr {
				s.caught++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	roc := injection.Evaluate(scores, labels)
	fmt.Fprintf(w, "%s, %d benign\nROC AUC           %.4f\nTPR at 1%% FPR     %.3f (threshold %.4f)\nTPR at 5%% FPR     %.3f (threshold %.4f)\n",
		cmdline.Count(roc.Positive, "attack"), roc.Negative, roc.AUC, roc.TPRAt1, roc.Thresh1, roc.TPRAt5, roc.Thresh5)
	slices.Sort(order)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nat the default block threshold %.4f:\nSOURCE\tBENIGN FPR\tATTACK TPR\n", thr)
	for _, name := range order {
		s := per[name]
		fpr, tpr := "-", "-"
		if s.benign > 0 {
			fpr = fmt.Sprintf("%.3f (%d/%d)", float64(s.flagged)/float64(s.benign), s.flagged, s.benign)
		}
		if s.attacks > 0 {
			tpr = fmt.Sprintf("%.3f (%d/%d)", float64(s.caught)/float64(s.attacks), s.caught, s.attacks)
		}
		if name == "" {
			name = "(no source)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, fpr, tpr)
	}
	return tw.Flush()
}
