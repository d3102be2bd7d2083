package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndErrors(t *testing.T) {
	// A missing command is a usage error; asking for help is not.
	if code, out, errs := run(t); code != 2 || out != "" || !strings.Contains(errs, "ledger") {
		t.Fatalf("no command: %d %q %s", code, out, errs)
	}
	for _, h := range []string{"-h", "--help", "help"} {
		if code, out, _ := run(t, h); code != 0 || !strings.Contains(out, "ledger") {
			t.Fatalf("%s: %d %s", h, code, out)
		}
	}
	for _, group := range []string{"keys", "guard", "controls", "audit", "users", "vendor", "model"} {
		if code, out, errs := run(t, group); code != 2 || out != "" || !strings.Contains(strings.ToLower(errs), "usage: attest "+group) {
			t.Errorf("%s without a subcommand: %d %q %s", group, code, out, errs)
		}
		if code, out, _ := run(t, group, "-h"); code != 0 || !strings.Contains(strings.ToLower(out), "usage: attest "+group) {
			t.Errorf("%s -h: %d %s", group, code, out)
		}
	}
	// A subcommand's -h shows its own flags, not the group's.
	if code, _, errs := run(t, "guard", "scan", "-h"); code != 0 || !strings.Contains(errs, "attest guard scan") || !strings.Contains(errs, "-redact") || strings.Contains(errs, "eval") {
		t.Fatalf("guard scan -h: %d %s", code, errs)
	}
	// Usage errors of the command groups exit 2, as elsewhere.
	for _, args := range [][]string{{"audit", "nope"}, {"audit", "export"}, {"controls", "show"}, {"guard", "scan", "-format", "xml"}, {"users", "role", "x"}} {
		if code, _, errs := run(t, args...); code != 2 || strings.Contains(errs, ": usage") {
			t.Errorf("%v: %d %s", args, code, errs)
		}
	}
	// --addr and --demo belong to serve alone.
	if code, _, errs := run(t, "serve", "-h"); code != 0 || !strings.Contains(errs, "-addr") || !strings.Contains(errs, "-demo") {
		t.Fatalf("serve -h: %d %s", code, errs)
	}
	for _, args := range [][]string{{"keys", "list", "-h"}, {"controls", "list", "-h"}, {"audit", "export", "-h"}, {"users", "list", "-h"}, {"vault", "rotate", "-h"}} {
		if code, _, errs := run(t, args...); code != 0 || !strings.Contains(errs, "-data") || strings.Contains(errs, "-addr") || strings.Contains(errs, "-demo") {
			t.Errorf("%v: %d %s", args, code, errs)
		}
	}
	if code, _, errs := run(t, "keys", "list", "--addr", "127.0.0.1:1"); code != 2 || !strings.Contains(errs, "not defined: -addr") {
		t.Fatalf("keys list --addr: %d %s", code, errs)
	}
	if code, _, errs := run(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, errs)
	}
	if code, _, errs := run(t, "ledger", "nope"); code != 2 || !strings.Contains(errs, "unknown subcommand") || !strings.Contains(errs, "attest ledger -h") {
		t.Fatalf("unknown subcommand: %d %s", code, errs)
	}
	missing := filepath.Join(t.TempDir(), "absent")
	if code, _, errs := run(t, "ledger", "verify", "--data", missing); code != 1 || !strings.Contains(errs, "attest serve") {
		t.Fatalf("verify without data: %d %s", code, errs)
	}
	if code, _, errs := run(t, "ledger", "verify", "--bundle", t.TempDir()); code != 1 || !strings.Contains(errs, "ledger export") {
		t.Fatalf("verify of a non-bundle: %d %s", code, errs)
	}
	if code, _, errs := run(t, "keys", "create", "--data", t.TempDir(), "--role", "wizard", "--name", "x"); code != 1 || !strings.Contains(errs, "unknown role") {
		t.Fatalf("bad role: %d %s", code, errs)
	}
	if code, _, errs := run(t, "serve", "--addr"); code != 2 || !strings.Contains(errs, "flag needs an argument") {
		t.Fatalf("bad flag: %d %s", code, errs)
	}
	if code, _, errs := run(t, "serve", "--addr", "nonsense", "--data", missing); code != 2 || !strings.Contains(errs, "host:port") {
		t.Fatalf("bad --addr: %d %s", code, errs)
	}
	if code, _, errs := run(t, "keys", "create", "--data", t.TempDir(), "--name", "x", "--ttl", "-5h"); code != 2 || !strings.Contains(errs, "positive duration") {
		t.Fatalf("negative ttl: %d %s", code, errs)
	}
	if code, _, errs := run(t, "ledger", "verify", "--bundle", t.TempDir(), "--key", "garbage"); code != 2 || !strings.Contains(errs, "--key") {
		t.Fatalf("malformed --key: %d %s", code, errs)
	}
	for _, args := range [][]string{{"keys", "revoke", "-h"}, {"keys", "rotate", "--help"}, {"subject", "erase", "-h"}} {
		if code, _, errs := run(t, args...); code != 0 || !strings.Contains(errs, "-data") {
			t.Fatalf("%v: %d %s", args, code, errs)
		}
	}
	// A command other than serve must not start a new instance in a
	// mistyped data directory and act on it.
	for _, args := range [][]string{{"subject", "erase", "customer-1"}, {"keys", "create", "--name", "x"}, {"retention", "run"}, {"ledger", "key"}, {"model", "list"}} {
		if code, _, errs := run(t, append(args, "--data", missing)...); code != 1 || !strings.Contains(errs, "no data directory") {
			t.Fatalf("%v in a missing data directory: %d %s", args, code, errs)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%v created the missing data directory", args)
		}
	}
}

