package vendor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// label is one document of shared/data/vendor/labels.json. Pointers are
// null in the file when a field does not apply or is not stated.
type label struct {
	File           string   `json:"file"`
	SHA256         string   `json:"sha256"`
	PageCount      int      `json:"page_count"`
	ReportKind     *string  `json:"report_kind"`
	ReportType     *string  `json:"report_type"`
	PeriodStart    *string  `json:"period_start"`
	PeriodEnd      *string  `json:"period_end"`
	AsOf           *string  `json:"as_of"`
	ReportDate     *string  `json:"report_date"`
	Opinion        *string  `json:"opinion"`
	Categories     []string `json:"trust_services_categories"`
	ExceptionCount *int     `json:"exceptions_count"`
	Subservice     []string `json:"subservice_organizations"`
	CUECCount      *int     `json:"cuec_count"`
}

// TestLabels checks every labelled field that attest must get right on the
// development samples: report kind and type, period, as-of date, report
// date, opinion, categories in scope and the number of exceptions.
func TestLabels(t *testing.T) {
	dir := sharedVendorData(t)
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels struct {
		Documents []label `json:"documents"`
	}
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels.Documents) == 0 {
		t.Fatal("labels.json lists no documents")
	}
	r := &Reader{PDFToText: "-"}
	for _, want := range labels.Documents {
		t.Run(want.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, want.File))
			if err != nil {
				t.Fatal(err)
			}
			got, err := analyzeDocument(context.Background(), r, Input{Name: want.File, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != "sha256:"+want.SHA256 {
				t.Errorf("digest %s, labels say %s", got.Digest, want.SHA256)
			}
			if got.Pages != want.PageCount {
				t.Errorf("pages = %d, want %d", got.Pages, want.PageCount)
			}
			x := got.Fields
			if x == nil {
				t.Fatalf("no fields; status %s: %s", got.Status, got.Problem)
			}
			check := func(field string, got string, want *string) {
				t.Helper()
				w := ""
				if want != nil {
					w = *want
				}
				if got != w {
					t.Errorf("%s = %q, want %q", field, got, w)
				}
			}
			check("report_kind", x.ReportKind, want.ReportKind)
			check("report_type", x.ReportType, want.ReportType)
			check("period_start", fieldValue(x.PeriodStart), want.PeriodStart)
			check("period_end", fieldValue(x.PeriodEnd), want.PeriodEnd)
			check("as_of", fieldValue(x.AsOf), want.AsOf)
			check("report_date", fieldValue(x.ReportDate), want.ReportDate)
			check("opinion", fieldValue(x.Opinion), want.Opinion)
			if cats := values(x.Categories); !slices.Equal(sorted(cats), sorted(want.Categories)) {
				t.Errorf("categories = %v, want %v", cats, want.Categories)
			}
			var count *int
			if got.Kind == KindSOC2Type2 || got.Kind == KindSOC1 {
				n := len(x.Exceptions)
				count = &n
			}
			if (count == nil) != (want.ExceptionCount == nil) || count != nil && *count != *want.ExceptionCount {
				t.Errorf("exceptions count = %v, want %v", deref(count), deref(want.ExceptionCount))
			}
			// Fields outside the accuracy target are compared when labelled.
			if want.Subservice != nil && len(want.Subservice) != len(x.Subservice) {
				t.Errorf("subservice organizations = %+v, want %v", x.Subservice, want.Subservice)
			}
			if want.CUECCount != nil && *want.CUECCount != len(x.CUECs) {
				t.Errorf("CUECs = %d, want %d", len(x.CUECs), *want.CUECCount)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
