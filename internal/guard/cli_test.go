package guard

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/cmdline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := CLI(context.Background(), args, &out, &errOut)
	return out.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestCLIScan(t *testing.T) {
	in := filepath.Join("testdata", "scan_input.txt")
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"scan_table.golden", []string{"scan", in}},
		{"scan_json.golden", []string{"scan", "-format", "json", in}},
		{"scan_redact.golden", []string{"scan", "--redact", in}},
		{"scan_types.golden", []string{"scan", "-types", "email,credit_card", in}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			out, err := runCLI(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, out)
		})
	}
}

func TestCLIEval(t *testing.T) {
	out, err := runCLI(t, "eval", "-dataset", filepath.Join("testdata", "presidio_small.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "eval_pii.golden", out)
	out, err = runCLI(t, "eval", "--dataset", filepath.Join("testdata", "injection_small.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "eval_injection.golden", out)
}

func TestCLIErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"eval"},
		{"eval", "-dataset", "testdata/does-not-exist.json"},
		{"eval", "-dataset", filepath.Join("testdata", "scan_input.txt")},
		{"scan", "-format", "xml", filepath.Join("testdata", "scan_input.txt")},
		{"scan", "-types", "SHOE_SIZE", filepath.Join("testdata", "scan_input.txt")},
		{"scan", "a", "b"},
	} {
		if _, err := runCLI(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	out, err := runCLI(t, "-h")
	if err != nil || !strings.Contains(out, "usage: attest guard") {
		t.Errorf("help: %v %q", err, out)
	}
	// Called wrongly, the command line exits 2.
	for _, args := range [][]string{nil, {"frobnicate"}, {"eval"}, {"scan", "-format", "xml"}, {"scan", "a", "b"}, {"scan", "-nope"}} {
		if _, err := runCLI(t, args...); !errors.Is(err, cmdline.ErrUsage) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
}

func TestCLICommandHelp(t *testing.T) {
	for cmd, want := range map[string]string{"scan": "-redact", "eval": "-dataset"} {
		var out, errb bytes.Buffer
		if err := CLI(context.Background(), []string{cmd, "-h"}, &out, &errb); err != nil {
			t.Fatalf("%s -h: %v", cmd, err)
		}
		help := errb.String()
		if !strings.HasPrefix(help, "usage: attest guard "+cmd) || !strings.Contains(help, want) || strings.Contains(help, "commands:") {
			t.Errorf("%s -h must show that command's flags, not the group's:\n%s", cmd, help)
		}
	}
}