var tokenRE = regexp.MustCompile(`atk_[A-Za-z0-9_-]+`)

func TestLedgerAndKeysCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := run(t, "keys", "create", "--data", dir, "--role", "engineer", "--name", "pipeline", "--tenant", "acme", "--rpm", "60")
	if code != 0 || !tokenRE.MatchString(out) {
		t.Fatalf("keys create: %d %s %s", code, out, errs)
	}
	if code, out, errs = run(t, "keys", "create", "--data", dir, "--role", "approver", "--name", "dana-laptop", "--actor-kind", "human", "--owner", "dana"); code != 0 {
		t.Fatalf("keys create --owner: %d %s %s", code, out, errs)
	}
	if code, _, errs = run(t, "keys", "create", "--data", dir, "--role", "engineer", "--name", "ci", "--owner", "dana"); code != 1 || !strings.Contains(errs, "only a human key") {
		t.Fatalf("owner on a service key: %d %s", code, errs)
	}
	code, out, _ = run(t, "keys", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "pipeline") || strings.Contains(out, "atk_") || !regexp.MustCompile(`dana-laptop +approver +dana `).MatchString(out) {
		t.Fatalf("keys list must show keys and owners but never tokens: %s", out)
	}
	id := strings.Fields(strings.Split(out, "\n")[2])[0] // header, bootstrap admin, then ours
	if code, out, errs = run(t, "keys", "revoke", id, "--data", dir); code != 0 {
		t.Fatalf("revoke: %s %s", out, errs)
	}
	if code, out, _ = run(t, "keys", "list", "--data", dir); !strings.Contains(out, "revoked") {
		t.Fatalf("revoked key not shown as revoked: %s", out)
	}
	if code, _, errs = run(t, "ledger", "checkpoint", "--data", dir); code != 0 {
		t.Fatalf("checkpoint: %s", errs)
	}
	code, key, _ := run(t, "ledger", "key", "--data", dir)
	key = strings.TrimSpace(key)
	if code != 0 || len(strings.SplitN(key, "+", 3)) != 3 || strings.Contains(key, "PRIVATE") {
		t.Fatalf("ledger key: %q", key)
	}
	bundle := filepath.Join(t.TempDir(), "b")
	if code, out, errs = run(t, "ledger", "export", "--data", dir, "--out", bundle); code != 0 || !strings.Contains(out, "ledger verify --bundle") {
		t.Fatalf("export: %s %s", out, errs)
	}
	if code, _, errs = run(t, "ledger", "export", "--data", dir, "--out", bundle); code != 1 || !strings.Contains(errs, "not empty") {
		t.Fatalf("export into a non-empty dir: %d %s", code, errs)
	}
	if code, out, errs = run(t, "ledger", "verify", "--bundle", bundle, "--key", key); code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("verify bundle: %s %s", out, errs)
	}
	if code, out, _ = run(t, "ledger", "verify", "--data", dir); code != 0 {
		t.Fatalf("verify store: %s", out)
	}
	// Tamper with an exported entry bundle: the offline check names it.
	p := filepath.Join(bundle, "tile", "entries")
	ents, _ := os.ReadDir(p)
	f := filepath.Join(p, ents[0].Name())
	if ents[0].IsDir() {
		sub, _ := os.ReadDir(f)
		f = filepath.Join(f, sub[0].Name())
	}
	b, _ := os.ReadFile(f)
	b[len(b)-3] ^= 0x20
	os.WriteFile(f, b, 0o644)
	if code, _, errs = run(t, "ledger", "verify", "--bundle", bundle, "--key", key); code != 1 || !strings.Contains(errs, "index") {
		t.Fatalf("tampered bundle: %d %s", code, errs)
	}
}

func TestSubjectCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "subject", "hold", "bob", "--data", dir); code != 2 || !strings.Contains(errs, "--reason") {
		t.Fatalf("hold without a reason: %d %s", code, errs)
	}
	if code, _, errs := run(t, "subject", "hold", "bob", "--data", dir, "--reason", "matter-9"); code != 0 {
		t.Fatalf("hold: %s", errs)
	}
	if code, _, errs := run(t, "subject", "erase", "bob", "--data", dir); code != 1 || !strings.Contains(errs, "legal hold") {
		t.Fatalf("erase under hold: %d %s", code, errs)
	}
	run(t, "subject", "release", "bob", "--data", dir)
	code, out, errs := run(t, "subject", "erase", "bob", "--data", dir)
	if code != 0 || !strings.Contains(out, `"status": "completed"`) || strings.Contains(out, "bob") {
		t.Fatalf("erase: %s %s", out, errs)
	}
	if code, out, _ = run(t, "subject", "export", "bob", "--data", dir); code != 0 || !strings.Contains(out, `"events"`) {
		t.Fatalf("export: %s", out)
	}
	if code, out, _ = run(t, "retention", "run", "--data", dir); code != 0 || !strings.Contains(out, "retention run") {
		t.Fatalf("retention: %s", out)
	}
}

func TestVaultRotate(t *testing.T) {
	dir := t.TempDir()
	old := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	t.Setenv("ATTEST_MASTER_KEY", old)
	if code, _, errs := run(t, "subject", "hold", "x", "--data", dir, "--reason", "r"); code != 0 {
		t.Fatal(errs)
	}
	t.Setenv("ATTEST_MASTER_KEY", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=,"+old)
	code, out, errs := run(t, "vault", "rotate", "--data", dir)
	if code != 0 || !strings.Contains(out, "re-wrapped") || !strings.Contains(out, "keep the older key in ATTEST_MASTER_KEY") {
		t.Fatalf("rotate: %d %s %s", code, out, errs)
	}
	// Only the new key is needed from now on.
	t.Setenv("ATTEST_MASTER_KEY", "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
	if code, _, errs := run(t, "subject", "export", "x", "--data", dir); code != 0 {
		t.Fatalf("after rotation the new key alone must open the vault: %s", errs)
	}
	// With one key there is no old key to keep; the message says how to
	// rotate instead.
	if code, out, errs := run(t, "vault", "rotate", "--data", dir); code != 0 || !strings.Contains(out, "only one configured") || strings.Contains(out, "older key") {
		t.Fatalf("rotate with one key: %d %s %s", code, out, errs)
	}
}

func TestVendorSharedFlags(t *testing.T) {
	shared, rest := splitShared([]string{"list", "--data", "d", "--tenant=demo", "--format", "json", "-config", "c.yaml"}, vendorShared)
	if strings.Join(shared, " ") != "--data d --tenant=demo -config c.yaml" || strings.Join(rest, " ") != "list --format json" {
		t.Fatalf("split: %q %q", shared, rest)
	}
	dir := t.TempDir()
	if code, _, errs := run(t, "keys", "create", "--data", dir, "--name", "x"); code != 0 {
		t.Fatalf("keys create: %s", errs)
	}
	// --data and --tenant reach the registry, as with every other command.
	if code, out, errs := run(t, "vendor", "list", "--data", dir, "--tenant", "acme"); code != 0 || !strings.Contains(out, "no vendors yet") {
		t.Fatalf("vendor list --data --tenant: %d %s %s", code, out, errs)
	}
}

// TestControlsSeeConfiguredProviders checks that the controls commands
// evaluate over the same scope as the server: with the default
// configuration, whose only provider is the built-in demo model, there is
// no credential to rotate, so AI-SEC-05 is not applicable rather than
// failing for a credential that does not exist.
func TestControlsSeeConfiguredProviders(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := run(t, "keys", "create", "--data", data, "--name", "app"); code != 0 {
		t.Fatalf("keys create: %d %s", code, errs)
	}
	if code, _, errs := run(t, "controls", "evaluate", "--data", data); code != 0 {
		t.Fatalf("controls evaluate: %d %s", code, errs)
	}
	code, out, errs := run(t, "controls", "show", "AI-SEC-05", "--data", data)
	if code != 0 || !strings.Contains(out, `"status": "not_applicable"`) || !strings.Contains(out, "secretless (demo)") {
		t.Fatalf("AI-SEC-05 from the command line: %d\n%s%s", code, out, errs)
	}
}

// TestLedgerVerifyNeverCreatesAKey checks that verifying a store whose key
// is not at hand asks for --key instead of writing a new key, which the
// log would then fail against.
func TestLedgerVerifyNeverCreatesAKey(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := run(t, "keys", "create", "--data", data, "--name", "app"); code != 0 {
		t.Fatalf("keys create: %d %s", code, errs)
	}
	os.Remove(filepath.Join(data, "ledger.key"))
	code, _, errs := run(t, "ledger", "verify", "--data", data)
	if code != 2 || !strings.Contains(errs, "--key") {
		t.Fatalf("verify without a key: %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(data, "ledger.key")); err == nil {
		t.Fatal("verify wrote a new ledger key")
	}
}
