package controls_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// openSQLite is the Opener the CLI tests use: the embedded store in the
// configured data directory, as cmd/attest wires it.
func openSQLite(ctx context.Context, c config.Config) (*controls.Env, error) {
	st, err := sqlite.Open(ctx, c.DataDir, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, err
	}
	kp, err := ledger.LoadOrCreateKey(c.DataDir, "cli.test/attest")
	if err != nil {
		st.Close()
		return nil, err
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		st.Close()
		return nil, err
	}
	signer := ledger.NewSigner(l, kp.Signer)
	return &controls.Env{Ledger: st, Log: l, Publish: signer.Publish, VerifierKey: kp.VerifierKey, Store: st, Keys: st, Reviews: st,
		Access: access.NewService(st, l), Close: func() error { l.Close(); return st.Close() }}, nil
}

func run(t *testing.T, data string, args ...string) (string, error) {
	t.Helper()
	controls.Open = openSQLite
	var out, errb bytes.Buffer
	err := controls.CLI(context.Background(), append(args, "--data", data), &out, &errb)
	return out.String() + errb.String(), err
}

func mustRun(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, err := run(t, data, args...)
	if err != nil {
		t.Fatalf("attest controls %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestCLI(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	env, err := openSQLite(ctx, config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{ID: "local", Kind: "cli", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	if _, _, err := env.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer}); err != nil {
		t.Fatal(err)
	}
	env.Close()

	if out := mustRun(t, data, "list"); !strings.Contains(out, "AI-SEC-03") || !strings.Contains(out, "not evaluated") {
		t.Fatalf("list before evaluation:\n%s", out)
	}
	out := mustRun(t, data, "evaluate")
	if !regexp.MustCompile(`evaluated \d+ controls.*\d+ without evidence, \d+ not applicable`).MatchString(out) || !strings.Contains(out, "AI-SEC-03") {
		t.Fatalf("evaluate:\n%s", out)
	}
	if out := mustRun(t, data, "show", "AI-SEC-03"); !strings.Contains(out, `"status": "fail"`) || !strings.Contains(out, "keys_have_limits") {
		t.Fatalf("show:\n%s", out)
	}
	if out := mustRun(t, data, "checks"); !strings.Contains(out, "zero_retention_no_bodies") {
		t.Fatalf("checks:\n%s", out)
	}
	evidence := filepath.Join(t.TempDir(), "roster-2026.pdf")
	os.WriteFile(evidence, []byte("%PDF roster"), 0o644)
	if out := mustRun(t, data, "attest", "ORG-01", "--file", evidence); !strings.Contains(out, "control.attested") {
		t.Fatalf("attest:\n%s", out)
	}
	if out := mustRun(t, data, "scope", "add", "--name", "crm", "--kind", "database", "--stage", "storage"); !strings.Contains(out, "database:crm") {
		t.Fatalf("scope add:\n%s", out)
	}
	if out := mustRun(t, data, "scope"); !strings.Contains(out, "| crm | database | user | **none: scoping gap** |") {
		t.Fatalf("scope:\n%s", out)
	}
	mustRun(t, data, "evaluate")
	if out := mustRun(t, data, "readiness"); !strings.Contains(out, "Gap assessment") || !strings.Contains(out, "not applicable") ||
		!strings.Contains(out, "components without controls: database:crm") {
		t.Fatalf("readiness:\n%s", out)
	}
	if out := mustRun(t, data, "history", "--control", "AI-SEC-03"); !strings.Contains(out, "failing") {
		t.Fatalf("history:\n%s", out)
	}
	checkHistoryColumns(t, mustRun(t, data, "history"))
	if out := mustRun(t, data, "poam"); !strings.Contains(out, "POAM-AI-SEC-03") {
		t.Fatalf("poam:\n%s", out)
	}

	// An access review over every key and role, with one revocation.
	out = mustRun(t, data, "review", "start")
	id := regexp.MustCompile(`ar-\d{8}-[0-9a-f]{8}`).FindString(out)
	keyItem := regexp.MustCompile(`key:[a-z0-9]{16}`).FindString(out)
	if id == "" || keyItem == "" || !strings.Contains(out, "role:consumer") {
		t.Fatalf("review start:\n%s", out)
	}
	if _, err := run(t, data, "review", "complete", id); err == nil {
		t.Fatal("completing with undecided items must fail")
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.Contains(f[0], ":") || f[0] == "ITEM" {
			continue
		}
		d := "keep"
		if f[0] == keyItem {
			d = "revoke"
		}
		mustRun(t, data, "review", "decide", id, f[0], d, "--note", "checked")
	}
	if out := mustRun(t, data, "review", "complete", id); !strings.Contains(out, ": 1 revoked") {
		t.Fatalf("review complete:\n%s", out)
	}
	if out := mustRun(t, data, "review", "list"); !strings.Contains(out, id) {
		t.Fatalf("review list:\n%s", out)
	}
	if out := mustRun(t, data, "evaluate"); strings.Contains(out, "access_review_recent") {
		t.Fatalf("the completed review must satisfy the access review check:\n%s", out)
	}
}

// checkHistoryColumns checks that the controls table of 'history' stays
// aligned whatever its exceptions hold: every row's last number starts
// under EXCEPTIONS.
func checkHistoryColumns(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	head := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "CONTROL ") })
	if head < 0 || !strings.Contains(out, "KIND") {
		t.Fatalf("history without its tables:\n%s", out)
	}
	col := strings.Index(lines[head], "EXCEPTIONS")
	for _, l := range lines[head+1:] {
		if l == "" {
			break
		}
		if strings.LastIndex(l, " ")+1 != col {
			t.Fatalf("history columns misaligned at %q:\n%s", l, out)
		}
	}
}

func TestCLIErrors(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args  []string
		want  string
		usage bool // called wrongly: the command line exits 2
	}{
		{[]string{"nope"}, "unknown command", true},
		{[]string{"show"}, "name one control", true},
		{[]string{"show", "NOPE-1"}, "no control", false},
		{[]string{"history", "--from", "yesterday"}, "not a date", true},
		{[]string{"history", "--frm", "2026-01-01"}, "flag provided but not defined", true},
		{[]string{"attest", "ORG-01"}, "--file", true},
		{[]string{"scope", "add", "--name", "x", "--kind", "db", "--stage", "moon"}, "stage", false},
		{[]string{"review", "show", "ar-none"}, "review list", false},
		{[]string{"review", "frobnicate"}, "unknown review command", true},
	} {
		out, err := run(t, data, c.args...)
		if err == nil || !strings.Contains(err.Error()+out, c.want) {
			t.Errorf("%v: %v\n%s", c.args, err, out)
		}
		if errors.Is(err, cmdline.ErrUsage) != c.usage {
			t.Errorf("%v: usage error %v, want %v: %v", c.args, errors.Is(err, cmdline.ErrUsage), c.usage, err)
		}
	}
	for _, args := range [][]string{nil, {"review"}} {
		var out, errb bytes.Buffer
		err := controls.CLI(context.Background(), args, &out, &errb)
		if !errors.Is(err, cmdline.ErrUsage) || out.Len() != 0 || !strings.Contains(errb.String(), "usage: attest controls") {
			t.Errorf("%v without a command: %v; stdout %q; stderr %q", args, err, out.String(), errb.String())
		}
	}
	var out bytes.Buffer
	if err := controls.CLI(context.Background(), []string{"-h"}, &out, &out); err != nil || !strings.Contains(out.String(), "usage: attest controls") {
		t.Fatalf("help: %v %s", err, out.String())
	}
}
