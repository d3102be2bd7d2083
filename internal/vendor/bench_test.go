package vendor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// socReportPDF generates an n-page SOC 2 Type 2 report as a compressed
// PDF: title, auditor's report, a system description, then test tables
// of about forty rows a page, with one exception every 25 pages.
func socReportPDF(n int) []byte {
	pages := []string{
		"Benchmark Analytics, Inc.\nSOC 2 Type 2 Report\nRelevant to Security, Availability, Confidentiality and Processing Integrity\nFor the period January 1, 2025 to December 31, 2025",
		"Independent Service Auditor's Report\n\nWe have examined Benchmark Analytics, Inc.'s description of its platform throughout the period January 1, 2025 to\nDecember 31, 2025, and the suitability of the design and operating effectiveness of the controls.\n\nOpinion\nIn our opinion, in all material respects, the controls operated effectively throughout the period.\n\nQuarry & Lane LLP\nPortland, Oregon\nFebruary 20, 2026",
	}
	var desc strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&desc, "The platform serves model inference through an API; component %d is inside the system boundary.\n", i)
	}
	for len(pages) < n/5 {
		pages = append(pages, "Description of the System\n"+desc.String())
	}
	control := 0
	for len(pages) < n {
		var b strings.Builder
		b.WriteString("Description of Tests of Controls and Results\n")
		for row := 0; row < 40; row++ {
			control++
			result := "No exceptions noted."
			if row == 0 && len(pages)%25 == 0 {
				result = "Exception noted: 1 of 25 samples failed."
			}
			fmt.Fprintf(&b, "CC%d.%d\tControl activity %d is performed.\tInspected a sample of 25.\t%s\n", control%9+1, control%50+1, control, result)
		}
		pages = append(pages, b.String())
	}
	return buildPDF(pages, genOptions{Compress: true})
}

func TestGeneratedHundredPageReport(t *testing.T) {
	data := socReportPDF(100)
	r, err := Analyze(context.Background(), &Reader{PDFToText: "-"}, Policy{}, []Input{{Name: "bench.pdf", Data: data}}, date("2026-03-01"), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Documents[0]
	x := d.Fields
	if d.Pages != 100 || d.Kind != KindSOC2Type2 || fieldValue(x.PeriodEnd) != "2025-12-31" || fieldValue(x.ReportDate) != "2026-02-20" || fieldValue(x.Opinion) != OpinionUnqualified {
		t.Fatalf("pages %d kind %s end %s date %s opinion %s", d.Pages, d.Kind, fieldValue(x.PeriodEnd), fieldValue(x.ReportDate), fieldValue(x.Opinion))
	}
	if len(x.Exceptions) != 3 || x.TestResults < 3000 {
		t.Errorf("%d exceptions of %d results, want 3", len(x.Exceptions), x.TestResults)
	}
}

// BenchmarkReview100Pages measures a whole review of a 100-page report:
// PDF text extraction, classification, extraction, check and red flags.
func BenchmarkReview100Pages(b *testing.B) {
	data := socReportPDF(100)
	in := []Input{{Name: "report.pdf", Data: data}}
	asOf := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	r := &Reader{PDFToText: "-"}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(context.Background(), r, Policy{}, in, asOf, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractPDF100Pages measures text extraction alone.
func BenchmarkExtractPDF100Pages(b *testing.B) {
	data := socReportPDF(100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtractPDF(context.Background(), data, PDFOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
