package witness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// witnessEnv is a Server for one test log.
type witnessEnv struct {
	t    *testing.T
	log  *testLog
	dir  string
	kp   *KeyPair
	v    note.Verifier
	srv  *Server
	http *httptest.Server
}

func newWitnessEnv(t *testing.T) *witnessEnv {
	t.Helper()
	e := &witnessEnv{t: t, log: newTestLog(t, "log.example/attest"), dir: t.TempDir()}
	var err error
	if e.kp, err = LoadOrCreateKey(filepath.Join(e.dir, "witness.key"), "witness.example/w1"); err != nil {
		t.Fatal(err)
	}
	if e.v, err = ParseKey(e.kp.VerifierKey); err != nil {
		t.Fatal(err)
	}
	e.start()
	return e
}

// start (re)opens the server over the state directory.
func (e *witnessEnv) start() {
	e.t.Helper()
	if e.http != nil {
		e.http.Close()
	}
	srv, err := NewServer(e.kp.Signer, []string{e.log.vkey}, e.dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv, e.http = srv, httptest.NewServer(srv)
	e.t.Cleanup(e.http.Close)
}

func (e *witnessEnv) post(body []byte) (int, http.Header, []byte) {
	e.t.Helper()
	resp, err := http.Post(e.http.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// submit sends a checkpoint with a proof from old, as an honest log would.
func (e *witnessEnv) submit(l *testLog, old uint64, cp ledger.Checkpoint) (int, []byte) {
	e.t.Helper()
	proof, err := l.ConsistencyProof(nil, old, cp.Size)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, body := e.post(Request{OldSize: old, Proof: proof, Checkpoint: cp.Note}.Marshal())
	return status, body
}

func (e *witnessEnv) mustCosign(l *testLog, old uint64, cp ledger.Checkpoint) {
	e.t.Helper()
	status, body := e.submit(l, old, cp)
	if status != http.StatusOK {
		e.t.Fatalf("old %d, size %d: status %d: %s", old, cp.Size, status, body)
	}
	if _, err := cosignature(noteText(cp.Note), body, e.v); err != nil {
		e.t.Fatalf("answer %q: %v", body, err)
	}
}

func TestServerCosignsConsistentCheckpoints(t *testing.T) {
	e := newWitnessEnv(t)
	e.log.grow(3, "a")
	first := e.log.sign()
	e.mustCosign(e.log, 0, first)
	e.log.grow(300, "a")
	second := e.log.sign()
	e.mustCosign(e.log, first.Size, second)
	// The same checkpoint again, from its own size, is cosigned anew.
	e.mustCosign(e.log, second.Size, second)

	// The state survives a restart, and monitors can read it.
	e.start()
	if status, body := e.submit(e.log, 0, second); status != http.StatusConflict || string(body) != "303\n" {
		t.Fatalf("after restart: %d %q", status, body)
	}
	h := sha256.Sum256([]byte(e.log.origin))
	resp, err := http.Get(e.http.URL + "/" + hex.EncodeToString(h[:]) + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n, err := Count(stored, e.log.vkey, []note.Verifier{e.v}); err != nil || n != 1 || !bytes.HasPrefix(stored, noteText(second.Note)) {
		t.Fatalf("monitor checkpoint %q: %d %v", stored, n, err)
	}
	if resp, _ := http.Get(e.http.URL + "/" + strings.Repeat("0", 64) + "/checkpoint"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown log's checkpoint: %d", resp.StatusCode)
	}
	if resp, _ := http.Get(e.http.URL + "/add-checkpoint"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET add-checkpoint: %d", resp.StatusCode)
	}
	entries, _ := os.ReadDir(e.dir)
	if len(entries) != 2 {
		t.Fatalf("the state directory holds %d files, want the key and one checkpoint (no temporary files)", len(entries))
	}
}

func TestServerRefuses(t *testing.T) {
	e := newWitnessEnv(t)
	e.log.grow(10, "a")
	e.mustCosign(e.log, 0, e.log.sign())
	e.log.grow(5, "a")
	held := e.log.sign() // the witness holds size 15
	e.mustCosign(e.log, 10, held)
	e.log.grow(5, "a")
	next := e.log.sign()
	goodProof, _ := e.log.ConsistencyProof(nil, held.Size, next.Size)

	// A fork: the first ten records agree, the next ones differ, so the
	// fork's size 15 is not what the witness cosigned.
	fork := newTestLog(t, e.log.origin)
	fork.signer = e.log.signer
	fork.grow(10, "a")
	fork.grow(10, "b")
	forked := fork.sign()
	forkProof, _ := fork.ConsistencyProof(nil, held.Size, forked.Size)

	impostor := newTestLog(t, e.log.origin) // same origin, another key
	impostor.grow(20, "a")
	stranger := newTestLog(t, "other.example/log")
	stranger.grow(20, "a")
	// The log's own key name and ID, with a signature that is not its.
	badSig := corrupt(next.Note)
	badProof := append([]tlog.Hash{}, goodProof...)
	badProof[0][0] ^= 1
	empty, _ := tlog.TreeHash(0, nil)
	notEmpty, _ := ledger.SignCheckpoint(e.log.signer, e.log.origin, 0, tlog.RecordHash([]byte("x")))
	emptyOK, _ := ledger.SignCheckpoint(e.log.signer, e.log.origin, 0, empty)

	for _, tc := range []struct {
		name   string
		req    Request
		status int
	}{
		{"wrong old size", Request{OldSize: 10, Proof: goodProof, Checkpoint: next.Note}, http.StatusConflict},
		{"old size from scratch", Request{OldSize: 0, Checkpoint: next.Note}, http.StatusConflict},
		{"old size above the checkpoint", Request{OldSize: 21, Checkpoint: next.Note}, http.StatusBadRequest},
		{"size regression", Request{OldSize: 15, Checkpoint: e.log.checkpointAt(t, 12)}, http.StatusBadRequest},
		{"bad proof", Request{OldSize: 15, Proof: badProof, Checkpoint: next.Note}, http.StatusUnprocessableEntity},
		{"missing proof", Request{OldSize: 15, Checkpoint: next.Note}, http.StatusUnprocessableEntity},
		{"fork with its own proof", Request{OldSize: 15, Proof: forkProof, Checkpoint: forked.Note}, http.StatusUnprocessableEntity},
		{"fork with the honest proof", Request{OldSize: 15, Proof: goodProof, Checkpoint: forked.Note}, http.StatusUnprocessableEntity},
		{"same size, another root", Request{OldSize: 15, Checkpoint: fork.checkpointAt(t, 15)}, http.StatusUnprocessableEntity},
		{"same size with a proof", Request{OldSize: 15, Proof: goodProof[:1], Checkpoint: held.Note}, http.StatusUnprocessableEntity},
		{"bad signature by the log's key", Request{OldSize: 15, Proof: goodProof, Checkpoint: badSig}, http.StatusForbidden},
		{"signed by another key", Request{OldSize: 15, Proof: goodProof, Checkpoint: impostor.sign().Note}, http.StatusForbidden},
		{"unknown origin", Request{OldSize: 0, Checkpoint: stranger.sign().Note}, http.StatusNotFound},
		{"not a note", Request{OldSize: 0, Checkpoint: []byte(e.log.origin + "\n1\n")}, http.StatusBadRequest},
		{"empty tree with a root", Request{OldSize: 0, Checkpoint: notEmpty}, http.StatusUnprocessableEntity},
		{"empty tree rolling back", Request{OldSize: 0, Checkpoint: emptyOK}, http.StatusConflict},
	} {
		status, hdr, body := e.post(tc.req.Marshal())
		if status != tc.status {
			t.Errorf("%s: status %d (%s), want %d", tc.name, status, body, tc.status)
			continue
		}
		if status == http.StatusConflict {
			if hdr.Get("Content-Type") != "text/x.tlog.size" || string(body) != "15\n" {
				t.Errorf("%s: 409 answer %q of type %q, want the size 15", tc.name, body, hdr.Get("Content-Type"))
			}
		}
	}
	for _, body := range []string{"", "hello", "old 1\n", "old 0\n\n"} {
		if status, _, _ := e.post([]byte(body)); status != http.StatusBadRequest {
			t.Errorf("body %q: status %d", body, status)
		}
	}
	// Nothing above moved the witness: the honest successor still needs
	// old size 15.
	e.mustCosign(e.log, held.Size, next)
}

// checkpointAt signs the log's root at an earlier size.
func (l *testLog) checkpointAt(t *testing.T, size int64) []byte {
	root, err := tlog.TreeHash(size, l)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ledger.SignCheckpoint(l.signer, l.origin, uint64(size), root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServerAtomic submits the same step concurrently: exactly one
// request may move the state, the rest must learn the new size.
func TestServerAtomic(t *testing.T) {
	e := newWitnessEnv(t)
	e.log.grow(7, "a")
	cp := e.log.sign()
	body := Request{OldSize: 0, Checkpoint: cp.Note}.Marshal()
	const n = 16
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			status, _, _ := e.post(body)
			statuses <- status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v, want one 200 and %d 409s", count, n-1)
	}
}

func TestNewServerRefuses(t *testing.T) {
	s, _ := newCosigner(t, "w.example")
	if _, err := NewServer(s, nil, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "--log") {
		t.Fatalf("no logs: %v", err)
	}
	if _, err := NewServer(s, []string{"garbage"}, t.TempDir(), nil); err == nil {
		t.Fatal("a bad log key was accepted")
	}
	l := newTestLog(t, "log.example")
	if _, err := NewServer(s, []string{l.vkey, l.vkey}, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("a log key twice: %v", err)
	}
	dir := t.TempDir()
	h := sha256.Sum256([]byte("log.example"))
	os.WriteFile(filepath.Join(dir, hex.EncodeToString(h[:])), []byte("junk"), 0o600)
	if _, err := NewServer(s, []string{l.vkey}, dir, nil); err == nil || !strings.Contains(err.Error(), "stored checkpoint") {
		t.Fatalf("corrupt state: %v", err)
	}
}

// FuzzAddCheckpoint sends arbitrary bodies to a witness that has cosigned
// size 10: it may cosign only a checkpoint signed by the log that extends
// what it cosigned, which a fuzzer cannot forge.
func FuzzAddCheckpoint(f *testing.F) {
	log := newTestLog(f, "log.example")
	signer, _ := newCosigner(f, "w.example")
	srv, err := NewServer(signer, []string{log.vkey}, f.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	log.grow(10, "a")
	base := log.sign()
	post := func(b []byte) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/add-checkpoint", bytes.NewReader(b)))
		return w
	}
	if w := post(Request{Checkpoint: base.Note}.Marshal()); w.Code != http.StatusOK {
		f.Fatalf("setup: %d %s", w.Code, w.Body)
	}
	log.grow(6, "a")
	next := log.sign()
	proof, _ := log.ConsistencyProof(nil, 10, 16)
	good := Request{OldSize: 10, Proof: proof, Checkpoint: next.Note}.Marshal()
	f.Add(good)
	f.Add(Request{OldSize: 10, Checkpoint: base.Note}.Marshal())
	f.Add([]byte("old 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := post(b)
		if w.Code != http.StatusOK {
			return
		}
		req, err := ParseRequest(b)
		if err != nil {
			t.Fatalf("cosigned an unparsable body %q", b)
		}
		size, _, err := ledger.OpenCheckpoint(req.Checkpoint, log.vkey)
		if err != nil || (size != 10 && size != 16) || !bytes.Equal(noteText(req.Checkpoint), noteText(map[uint64][]byte{10: base.Note, 16: next.Note}[size])) {
			t.Fatalf("cosigned a checkpoint the log never signed: %q", req.Checkpoint)
		}
	})
}
