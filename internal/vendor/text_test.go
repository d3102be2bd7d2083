package vendor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestAssess(t *testing.T) {
	english := strings.Repeat("The service organization has designed controls that are tested by the auditor for the period. ", 6)
	german := strings.Repeat("Die Kontrollen der Gesellschaft sind nicht wirksam und wurden von dem Prüfer mit einer Stichprobe getestet. ", 6)
	shifted := strings.Repeat("Uif tfswjdf pshboj{bujpo ibt eftjhofe dpouspmt uibu bsf uftufe cz uif bvejups gps uif qfsjpe. ", 6)
	tests := []struct {
		name     string
		text     *Text
		lang     string
		garbled  bool
		needsOCR bool
	}{
		{"english", &Text{Pages: []string{english}}, "en", false, false},
		{"german", &Text{Pages: []string{german}}, "de", false, false},
		{"empty", &Text{Pages: []string{"", " \n "}}, "", false, true},
		{"scanned", &Text{Pages: []string{english, "", ""}, ScannedPages: 2}, "en", false, true},
		{"one scanned page of many", &Text{Pages: []string{english, english, english, ""}, ScannedPages: 1}, "en", false, false},
		{"replacement characters", &Text{Pages: []string{strings.Repeat("\ufffd\ufffd abc ", 50)}}, "", true, true},
		{"symbols", &Text{Pages: []string{strings.Repeat("%$#@ !*&^ ", 50)}}, "", true, true},
		{"shifted cipher", &Text{Pages: []string{shifted}}, "", true, true},
		{"short label page", &Text{Pages: []string{"Prompts → Gateway → Model"}}, "", false, false},
	}
	for _, tt := range tests {
		q := assess(tt.text)
		if q.Language != tt.lang || q.Garbled != tt.garbled || q.NeedsOCR != tt.needsOCR {
			t.Errorf("%s: %+v, want language %q garbled %v needs OCR %v", tt.name, q, tt.lang, tt.garbled, tt.needsOCR)
		}
		if q.NeedsOCR && q.Reason == "" {
			t.Errorf("%s: no reason given", tt.name)
		}
	}
}

func TestReaderRead(t *testing.T) {
	ctx := context.Background()
	r := &Reader{MaxFileBytes: 1 << 10, PDFToText: "-"}
	if _, _, err := r.Read(ctx, "big.pdf", []byte("%PDF-1.7\n"), 200<<20); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "209715200 bytes") {
		t.Errorf("oversized: %v", err)
	}
	if _, _, err := r.Read(ctx, "x.docx", []byte("PK\x03\x04"), 0); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("docx: %v", err)
	}
	if _, _, err := r.Read(ctx, "x.txt", []byte{0xff, 0xfe, 'a'}, 0); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	text, _, err := r.Read(ctx, "notes.md", []byte("page one\fpage two\f"), 0)
	if err != nil || len(text.Pages) != 2 || text.Source != SourcePlain {
		t.Errorf("markdown: %v %+v", err, text)
	}
	pw, err := os.ReadFile("testdata/pdf/enc-user-password.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := (&Reader{PDFToText: "-"}).Read(ctx, "locked.pdf", pw, 0); !errors.Is(err, ErrPDFPassword) || !strings.Contains(err.Error(), "without an open password") {
		t.Errorf("password-protected: %v", err)
	}
}

