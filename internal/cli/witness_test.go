package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

var witnessStartRE = regexp.MustCompile(`listening on (http://\S+); witness key (\S+)`)

// startWitness runs 'attest witness' for the log key until the test ends
// and returns its URL and verifier key.
func startWitness(t *testing.T, dir, logKey string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"witness", "--addr", "127.0.0.1:0", "--data", dir, "--name", "auditor.example/witness", "--log", logKey}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("attest witness exited with %d", code)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	m := witnessStartRE.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("attest witness printed %q: %v", line, err)
	}
	return m[1], m[2]
}

// TestWitnessEndToEnd runs a real attest log whose checkpoints an
// in-process 'attest witness' cosigns: the cosigned checkpoint must be
// served, pass the witnessing control, carry evidence of the outcome, and
// satisfy 'attest ledger verify --witness'.
func TestWitnessEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	code, logKey, errs := run(t, "ledger", "key", "--data", dir)
	logKey = strings.TrimSpace(logKey)
	if code != 0 {
		t.Fatalf("ledger key: %s", errs)
	}
	url, wkey := startWitness(t, filepath.Join(t.TempDir(), "w"), logKey)

	c := config.Default()
	c.DataDir = dir
	c.Ledger.CheckpointInterval.Duration = time.Second
	c.Ledger.Witnesses = []config.WitnessConfig{{Name: "auditor", URL: url, Key: wkey}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, l) }()
	for i := 0; i < 5; i++ {
		if _, err := a.Log.Append(ctx, ledger.MustEvent("test.thing", "default", ledger.Actor{Kind: ledger.ActorService, ID: "e2e"}, map[string]int{"i": i})); err != nil {
			t.Fatal(err)
		}
	}
	wv, err := witness.ParseKey(wkey)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) []byte {
		req, _ := http.NewRequest(http.MethodGet, "http://"+l.Addr().String()+path, nil)
		req.Header.Set("Authorization", "Bearer "+a.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	// Wait until the newest checkpoint covers the whole log and is
	// cosigned: the ledger.witnessed event grows the log once more.
	var served1 []byte
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		served1 = get("/ledger/checkpoint")
		size, _, err := ledger.OpenCheckpoint(served1, a.VKey)
		if n, _ := witness.Count(served1, a.VKey, []note.Verifier{wv}); err == nil && n == 1 && size == a.Log.Size() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the served checkpoint was never cosigned:\n%s", served1)
		}
	}
	var list struct {
		Checkpoints []struct {
			Note string `json:"note"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal(get("/api/v1/ledger/checkpoints"), &list); err != nil || len(list.Checkpoints) == 0 || list.Checkpoints[len(list.Checkpoints)-1].Note != string(served1) {
		t.Fatalf("the checkpoint list does not end with the cosigned checkpoint: %v %+v", err, list)
	}

	run1, err := a.Controls.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := run1.Result("AI-LED-01")
	witnessed := false
	for _, r := range res.Checks {
		if r.Check == "ledger_witnessed" {
			witnessed = r.Status == "pass"
			if !witnessed {
				t.Errorf("ledger_witnessed: %s: %s %+v", r.Status, r.Reason, r.Failing)
			}
		}
	}
	if !witnessed {
		t.Fatalf("AI-LED-01 did not pass its witnessing check: %+v", res)
	}
	evs, err := a.Store.QueryLedger(ctx, ledger.Query{Type: witness.EventWitnessed})
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"cosigned":true`) || !strings.Contains(string(evs[0].Data), `"witness":"auditor"`) {
		t.Fatalf("ledger.witnessed events: %v %d", err, len(evs))
	}
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	a.Close()

	// The auditor's offline check, against the store and an export.
	if code, out, errs := run(t, "ledger", "verify", "--data", dir, "--witness", wkey); code != 0 || !strings.Contains(out, "witnessed: 1 of 1 witnesses") {
		t.Fatalf("verify --witness: %d %s %s", code, out, errs)
	}
	bundle := filepath.Join(t.TempDir(), "b")
	if code, _, errs := run(t, "ledger", "export", "--data", dir, "--out", bundle); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	if code, out, errs := run(t, "ledger", "verify", "--bundle", bundle, "--key", logKey, "--witness", wkey, "--witness-quorum", "1"); code != 0 || !strings.Contains(out, "witnessed: 1 of 1") {
		t.Fatalf("verify --bundle --witness: %d %s %s", code, out, errs)
	}
	_, other, _ := witness.GenerateKey("someone.example/witness")
	if code, _, errs := run(t, "ledger", "verify", "--data", dir, "--witness", other); code != 1 || !strings.Contains(errs, "carries 0 of the 1 witness cosignatures required") {
		t.Fatalf("verify with another witness's key: %d %s", code, errs)
	}
	if code, _, errs := run(t, "ledger", "verify", "--data", dir, "--witness", wkey, "--witness", other, "--witness-quorum", "2"); code != 1 || !strings.Contains(errs, "carries 1 of the 2") {
		t.Fatalf("verify with a quorum of two: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"--witness", wkey, "--witness-quorum", "3"},
		{"--witness-quorum", "1"},
		{"--witness", "nonsense"},
	} {
		if code, _, errs := run(t, append([]string{"ledger", "verify", "--data", dir}, args...)...); code != 2 || !strings.Contains(errs, "witness") {
			t.Fatalf("verify %v: %d %s", args, code, errs)
		}
	}

	// 'attest ledger checkpoint' waits for the witnesses and prints the
	// cosigned note, even after a restart of the log: the witness's
	// remembered size comes back with a 409 and the log proves from it.
	cfg := filepath.Join(t.TempDir(), "attest.yaml")
	writeFile(t, cfg, "ledger:\n  witnesses:\n    - {url: \""+url+"\", key: \""+wkey+"\"}\n")
	a, err = app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	a.Log.Append(ctx, ledger.MustEvent("test.thing", "default", ledger.Actor{Kind: ledger.ActorService, ID: "e2e"}, map[string]int{"i": 99}))
	a.Close()
	code, out, errs := run(t, "ledger", "checkpoint", "--data", dir, "--config", cfg)
	if n, err := witness.Count([]byte(out), logKey, []note.Verifier{wv}); code != 0 || err != nil || n != 1 {
		t.Fatalf("ledger checkpoint: %d %v %d\n%s\n%s", code, err, n, out, errs)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestWitnessCommandErrors(t *testing.T) {
	if code, _, errs := run(t, "witness", "--data", t.TempDir()); code != 2 || !strings.Contains(errs, "--log is required") {
		t.Fatalf("no --log: %d %s", code, errs)
	}
	if code, _, errs := run(t, "witness", "--data", t.TempDir(), "--log", "nonsense"); code != 1 || !strings.Contains(errs, "check the --log keys") {
		t.Fatalf("bad --log: %d %s", code, errs)
	}
	if code, out, _ := run(t, "witness", "-h"); code != 0 || out != "" {
		t.Fatalf("help: %d %q", code, out)
	}
}
