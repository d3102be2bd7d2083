package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// useTestOpener points the users command at SQLite and restores Open after
// the test.
func useTestOpener(t *testing.T) {
	old := Open
	Open = func(ctx context.Context, c config.Config) (*Env, error) {
		st, err := sqlite.Open(ctx, c.DataDir, sqlite.Options{Synchronous: "NORMAL"})
		if err != nil {
			return nil, err
		}
		lg, err := ledger.Open(ctx, st, ledger.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			st.Close()
			return nil, err
		}
		return &Env{Records: st, Log: lg, Close: func() error { lg.Close(); return st.Close() }}, nil
	}
	t.Cleanup(func() { Open = old })
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := CLI(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

var shownPassword = regexp.MustCompile(`\n    ([A-Z2-7]{26})\n`)

func TestUsersCLI(t *testing.T) {
	useTestOpener(t)
	dir := t.TempDir()
	out, _, err := runCLI(t, "create", "--data", dir, "--role", "admin", "--name", "root")
	if err != nil {
		t.Fatal(err)
	}
	m := shownPassword.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "shown only once") {
		t.Fatalf("create printed no password:\n%s", out)
	}
	// The password works.
	env, _ := Open(context.Background(), config.Config{DataDir: dir})
	u, err := newUsers(env.Records, env.Log, nil).get(context.Background(), "root")
	env.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := checkPassword(u.Hash, m[1]); !ok || u.Tenant != "default" || u.CreatedBy != "cli:local" {
		t.Fatalf("stored user %+v does not match the printed password", u)
	}

	if _, _, err := runCLI(t, "create", "--data", dir, "--role", "admin", "--name", "root"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, _, err := runCLI(t, "create", "--data", dir, "--role", "consumer", "--name", "gw"); err == nil || !strings.Contains(err.Error(), "cannot use the console") {
		t.Fatalf("consumer: %v", err)
	}
	if _, _, err := runCLI(t, "create", "--data", dir, "--name", "x"); err == nil || !strings.Contains(err.Error(), "--role are required") {
		t.Fatalf("missing role: %v", err)
	}
	if _, _, err := runCLI(t, "create", "--data", dir, "--role", "auditor", "--name", "sso-only", "--no-password", "--oidc"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "role", "sso-only", "engineer", "--data", dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "disable", "--data", dir, "root"); err == nil || !strings.Contains(err.Error(), "no enabled admin") {
		t.Fatalf("disabling the last admin: %v", err)
	}
	out, _, err = runCLI(t, "password", "--data", dir, "sso-only")
	if err != nil || !shownPassword.MatchString(out) {
		t.Fatalf("password reset: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, "sso", "--data", dir, "sso-only", "maybe"); err == nil {
		t.Fatal("sso accepted maybe")
	}
	if _, _, err := runCLI(t, "role", "--data", dir, "nobody", "auditor"); err == nil || !strings.Contains(err.Error(), "attest users list") {
		t.Fatalf("unknown user: %v", err)
	}
	out, _, err = runCLI(t, "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"root", "admin", "password", "sso-only", "engineer", "password+sso", "never"} {
		if !strings.Contains(out, want) {
			t.Fatalf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "argon2id") {
		t.Fatal("list printed a password hash")
	}

	// Every change is evidence.
	env, _ = Open(context.Background(), config.Config{DataDir: dir})
	defer env.Close()
	st := env.Records.(ledger.Store)
	for typ, want := range map[string]int{EventUserCreated: 2, EventUserUpdated: 1, EventPasswordChanged: 1} {
		es, err := st.QueryLedger(context.Background(), ledger.Query{Type: typ, Limit: 10})
		if err != nil || len(es) != want {
			t.Errorf("%s: %d events, want %d (%v)", typ, len(es), want, err)
		}
	}
}

func TestUsersCLIUsage(t *testing.T) {
	out, _, err := runCLI(t, "-h")
	if err != nil || !strings.Contains(out, "attest users") {
		t.Fatalf("-h: %v %s", err, out)
	}
	if out, errs, err := runCLI(t); !errors.Is(err, cmdline.ErrUsage) || out != "" || !strings.Contains(errs, "attest users") {
		t.Fatalf("no subcommand: %v; stdout %q", err, out)
	}
	if _, _, err := runCLI(t, "frobnicate"); !errors.Is(err, cmdline.ErrUsage) || !strings.Contains(err.Error(), "attest users -h") {
		t.Fatalf("unknown subcommand: %v", err)
	}
	for _, args := range [][]string{{"role", "alice"}, {"create", "--name", "x"}, {"list", "--nope"}} {
		if _, _, err := runCLI(t, args...); !errors.Is(err, cmdline.ErrUsage) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
	old := Open
	Open = nil
	defer func() { Open = old }()
	if _, _, err := runCLI(t, "list", "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "without store access") {
		t.Fatalf("no opener: %v", err)
	}
}
