package vendor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/cmdline"
)

func runCLI(t *testing.T, env CLIEnv, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := env.CLI(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCLIReviewOffline(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"soc2-type2-ai-in-scope.txt", "bridge-letter.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "fixtures", n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, n), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "notes.docx"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(dir, "packet.pdf"), buildPDF([]string{"Data Processing Addendum\nProcessor will not use Customer Data to train models."}, genOptions{Compress: true}), 0o644)

	out, _, err := runCLI(t, CLIEnv{}, "review", "--format", "json", "--as-of", "2025-11-21", "--pdftotext", "-", dir)
	if err != nil {
		t.Fatal(err)
	}
	var r Review
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if len(r.Documents) != 3 || r.Verdict != VerdictFastTrack || r.AsOf != "2025-11-21" {
		t.Errorf("review: %d documents, verdict %s, as of %s", len(r.Documents), r.Verdict, r.AsOf)
	}

	text, _, err := runCLI(t, CLIEnv{}, "review", "--as-of", "2025-11-21", "--vendor", "Nimbus", filepath.Join(dir, "soc2-type2-ai-in-scope.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Vendor review: Nimbus", "Verdict: ESCALATE", "Ten-minute check", "bridge_missing", "AICPA", "Contract clauses"} {
		if want == "bridge_missing" {
			want = "No bridge letter for the gap"
		}
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}

	html := filepath.Join(dir, "out", "report.html")
	os.Mkdir(filepath.Dir(html), 0o755)
	_, stderr, err := runCLI(t, CLIEnv{}, "review", "--format", "html", "--out", html, dir)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(html)
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || !strings.Contains(stderr, "wrote") {
		t.Errorf("html file %d bytes, stderr %q", len(page), stderr)
	}
}

func TestCLIErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"review"}, "name the files"},
		{[]string{"review", "--format", "pdf", "x"}, "--format"},
		{[]string{"review", "--as-of", "31/12/2025", "x"}, "--as-of"},
		{[]string{"review", "--max-size", "lots", "x"}, "--max-size"},
		{[]string{"review", "does-not-exist.pdf"}, "does-not-exist.pdf"},
		{[]string{"list"}, "registry"},
		{[]string{"calendar"}, "registry"},
		{[]string{"providers", "openai"}, "registry"},
		{[]string{"add", "Acme"}, "registry"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, CLIEnv{}, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
	out, _, err := runCLI(t, CLIEnv{}, "-h")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "review FILES|DIR") {
		t.Errorf("-h: %v %q", err, out)
	}
	if _, _, err := runCLI(t, CLIEnv{}, "review", "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("review -h: %v", err)
	}
	if out, errs, err := runCLI(t, CLIEnv{}); !errors.Is(err, cmdline.ErrUsage) || out != "" || !strings.Contains(errs, "review FILES|DIR") {
		t.Errorf("no command: %v; stdout %q", err, out)
	}
}

func TestCLIWithRegistry(t *testing.T) {
	s, l := newTestService()
	env := CLIEnv{Service: s, Tenant: "acme", Actor: testActor}
	if out, _, err := runCLI(t, env, "add", "--provider", "openai,azure-openai", "--website", "https://openai.example", "OpenAI"); err != nil || !strings.Contains(out, "registered OpenAI") {
		t.Fatalf("add: %v %q", err, out)
	}
	fixture := filepath.Join("testdata", "fixtures", "soc2-type2-ai-in-scope.txt")
	_, stderr, err := runCLI(t, env, "review", "--vendor", "Nimbus", "--as-of", "2025-11-21", "--format", "json", fixture)
	if err != nil || !strings.Contains(stderr, "registered vendor Nimbus") {
		t.Fatalf("review: %v %q", err, stderr)
	}
	if len(l.ofType(EventReviewed)) != 1 {
		t.Fatal("the review was not recorded in the ledger")
	}
	out, _, err := runCLI(t, env, "list")
	if err != nil || !strings.Contains(out, "Nimbus") || !strings.Contains(out, "openai,azure-openai") || !strings.Contains(out, "2026-03-31") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, env, "calendar", "--as-of", "2025-12-10")
	if err != nil || !strings.Contains(out, "bridge letter due") || !strings.Contains(out, "no review") {
		t.Errorf("calendar: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, env, "providers", "--as-of", "2025-11-21", "openai")
	if err == nil || !strings.Contains(out, "FAIL  openai") {
		t.Errorf("providers: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, env, "calendar", "--alerts", "--as-of", "2025-12-10"); err != nil {
		t.Fatal(err)
	}
	if len(l.ofType(EventAlert)) == 0 {
		t.Error("calendar --alerts recorded no vendor.alert events")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"100MB": 100 << 20, "512k": 512 << 10, "1048576": 1 << 20, "2 GB": 2 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-5MB", "MB", "1.5MB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestProgressPrinter(t *testing.T) {
	var buf bytes.Buffer
	p := progressPrinter(&buf)
	p("small.pdf", 3, 5)
	if buf.Len() != 0 {
		t.Errorf("progress shown for a 5-page file: %q", buf.String())
	}
	p("report.pdf", 50, 100)
	if got := buf.String(); !strings.Contains(got, "report.pdf [###############...............] 50/100 pages") {
		t.Errorf("progress line = %q", got)
	}
	if isTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
}