// fakePDFToText writes a script that behaves like pdftotext: it prints
// out, or fails when out is empty.
func fakePDFToText(t *testing.T, out string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake pdftotext is a shell script")
	}
	path := filepath.Join(t.TempDir(), "pdftotext")
	script := "#!/bin/sh\nexit 1\n"
	if out != "" {
		script = "#!/bin/sh\nprintf '" + strings.NewReplacer("'", "", "%", "").Replace(out) + "'\n"
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPDFToTextFallback(t *testing.T) {
	ctx := context.Background()
	scanned := buildPDF([]string{"", ""}, genOptions{ScannedPages: []int{1, 2}})
	report := "SOC 2 Type 2 Report\nFor the period January 1, 2025 to December 31, 2025\\fIn our opinion, in all material respects, the controls operated effectively.\\f"

	r := &Reader{PDFToText: fakePDFToText(t, report)}
	text, q, err := r.Read(ctx, "scan.pdf", scanned, 0)
	if err != nil || text.Source != SourcePDFToText || len(text.Pages) != 2 || q.NeedsOCR {
		t.Fatalf("fallback on a scan: %v %+v %+v", err, text, q)
	}
	good := buildPDF([]string{strings.Repeat("The auditor tested the controls of the system for the period. ", 10)}, genOptions{})
	if text, _, err := r.Read(ctx, "good.pdf", good, 0); err != nil || text.Source != SourcePDF {
		t.Errorf("a readable PDF went to pdftotext: %v %+v", err, text)
	}
	corrupt := append([]byte("%PDF-1.7\n"), []byte("garbage without objects")...)
	if text, _, err := r.Read(ctx, "corrupt.pdf", corrupt, 0); err != nil || text.Source != SourcePDFToText {
		t.Errorf("corrupt PDF: %v %+v", err, text)
	}

	failing := &Reader{PDFToText: fakePDFToText(t, "")}
	text, q, err = failing.Read(ctx, "scan.pdf", scanned, 0)
	if err != nil || text.Source != SourcePDF || !q.NeedsOCR {
		t.Errorf("failing pdftotext: %v %+v %+v", err, text, q)
	}
	if _, _, err := failing.Read(ctx, "corrupt.pdf", corrupt, 0); !errors.Is(err, ErrPDFCorrupt) {
		t.Errorf("corrupt PDF without a working fallback: %v", err)
	}
	missing := &Reader{PDFToText: filepath.Join(t.TempDir(), "no-such-binary")}
	if _, q, err := missing.Read(ctx, "scan.pdf", scanned, 0); err != nil || !q.NeedsOCR {
		t.Errorf("missing pdftotext: %v %+v", err, q)
	}
}

func TestReadInput(t *testing.T) {
	data := strings.Repeat("a", 5000)
	in, err := ReadInput("a.txt", strings.NewReader(data), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Data) != 1001 || in.Size != 5000 || in.Digest != Digest([]byte(data)) {
		t.Errorf("input kept %d bytes of %d, digest %s", len(in.Data), in.Size, in.Digest)
	}
}

func TestRender(t *testing.T) {
	r := analyze(t, "2025-11-21", fixtureInputs(t, "soc2-type2-qualified-ai-carveout.txt", "pentest-summary.txt", "soc2-german.txt")...)
	r.Vendor = "Smith & Jones <Labs>"
	var html strings.Builder
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	page := html.String()
	for _, bad := range []string{"<script", " src=", " href=", "url(", "@import", "<Labs>"} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML report is not self-contained: contains %q", bad)
		}
	}
	for _, want := range []string{"ESCALATE", "Qualified opinion", "CC8.1", "Recommended response", "AI components", "Contract clauses", "Smith &amp; Jones &lt;Labs&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	var text strings.Builder
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Verdict: ESCALATE", "Brightwater CPAs, P.C.", "CC6.2 p5", "what to do:", "unsupported_language"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, text.String())
		}
	}
	if err := WriteText(failWriter{}, r); err == nil {
		t.Error("write errors are lost")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func FuzzAnalyzeText(f *testing.F) {
	for _, name := range []string{"soc2-type2-qualified-ai-carveout.txt", "bridge-letter.txt", "pentest-summary.txt", "soc3.txt"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("CC6.1  Exceptions\nnoted.\fNo\nexceptions noted.\f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := analyzeDocument(context.Background(), &Reader{PDFToText: "-"}, Input{Name: "fuzz.txt", Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == DocOK && res.Fields == nil {
			t.Fatal("ok document without fields")
		}
	})
}
