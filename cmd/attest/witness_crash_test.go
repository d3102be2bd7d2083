package main_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

var witnessRE = regexp.MustCompile(`listening on (http://[0-9.:]+); witness key (\S+)`)

// startWitness runs `attest witness` for the log whose verifier key is
// logKey, with its state in dir, on addr.
func startWitness(t *testing.T, bin, dir, addr, logKey string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(bin, "witness", "--log", logKey, "--data", dir, "--addr", addr)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		if m := witnessRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return cmd, m[1], m[2]
		}
	}
	t.Fatal("witness did not start")
	return nil, "", ""
}

// TestWitnessCrashKeepsWhatItCosigned kills a real `attest witness` with
// SIGKILL while a real `attest serve` keeps publishing checkpoints to it.
// A witness that answered with a cosignature before saving the checkpoint
// would come back remembering an older one, and could then cosign a
// history that forks from what it already vouched for. After the restart
// its saved checkpoint must be at least as new as every cosignature of its
// that the log holds, and it must go on cosigning the log's new ones.
func TestWitnessCrashKeepsWhatItCosigned(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	bin := buildBinary(t)
	logDir, wDir := t.TempDir(), t.TempDir()
	out, err := exec.Command(bin, "ledger", "key", "--data", logDir).Output()
	if err != nil {
		t.Fatalf("ledger key: %v", err)
	}
	logKey := strings.TrimSpace(string(out))
	// A fixed port, so that the log finds the witness again after it restarts.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	w, wURL, wKey := startWitness(t, bin, wDir, addr, logKey)
	defer func() { w.Process.Kill(); w.Wait() }()
	wv, err := witness.ParseKey(wKey)
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, bin, logDir, "ATTEST_LEDGER_WITNESSES="+wURL+" "+wKey, "ATTEST_LEDGER_WITNESS_TIMEOUT=2s")
	defer func() { p.cmd.Process.Signal(syscall.SIGTERM); p.cmd.Wait() }()

	// Keep the ledger growing, so that a new checkpoint is published every
	// second.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			req, _ := http.NewRequest("POST", p.url+"/api/v1/ledger/events", strings.NewReader(fmt.Sprintf(`{"type":"witness.crash_test","body":{"i":%d}}`, i)))
			req.Header.Set("Authorization", "Bearer "+p.token)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	// cosigned returns the size of the log's newest checkpoint if the
	// witness cosigned it, or 0.
	cosigned := func() uint64 {
		cp := p.get(t, "/ledger/checkpoint")
		n, err := witness.Count(cp, p.vkey, []note.Verifier{wv})
		if err != nil {
			t.Fatalf("checkpoint: %v\n%s", err, cp)
		}
		if n == 0 {
			return 0
		}
		size, _, err := ledger.OpenCheckpoint(cp, p.vkey)
		if err != nil {
			t.Fatal(err)
		}
		return size
	}
	waitCosigned := func(after uint64, within time.Duration) uint64 {
		t.Helper()
		for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if s := cosigned(); s > after {
				return s
			}
		}
		t.Fatalf("no checkpoint beyond size %d was cosigned within %s", after, within)
		return 0
	}
	// Two rounds of cosigning, then kill the witness in the middle of the
	// next ones.
	first := waitCosigned(0, 20*time.Second)
	second := waitCosigned(first, 20*time.Second)
	time.Sleep(700 * time.Millisecond)
	if err := w.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w.Wait()
	held := cosigned()

	w, _, _ = startWitness(t, bin, wDir, addr, logKey)
	origin, _, _ := strings.Cut(logKey, "+")
	h := sha256.Sum256([]byte(origin))
	resp, err := http.Get(wURL + "/" + hex.EncodeToString(h[:]) + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	size, _, err := ledger.OpenCheckpoint(saved, logKey)
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("the restarted witness's checkpoint: %d %v\n%s", resp.StatusCode, err, saved)
	}
	if size < max(second, held) {
		t.Fatalf("the witness restarted at size %d, but the log holds its cosignature of size %d", size, max(second, held))
	}
	// The log's client finds the restarted witness (after its back-off)
	// and gets new checkpoints cosigned.
	waitCosigned(max(size, held), 60*time.Second)
}
