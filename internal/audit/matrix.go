package audit

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/controls"
)

// Row is one control in the control matrix.
type Row struct {
	Control        string
	Title          string
	Family         string
	Criteria       string
	Owner          string
	Frequency      string
	Method         string
	Tests          string
	Evidence       string
	Status         string
	LastEvaluated  string
	Evaluations    int
	Passing        int
	Operated       bool
	Exceptions     int
	OpenExceptions int
	Samples        int
}

// Matrix builds the control matrix rows for a period.
func Matrix(cat *controls.Catalog, last *controls.RunResult, hist []controls.ControlHistory, samples map[string]int) []Row {
	byID := map[string]controls.ControlHistory{}
	for _, h := range hist {
		byID[h.Control] = h
	}
	rows := make([]Row, 0, len(cat.Controls))
	for _, k := range cat.Controls {
		r := Row{Control: k.ID, Title: k.Title, Family: k.Family, Criteria: strings.Join(k.Criteria, " "), Owner: k.Owner,
			Frequency: string(k.Frequency), Evidence: strings.Join(k.Evidence, " "), Status: "not evaluated", Samples: samples[k.ID]}
		if k.Automated() {
			r.Method, r.Tests = "automated", strings.Join(k.Checks, " ")
		} else {
			r.Method, r.Tests = "attestation", "evidence expires after "+k.Attestation.Expiry.String()
		}
		if last != nil {
			if cr, ok := last.Result(k.ID); ok {
				r.Status, r.LastEvaluated = string(cr.Status), cr.Time.UTC().Format(time.RFC3339)
			}
		}
		if h, ok := byID[k.ID]; ok {
			r.Evaluations, r.Passing, r.Operated, r.Exceptions = h.Evaluations, h.Passing, h.Operated, len(h.Exceptions)
			for _, e := range h.Exceptions {
				if e.Open {
					r.OpenExceptions++
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}

var matrixHeader = []string{"control", "title", "family", "criteria", "owner", "frequency", "method", "tests", "evidence_sources",
	"status", "last_evaluated", "evaluations", "passing", "operated_throughout", "exceptions", "open_exceptions", "samples"}

// WriteCSV writes the matrix as CSV with a header row.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(matrixHeader)
	for _, r := range rows {
		cw.Write([]string{r.Control, r.Title, r.Family, r.Criteria, r.Owner, r.Frequency, r.Method, r.Tests, r.Evidence,
			r.Status, r.LastEvaluated, fmt.Sprint(r.Evaluations), fmt.Sprint(r.Passing), fmt.Sprint(r.Operated),
			fmt.Sprint(r.Exceptions), fmt.Sprint(r.OpenExceptions), fmt.Sprint(r.Samples)})
	}
	cw.Flush()
	return cw.Error()
}

var matrixPage = template.Must(template.New("matrix").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Control matrix {{.From}} to {{.To}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin-bottom:2em}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f2f2f2}
.pass{color:#176b2c}.fail,.no_evidence,.stale{color:#a4161a;font-weight:600}.not_applicable{color:#57606a}
</style></head><body>
<h1>Control matrix</h1>
<p>Observation period {{.From}} to {{.To}}; catalog {{.Version}}; generated {{.Generated}}.
Every status below is backed by control.evaluated events in the ledger bundle; see README.md to verify them.</p>
<table><thead><tr><th>Control</th><th>Title</th><th>Criteria</th><th>Owner</th><th>Frequency</th><th>Method</th><th>Tests</th>
<th>Latest status</th><th>Evaluations (passing)</th><th>Operated throughout</th><th>Exceptions (open)</th><th>Samples</th></tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Control}}</td><td>{{.Title}}</td><td>{{.Criteria}}</td><td>{{.Owner}}</td><td>{{.Frequency}}</td><td>{{.Method}}</td><td>{{.Tests}}</td>
<td class="{{.Status}}">{{.Status}}</td><td>{{.Evaluations}} ({{.Passing}})</td><td>{{if .Operated}}yes{{else}}no{{end}}</td><td>{{.Exceptions}} ({{.OpenExceptions}})</td><td>{{.Samples}}</td></tr>
{{end}}</tbody></table>
<h2>Criteria</h2>
<table><thead><tr><th>Criterion</th><th>Title</th><th>Controls</th></tr></thead><tbody>
{{range .Criteria}}<tr><td>{{.ID}}</td><td>{{.Title}}</td><td>{{.Controls}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))

// WriteHTML writes the matrix and the criteria mapping as one HTML page.
func WriteHTML(w io.Writer, cat *controls.Catalog, rows []Row, from, to, generated time.Time) error {
	type crit struct{ ID, Title, Controls string }
	var cs []crit
	for _, c := range cat.Criteria {
		var ids []string
		for _, k := range cat.ControlsFor(c.ID) {
			ids = append(ids, k.ID)
		}
		cs = append(cs, crit{c.ID, c.Title, strings.Join(ids, ", ")})
	}
	return matrixPage.Execute(w, map[string]any{
		"From": from.UTC().Format("2006-01-02"), "To": to.UTC().Format("2006-01-02"), "Version": cat.Version,
		"Generated": generated.UTC().Format(time.RFC3339), "Rows": rows, "Criteria": cs,
	})
}
