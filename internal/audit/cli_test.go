package audit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

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

func TestCLIExportAndVerify(t *testing.T) {
	controls.Open = openSQLite
	ctx := context.Background()
	data := t.TempDir()
	env, err := openSQLite(ctx, config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		e := ledger.MustEvent("inference.request", "acme", ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}, map[string]any{"key_id": "k", "retention": "zero"})
		if _, err := env.Log.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	env.Close()
	var out, errb bytes.Buffer
	if err := controls.CLI(ctx, []string{"evaluate", "--data", data}, &out, &errb); err != nil {
		t.Fatalf("evaluate: %v %s", err, errb.String())
	}
	today := time.Now().UTC().Format("2006-01-02")
	pkg := filepath.Join(t.TempDir(), "q1")
	out.Reset()
	err = audit.CLI(ctx, []string{"export", "--from", today, "--to", today, "--seed", "s33d", "--out", pkg, "--data", data}, &out, &errb)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "attest audit verify") {
		t.Fatalf("export output:\n%s", out.String())
	}
	key, err := os.ReadFile(filepath.Join(pkg, "key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pkg, pkg + ".zip"} {
		out.Reset()
		if err := audit.CLI(ctx, []string{"verify", p, "--key", strings.TrimSpace(string(key))}, &out, &errb); err != nil {
			t.Fatalf("verify %s: %v", p, err)
		}
		if !strings.HasPrefix(out.String(), "ok: package") {
			t.Fatalf("verify output:\n%s", out.String())
		}
	}
	// A mistyped key is named as the problem, not the package.
	if err := audit.CLI(ctx, []string{"verify", pkg, "--key", "bogus"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--key") || strings.Contains(err.Error(), "do not rely on it") {
		t.Fatalf("verify with a malformed key: %v", err)
	}
	os.WriteFile(filepath.Join(pkg, "controls", "matrix.csv"), []byte("control,status\nAI-SEC-03,pass\n"), 0o644)
	err = audit.CLI(ctx, []string{"verify", pkg}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "controls/matrix.csv") || !strings.Contains(err.Error(), "do not rely on it") {
		t.Fatalf("verify of a modified package: %v", err)
	}
	osc := t.TempDir()
	out.Reset()
	if err := audit.CLI(ctx, []string{"oscal", "--out", osc, "--data", data}, &out, &errb); err != nil {
		t.Fatalf("oscal: %v %s", err, errb.String())
	}
	for _, f := range []string{"catalog.json", "assessment-results.json", "poam.json"} {
		if err := audit.ValidateOSCALFile(t, filepath.Join(osc, f)); err != nil {
			t.Errorf("oscal/%s: %v", f, err)
		}
	}
}

func TestCLIUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := audit.CLI(context.Background(), []string{"-h"}, &out, &errb); err != nil || !strings.Contains(out.String(), "usage: attest audit") {
		t.Fatalf("help: %v", err)
	}
	out.Reset()
	if err := audit.CLI(context.Background(), nil, &out, &errb); !errors.Is(err, cmdline.ErrUsage) || out.Len() != 0 || !strings.Contains(errb.String(), "usage: attest audit") {
		t.Fatalf("no command: %v; stdout %q", err, out.String())
	}
	// Called wrongly, every command gives a usage error, which the command
	// line turns into exit code 2.
	for _, args := range [][]string{{"export"}, {"export", "--from", "2026-01-01", "--to", "x", "--seed", "s", "--out", "o"}, {"verify"},
		{"verify", "pkg", "--key", "bogus"}, {"verify", "--nokey"}, {"oscal"}, {"nope"}} {
		if err := audit.CLI(context.Background(), args, &out, &errb); !errors.Is(err, cmdline.ErrUsage) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
}
