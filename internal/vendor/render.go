package vendor

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/attest-ai/attest/internal/cmdline"
)

// WriteJSON writes the review as indented JSON.
func WriteJSON(w io.Writer, r *Review) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the terminal summary of a review.
func WriteText(w io.Writer, r *Review) error {
	ew := &errWriter{w: w}
	high, other := 0, 0
	for _, f := range r.RedFlags {
		if f.Severity == SeverityHigh {
			high++
		} else {
			other++
		}
	}
	ew.printf("Vendor review: %s   as of %s\n", cmp.Or(r.Vendor, "(vendor not named)"), r.AsOf)
	ew.printf("Verdict: %s   (%d high and %s)\n\n", verdictLabel(r.Verdict), high, cmdline.Count(other, "other red flag"))

	ew.printf("Documents\n")
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	for _, d := range r.Documents {
		status := d.Status
		if d.Problem != "" {
			status += ": " + d.Problem
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", d.Name, d.Kind.Label(), cmdline.Count(d.Pages, "page"), shortDigest(d.Digest), status)
	}
	tw.Flush()

	if r.Primary >= 0 {
		d := r.Documents[r.Primary]
		x := d.Fields
		ew.printf("\nReport: %s (%s)\n", d.Name, d.Kind.Label())
		tw = tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		row := func(label string, f *Field) {
			if f == nil {
				fmt.Fprintf(tw, "  %s\t(not found)\t\n", label)
				return
			}
			fmt.Fprintf(tw, "  %s\t%s\tp%d\n", label, f.Value, f.Page)
		}
		row("Service organization", x.ServiceOrganization)
		row("Service auditor", x.ServiceAuditor)
		if x.AsOf != nil && x.PeriodEnd == nil {
			row("As of", x.AsOf)
		} else {
			row("Period start", x.PeriodStart)
			row("Period end", x.PeriodEnd)
		}
		row("Report date", x.ReportDate)
		row("Opinion", x.Opinion)
		cats := "(none found)"
		if len(x.Categories) > 0 {
			cats = strings.Join(values(x.Categories), ", ")
		}
		fmt.Fprintf(tw, "  Categories in scope\t%s\t\n", cats)
		if x.AI != nil {
			fmt.Fprintf(tw, "  AI components\t%s\t\n", strings.ReplaceAll(x.AI.Status, "_", " "))
		}
		fmt.Fprintf(tw, "  Subservice organizations\t%d\t%s\n", len(x.Subservice), subserviceMethod(x))
		fmt.Fprintf(tw, "  CUECs\t%d\t\n", len(x.CUECs))
		fmt.Fprintf(tw, "  Test results read\t%d\t\n", x.TestResults)
		fmt.Fprintf(tw, "  Exceptions\t%d\t%s\n", len(x.Exceptions), exceptionIDs(x.Exceptions))
		fmt.Fprintf(tw, "  Not tested\t%d\t%s\n", len(x.Untested), exceptionIDs(x.Untested))
		tw.Flush()
	}

	ew.printf("\nTen-minute check\n")
	for i, q := range r.Questions {
		ew.printf("  %d. [%s] %s\n     %s\n", i+1, q.Answer, q.Text, q.Detail)
		for _, c := range q.Evidence {
			ew.printf("     %s\n", citation(c))
		}
	}

	if len(r.RedFlags) > 0 {
		ew.printf("\nRed flags\n")
		for _, f := range r.RedFlags {
			ew.printf("  %-6s %s: %s\n", strings.ToUpper(f.Severity), f.Title, f.Detail)
			ew.printf("         what to do: %s\n", f.Response)
			for _, c := range f.Evidence[:min(len(f.Evidence), 3)] {
				ew.printf("         %s\n", citation(c))
			}
		}
	}

	ew.printf("\nContract clauses (full text with --format html or json)\n")
	for _, c := range r.Clauses {
		mark := " "
		if len(c.Because) > 0 {
			mark = "!"
		}
		ew.printf("  %s %s\n", mark, c.Title)
	}
	return ew.err
}

func verdictLabel(v string) string {
	if v == VerdictFastTrack {
		return "FAST-TRACK"
	}
	return "ESCALATE"
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

func subserviceMethod(x *Extraction) string {
	if x.SubserviceMethod == nil {
		return ""
	}
	return strings.ReplaceAll(x.SubserviceMethod.Value, "_", "-") + " method"
}

func exceptionIDs(es []Exception) string {
	ids := make([]string, 0, len(es))
	for _, e := range es {
		ids = append(ids, fmt.Sprintf("%s p%d", cmp.Or(e.ControlID, "?"), e.Page))
	}
	return strings.Join(ids, ", ")
}

func citation(c Citation) string {
	s := c.Document
	if c.Page > 0 {
		s += fmt.Sprintf(" p%d", c.Page)
	}
	if c.Quote != "" {
		s += fmt.Sprintf(": %q", c.Quote)
	}
	return s
}

// errWriter keeps the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

//go:embed report.html.tmpl
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"label":   func(k Kind) string { return k.Label() },
	"verdict": verdictLabel,
	"words":   func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"join":    strings.Join,
	"values":  values,
	"short":   shortDigest,
	"inc":     func(i int) int { return i + 1 },
	"dict":    func(name string, f *Field) map[string]*Field { return map[string]*Field{name: f} },
}).Parse(reportHTML))

// WriteHTML writes the review as one self-contained HTML page: styles are
// inline and nothing is loaded from elsewhere.
func WriteHTML(w io.Writer, r *Review) error {
	return reportTemplate.Execute(w, r)
}
