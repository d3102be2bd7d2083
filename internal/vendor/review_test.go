package vendor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func fixtureInputs(t testing.TB, names ...string) []Input {
	t.Helper()
	var out []Input
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", "fixtures", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Input{Name: n, Data: data})
	}
	return out
}

func date(s string) time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func analyze(t testing.TB, asOf string, inputs ...Input) *Review {
	t.Helper()
	r, err := Analyze(context.Background(), &Reader{PDFToText: "-"}, Policy{}, inputs, date(asOf), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func answers(r *Review) map[string]string {
	m := map[string]string{}
	for _, q := range r.Questions {
		m[q.ID] = q.Answer
	}
	return m
}

func flagCodes(r *Review) []string {
	var codes []string
	for _, f := range r.RedFlags {
		codes = append(codes, f.Code)
	}
	return codes
}

func TestAnalyzeFastTrack(t *testing.T) {
	r := analyze(t, "2025-11-21", fixtureInputs(t, "soc2-type2-ai-in-scope.txt", "bridge-letter.txt", "data-flow.md", "dpa.txt")...)
	want := map[string]string{
		QReportCurrent: AnswerYes, QBridgeCovers: AnswerYes, QAuditor: AnswerManual,
		QAIInScope: AnswerYes, QNoTraining: AnswerYes, QCategoriesDone: AnswerYes,
	}
	if got := answers(r); !mapsEqual(got, want) {
		t.Errorf("answers = %v, want %v", got, want)
	}
	if r.Verdict != VerdictFastTrack {
		t.Errorf("verdict %s with flags %v", r.Verdict, flagCodes(r))
	}
	if !slices.Equal(flagCodes(r), []string{FlagUntestedControls}) {
		t.Errorf("flags = %v, want only the untested control", flagCodes(r))
	}
	if r.Primary != 0 || r.Vendor != "Nimbus Inference, Inc." {
		t.Errorf("primary %d vendor %q", r.Primary, r.Vendor)
	}
	want3 := r.Questions[2]
	if !strings.Contains(want3.Detail, "Larkspur & Hale LLP") || want3.Lookup != AICPAPeerReviewURL {
		t.Errorf("auditor lookup = %q / %q", want3.Detail, want3.Lookup)
	}
	for _, q := range r.Questions {
		if q.ID != QAuditor && len(q.Evidence) == 0 {
			t.Errorf("question %s has no evidence", q.ID)
		}
		for _, c := range q.Evidence {
			if c.Document == "" || c.Page == 0 || c.Quote == "" {
				t.Errorf("question %s cites %+v without page or quote", q.ID, c)
			}
		}
	}
	c := r.Coverage
	if c.PeriodEnd != "2025-03-31" || c.StaleOn != "2026-03-31" || c.BridgeThrough != "2025-09-30" || c.BridgeDueOn != "2025-12-29" {
		t.Errorf("coverage = %+v", c)
	}
}

func TestAnalyzeEscalations(t *testing.T) {
	tests := []struct {
		name    string
		asOf    string
		files   []string
		answers map[string]string
		flags   []string
	}{
		{
			name: "stale report and expired bridge", asOf: "2026-07-01",
			files:   []string{"soc2-type2-ai-in-scope.txt", "bridge-letter.txt"},
			answers: map[string]string{QReportCurrent: AnswerNo, QBridgeCovers: AnswerNo},
			flags:   []string{FlagReportStale, FlagBridgeMissing},
		},
		{
			name: "no bridge letter", asOf: "2025-11-21",
			files:   []string{"soc2-type2-ai-in-scope.txt"},
			answers: map[string]string{QReportCurrent: AnswerYes, QBridgeCovers: AnswerNo},
			flags:   []string{FlagBridgeMissing},
		},
		{
			name: "qualified report, AI carved out, vague bridge", asOf: "2025-12-10",
			files:   []string{"soc2-type2-qualified-ai-carveout.txt", "bridge-letter-vague.txt"},
			answers: map[string]string{QBridgeCovers: AnswerNo, QAIInScope: AnswerNo, QNoTraining: AnswerNo, QCategoriesDone: AnswerNo},
			flags:   []string{FlagOpinionQualified, FlagAIOutOfScope, FlagExceptionCritical, FlagExceptionRepeated, FlagBridgeVague, FlagTrainingPermitted, FlagNoProcessingIntegrity},
		},
		{
			name: "report dated before its period ends", asOf: "2025-12-15",
			files: []string{"soc2-type2-inclusive.txt"},
			flags: []string{FlagReportDateEarly, FlagAIOutOfScope},
		},
		{
			name: "SOC 3 only", asOf: "2025-12-15",
			files:   []string{"soc3.txt"},
			answers: map[string]string{QCategoriesDone: AnswerNo, QAIInScope: AnswerUnknown},
			flags:   []string{FlagSOC3Only, FlagAINotMentioned, FlagBridgeMissing},
		},
		{
			name: "SOC 1 and no SOC 2", asOf: "2025-12-15",
			files:   []string{"soc1-type2.txt"},
			answers: map[string]string{QReportCurrent: AnswerNo, QAuditor: AnswerNo},
			flags:   []string{FlagNoSOCReport, FlagSOC1},
		},
		{
			name: "adverse and disclaimer", asOf: "2026-04-01",
			files: []string{"soc2-type2-adverse.txt", "soc2-type2-disclaimer.txt"},
			flags: []string{FlagOpinionAdverse, FlagOpinionDisclaimer, FlagExceptionCritical, FlagUntestedControls},
		},
		{
			name: "open pen-test finding", asOf: "2025-11-21",
			files: []string{"soc2-type2-ai-in-scope.txt", "bridge-letter.txt", "pentest-summary.txt"},
			flags: []string{FlagPenTestOpenFindings},
		},
		{
			name: "old pen test", asOf: "2026-09-01",
			files: []string{"pentest-summary.txt"},
			flags: []string{FlagPenTestStale, FlagNoSOCReport},
		},
		{
			name: "German report", asOf: "2025-11-21",
			files: []string{"soc2-german.txt"},
			flags: []string{FlagUnsupportedLanguage, FlagNoSOCReport},
		},
		{
			name: "policy index without model governance", asOf: "2025-11-21",
			files: []string{"policy-index.md"},
			flags: []string{FlagPolicyGaps},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyze(t, tt.asOf, fixtureInputs(t, tt.files...)...)
			if r.Verdict != VerdictEscalate {
				t.Errorf("verdict = %s, want escalate", r.Verdict)
			}
			got := answers(r)
			for q, a := range tt.answers {
				if got[q] != a {
					t.Errorf("answer %s = %s, want %s (%s)", q, got[q], a, detail(r, q))
				}
			}
			codes := flagCodes(r)
			for _, f := range tt.flags {
				if !slices.Contains(codes, f) {
					t.Errorf("flags %v lack %s", codes, f)
				}
			}
			for _, f := range r.RedFlags {
				if f.Response == "" || f.Title == "" || f.Severity == "" {
					t.Errorf("flag %s lacks title, severity or response", f.Code)
				}
			}
		})
	}
}

func detail(r *Review, id string) string {
	for _, q := range r.Questions {
		if q.ID == id {
			return q.Detail
		}
	}
	return ""
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAnalyzeBadInput(t *testing.T) {
	scanned := Input{Name: "scan.pdf", Data: buildPDF([]string{"", ""}, genOptions{ScannedPages: []int{1, 2}})}
	script := Input{Name: "script.pdf", Data: buildPDF([]string{"SOC 2 Type 2 Report\nFor the period January 1, 2025 to December 31, 2025"}, genOptions{JavaScript: true, EmbeddedFile: true})}
	good := buildPDF([]string{"hello"}, genOptions{})
	corrupt := Input{Name: "corrupt.pdf", Data: good[:40]}
	garbage := Input{Name: "garbage.bin", Data: []byte{0x89, 'P', 'N', 'G', 0, 1, 2}}
	big := Input{Name: "big.pdf", Data: []byte("%PDF-1.7\n"), Size: 200 << 20}
	r := analyze(t, "2025-11-21", scanned, script, corrupt, garbage, big)
	want := map[string]string{
		"scan.pdf": DocNeedsOCR, "script.pdf": DocOK, "corrupt.pdf": DocUnreadable,
		"garbage.bin": DocUnreadable, "big.pdf": DocUnreadable,
	}
	for _, d := range r.Documents {
		if d.Status != want[d.Name] {
			t.Errorf("%s: status %s (%s), want %s", d.Name, d.Status, d.Problem, want[d.Name])
		}
		if d.Status != DocOK && d.Problem == "" {
			t.Errorf("%s: no explanation for status %s", d.Name, d.Status)
		}
	}
	if !strings.Contains(r.Documents[4].Problem, "limit") {
		t.Errorf("oversized file problem = %q", r.Documents[4].Problem)
	}
	codes := flagCodes(r)
	for _, f := range []string{FlagNeedsOCR, FlagActiveContent, FlagUnreadable} {
		if !slices.Contains(codes, f) {
			t.Errorf("flags %v lack %s", codes, f)
		}
	}
	if r.Verdict != VerdictEscalate {
		t.Errorf("verdict = %s", r.Verdict)
	}
	if _, err := Analyze(context.Background(), &Reader{}, Policy{}, nil, time.Now(), nil); !errors.Is(err, ErrNoDocuments) {
		t.Errorf("empty packet: %v", err)
	}
}

func TestAnalyzeRepeatFromPriorReview(t *testing.T) {
	prior := Review{Documents: []DocumentResult{{
		Kind:   KindSOC2Type2,
		Fields: &Extraction{PeriodEnd: &Field{Value: "2024-12-31"}, Exceptions: []Exception{{ControlID: "CC8.1", Status: StatusException}}},
	}}}
	r, err := Analyze(context.Background(), &Reader{PDFToText: "-"}, Policy{}, fixtureInputs(t, "soc2-type2-qualified-ai-carveout.txt"), date("2025-09-01"), []Review{prior})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.RedFlags {
		if f.Code == FlagExceptionRepeated {
			if !strings.Contains(f.Detail, "CC8.1") || !strings.Contains(f.Detail, "CC6.2") {
				t.Errorf("repeat detail = %q, want CC6.2 (from the report) and CC8.1 (from the prior review)", f.Detail)
			}
			return
		}
	}
	t.Errorf("no repeated-exception flag in %v", flagCodes(r))
}

func TestClauses(t *testing.T) {
	flags := []RedFlag{{Code: FlagExceptionCritical}, {Code: FlagAIOutOfScope}}
	def := clauses(ClauseParams{}, "Acme", flags)
	byID := map[string]Clause{}
	for _, c := range def {
		byID[c.ID] = c
	}
	checks := []struct{ id, text string }{
		{"fresh_type2_report", "every 12 months, within 30 days"},
		{"notice_opinion_ai_scope", "within 10 business days"},
		{"exception_remediation", "within 90 days"},
		{"retention", "zero data retention"},
		{"notice_subprocessors", "large language models"},
		{"no_training", "Acme shall not use Customer's data"},
	}
	for _, c := range checks {
		if !strings.Contains(byID[c.id].Text, c.text) {
			t.Errorf("clause %s = %q, want %q in it", c.id, byID[c.id].Text, c.text)
		}
	}
	if !slices.Equal(byID["exception_remediation"].Because, []string{FlagExceptionCritical}) || len(byID["retention"].Because) != 0 {
		t.Errorf("because = %v / %v", byID["exception_remediation"].Because, byID["retention"].Because)
	}
	custom := clauses(ClauseParams{Customer: "Globex", RemediationDays: 45, RetentionDays: 7, NoticeBusinessDays: 5}, "", nil)
	text := ""
	for _, c := range custom {
		text += c.Text + "\n"
	}
	for _, want := range []string{"within 45 days", "no later than 7 days", "within 5 business days", "Globex", "Vendor shall"} {
		if !strings.Contains(text, want) {
			t.Errorf("custom clauses lack %q:\n%s", want, text)
		}
	}
}

func TestPolicyDefaults(t *testing.T) {
	p := Policy{MaxReportAgeMonths: 6}.withDefaults()
	if p.MaxReportAgeMonths != 6 || p.BridgeGraceDays != 90 || p.AlertDays != 30 || len(p.RequiredCategories) != 3 || p.Clauses.DeliveryDays != 30 {
		t.Errorf("defaults = %+v", p)
	}
	r, err := Analyze(context.Background(), &Reader{PDFToText: "-"}, Policy{RequiredCategories: []string{CategorySecurity}}, fixtureInputs(t, "soc3.txt"), date("2025-12-15"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := answers(r)[QCategoriesDone]; got != AnswerYes {
		t.Errorf("with only Security required, categories answer = %s", got)
	}
}
