package controls_test

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// openWithUsers opens the installation as cmd/attest does, console users
// included.
func openWithUsers(ctx context.Context, c config.Config) (*controls.Env, error) {
	env, err := openSQLite(ctx, c)
	if err != nil {
		return nil, err
	}
	env.Users = console.NewDirectory(env.Keys.(*sqlite.Store), env.Log)
	return env, nil
}

// TestCLIReviewUsers reviews a console user from the command line: the
// campaign lists them and completing it disables them.
func TestCLIReviewUsers(t *testing.T) {
	ctx, data := context.Background(), t.TempDir()
	env, err := openWithUsers(ctx, config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	old := console.Open
	console.Open = func(context.Context, config.Config) (*console.Env, error) {
		return &console.Env{Records: env.Keys.(*sqlite.Store), Log: env.Log}, nil
	}
	for _, u := range [][]string{{"root", "admin"}, {"dana", "engineer"}} {
		if err := console.CLI(ctx, []string{"create", "--name", u[0], "--role", u[1], "--tenant", "acme"}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	console.Open = old
	env.Close()

	review := func(args ...string) string {
		t.Helper()
		controls.Open = openWithUsers
		var out bytes.Buffer
		if err := controls.CLI(ctx, append(append([]string{"review"}, args...), "--data", data), &out, &out); err != nil {
			t.Fatalf("attest controls review %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	out := review("start")
	id := regexp.MustCompile(`ar-\d{8}-[0-9a-f]{8}`).FindString(out)
	if !regexp.MustCompile(`user:dana\s+acme\s+dana\s+engineer\s+password\s+-`).MatchString(out) || !strings.Contains(out, "user:root") {
		t.Fatalf("review start:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.Contains(f[0], ":") || f[0] == "ITEM" {
			continue
		}
		d := "keep"
		if f[0] == "user:dana" {
			d = "revoke"
		}
		review("decide", id, f[0], d)
	}
	if out := review("complete", id); !strings.Contains(out, ": 1 revoked") {
		t.Fatalf("review complete:\n%s", out)
	}

	env, err = openWithUsers(ctx, config.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	us, err := env.Users.ReviewUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(us, func(u access.ReviewUser) bool { return u.Name == "dana" })
	if i < 0 || !us[i].Disabled || slices.ContainsFunc(us, func(u access.ReviewUser) bool { return u.Name == "root" && u.Disabled }) {
		t.Fatalf("users after the review: %+v", us)
	}
}
