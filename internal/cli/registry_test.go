package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// attest runs attest with the data directory and returns stdout, failing
// the test unless the exit code is want.
func attest(t *testing.T, data string, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--data", data)
	if code := Main(context.Background(), args, &out, &errb); code != want {
		t.Fatalf("attest %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestModelLifecycleCLI(t *testing.T) {
	t.Setenv("ATTEST_URL", "")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil { // as 'attest serve' leaves it
		t.Fatal(err)
	}
	key, pub := filepath.Join(dir, "signing.key"), filepath.Join(dir, "signing.pub")
	model := filepath.Join(dir, "model")
	sig := filepath.Join(dir, "model.sig")
	write(t, filepath.Join(model, "weights.bin"), "weights")
	val := write(t, filepath.Join(dir, "val.jsonl"), `{"id":"1","input":"refund","expected":"billing"}
{"id":"2","input":"crash","expected":"bug"}
`)
	preds := write(t, filepath.Join(dir, "preds.jsonl"), `{"id":"1","expected":"billing","predicted":"billing"}
{"id":"2","expected":"bug","predicted":"bug"}
`)

	var out bytes.Buffer
	if code := Main(context.Background(), []string{"model", "keygen", "--out", key, "--pub", pub}, &out, &out); code != 0 {
		t.Fatalf("keygen: %s", out.String())
	}
	if code := Main(context.Background(), []string{"model", "sign", model, "--key", key, "--out", sig}, &out, &out); code != 0 {
		t.Fatalf("sign: %s", out.String())
	}
	attest(t, data, 0, "model", "register", "support", "--purpose", "route tickets", "--owner", "ml", "--risk", "limited", "--limitation", "English only")
	attest(t, data, 0, "model", "trust-key", pub, "--name", "release")
	attest(t, data, 0, "model", "version", "support@1", "--sig", sig)
	attest(t, data, 0, "eval", "register", "triage", "--model", "support", "--validation", val, "--metrics", "accuracy,f1_macro", "--min", "accuracy=0.5")
	o := attest(t, data, 0, "eval", "run", "triage", "--model", "support@1", "--validation", val, "--predictions", preds, "--key", key)
	if !strings.Contains(o, "gate PASSED") || !strings.Contains(o, "signed by") {
		t.Fatalf("eval run: %s", o)
	}

	// Self-approval is refused; another person's approval applies it.
	o = attest(t, data, 0, "model", "promote", "support@1", "--alias", "production", "--description", "first release", "--rollback-plan", "none yet", "--actor", "alice", "--json")
	var c struct{ ID string }
	if err := json.Unmarshal([]byte(o), &c); err != nil || c.ID == "" {
		t.Fatalf("promote: %s", o)
	}
	o = attest(t, data, 1, "change", "approve", c.ID, "--actor", "alice")
	if !strings.Contains(o, "requester of a change cannot approve") {
		t.Fatalf("self-approval: %s", o)
	}
	attest(t, data, 1, "change", "approve", c.ID, "--actor", "bot", "--actor-kind", "agent")
	attest(t, data, 0, "change", "approve", c.ID, "--actor", "bob")

	o = attest(t, data, 1, "model", "serve-check", "support", "--alias", "production")
	if !strings.Contains(o, "has not been verified at load") {
		t.Fatalf("serve-check before verification: %s", o)
	}
	attest(t, data, 0, "model", "verify", model, "--key", pub, "--sig", sig, "--record", "support@1")
	attest(t, data, 0, "model", "serve-check", "support", "--alias", "production")

	// A tampered file fails verification, named, and is recorded.
	write(t, filepath.Join(model, "weights.bin"), "tampered")
	o = attest(t, data, 1, "model", "verify", model, "--key", pub, "--sig", sig, "--record", "support@1")
	if !strings.Contains(o, "weights.bin") {
		t.Fatalf("tampered verify: %s", o)
	}
	o = attest(t, data, 1, "model", "serve-check", "support", "--alias", "production")
	if !strings.Contains(o, "failed verification at load") {
		t.Fatalf("serve-check after tampering: %s", o)
	}

	o = attest(t, data, 0, "model", "history", "support@1")
	for _, want := range []string{"CODE", "SIGNATURE", "EVALUATION", "APPROVAL", "DEPLOYMENT", "change.approved", "deploy.alias_moved", "proof ok"} {
		if !strings.Contains(o, want) {
			t.Errorf("history lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "PROOF FAILS") {
		t.Fatalf("history: %s", o)
	}
	o = attest(t, data, 1, "model", "rollback", "support", "--alias", "production")
	if !strings.Contains(o, "no earlier approved version") {
		t.Fatalf("rollback: %s", o)
	}
	o = attest(t, data, 0, "model", "card", "support")
	if !strings.Contains(o, "# Model card: support") || !strings.Contains(o, "English only") {
		t.Fatalf("card: %s", o)
	}
	attest(t, data, 2, "model", "history")
}
