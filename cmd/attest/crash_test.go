package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// buildBinary compiles attest once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "attest")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	cmd   *exec.Cmd
	url   string
	token string
	vkey  string
}

var listenRE = regexp.MustCompile(`listening on (http://[0-9.:]+) .*ledger key (\S+)`)
var tokenRE = regexp.MustCompile(`atk_[A-Za-z0-9_-]+`)

func start(t *testing.T, bin, dir string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "error")
	cmd.Env = append(append(os.Environ(), "ATTEST_CHECKPOINT_INTERVAL=1s"), env...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd}
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if m := tokenRE.FindString(line); m != "" && p.token == "" {
			p.token = m
		}
		if m := listenRE.FindStringSubmatch(line); m != nil {
			p.url, p.vkey = m[1], m[2]
			break
		}
	}
	if p.url == "" {
		t.Fatal("server did not start")
	}
	go io.Copy(io.Discard, stdout)
	return p
}

func (p *proc) get(t *testing.T, path string) []byte {
	req, _ := http.NewRequest("GET", p.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// TestCrashKeepsEveryAcknowledgedAppend kills the real server process with
// SIGKILL in the middle of a 64-writer append load, restarts it, and checks
// that every append that returned an index is there, and that the tree
// after the crash extends the last checkpoint signed before it.
func TestCrashKeepsEveryAcknowledgedAppend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	p := start(t, bin, dir)
	token := p.token

	type ack struct {
		index uint64
		nonce string
	}
	var (
		mu     sync.Mutex
		acks   []ack
		n      atomic.Int64
		lastCP atomic.Pointer[[]byte]
	)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 100000; i++ {
				nonce := fmt.Sprintf("w%d-i%d", w, i)
				body := fmt.Sprintf(`{"type":"crash.test","body":{"nonce":%q,"pad":%q}}`, nonce, strings.Repeat("x", 200))
				req, _ := http.NewRequestWithContext(ctx, "POST", p.url+"/api/v1/ledger/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the server died; this append was not acknowledged
				}
				var er struct{ Index uint64 }
				ok := resp.StatusCode == 201 && json.NewDecoder(resp.Body).Decode(&er) == nil
				resp.Body.Close()
				if ok {
					mu.Lock()
					acks = append(acks, ack{er.Index, nonce})
					mu.Unlock()
					n.Add(1)
				}
			}
		}(w)
	}
	// Watch checkpoints during the load and kill once a few have been
	// signed under load.
	seen := 0
	for seen < 3 {
		time.Sleep(300 * time.Millisecond)
		cp := p.get(t, "/ledger/checkpoint")
		if prev := lastCP.Load(); prev == nil || !bytes.Equal(*prev, cp) {
			lastCP.Store(&cp)
			seen++
		}
	}
	time.Sleep(200 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	cancel()
	wg.Wait()
	if n.Load() < 1000 {
		t.Fatalf("only %d appends before the crash; the load did not run", n.Load())
	}
	before := *lastCP.Load()

	p2 := start(t, bin, dir)
	p2.token = token
	defer func() {
		p2.cmd.Process.Signal(syscall.SIGTERM)
		p2.cmd.Wait()
	}()
	after := p2.get(t, "/ledger/checkpoint")
	oldSize, oldRoot, err := ledger.OpenCheckpoint(before, p.vkey)
	if err != nil {
		t.Fatalf("pre-crash checkpoint: %v", err)
	}
	newSize, newRoot, err := ledger.OpenCheckpoint(after, p2.vkey)
	if err != nil {
		t.Fatalf("post-crash checkpoint: %v", err)
	}
	if newSize < oldSize {
		t.Fatalf("log shrank across the crash: %d -> %d", oldSize, newSize)
	}
	var cp struct{ Hashes []string }
	json.Unmarshal(p2.get(t, fmt.Sprintf("/api/v1/ledger/proofs/consistency?from=%d&to=%d", oldSize, newSize)), &cp)
	proof := make(tlog.TreeProof, len(cp.Hashes))
	for i, h := range cp.Hashes {
		b, _ := base64.StdEncoding.DecodeString(h)
		copy(proof[i][:], b)
	}
	if err := tlog.CheckTree(proof, int64(newSize), newRoot, int64(oldSize), oldRoot); err != nil {
		t.Fatalf("consistency %d -> %d across the crash does not verify: %v", oldSize, newSize, err)
	}
	// Every acknowledged append is present, at its index, with its content.
	for _, a := range acks {
		if a.index >= newSize {
			t.Fatalf("acknowledged index %d is beyond the recovered size %d", a.index, newSize)
		}
	}
	for i := 0; i < len(acks); i += max(1, len(acks)/300) {
		a := acks[i]
		var er struct{ Event json.RawMessage }
		json.Unmarshal(p2.get(t, fmt.Sprintf("/api/v1/ledger/events/%d", a.index)), &er)
		if !strings.Contains(string(er.Event), `"nonce":"`+a.nonce+`"`) {
			t.Fatalf("index %d holds %s, want nonce %s", a.index, er.Event, a.nonce)
		}
	}
	t.Logf("%d acknowledged appends survived SIGKILL; checkpoint %d -> %d is consistent", len(acks), oldSize, newSize)
	// The whole store still verifies offline.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
	out, err := exec.Command(bin, "ledger", "verify", "--data", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("ledger verify after crash: %v\n%s", err, out)
	}
}
