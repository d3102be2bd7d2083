package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// scripted is a witness whose answers a test writes. It records the
// requests it gets.
type scripted struct {
	t      *testing.T
	mu     sync.Mutex
	reqs   []Request
	answer func(n int, r Request) (status int, ctype string, body []byte)
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	req, err := ParseRequest(b)
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/prefix/add-checkpoint" {
		s.t.Errorf("malformed request %s %s: %v\n%s", r.Method, r.URL.Path, err, b)
		w.WriteHeader(http.StatusTeapot)
		return
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	s.mu.Unlock()
	status, ctype, body := s.answer(n, req)
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (s *scripted) requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// clientEnv is a client of one scripted witness over a test log.
type clientEnv struct {
	log     *testLog
	wit     *scripted
	signer  note.Signer
	vkey    string
	client  *Client
	events  *events
	results []string
	now     time.Time
	mu      sync.Mutex
}

func newClientEnv(t *testing.T, answer func(e *clientEnv, n int, r Request) (int, string, []byte)) *clientEnv {
	t.Helper()
	e := &clientEnv{log: newTestLog(t, "log.example/attest"), events: &events{}, now: time.Unix(1_800_000_000, 0)}
	e.signer, e.vkey = newCosigner(t, "witness.example/w1")
	e.wit = &scripted{t: t, answer: func(n int, r Request) (int, string, []byte) { return answer(e, n, r) }}
	srv := httptest.NewServer(e.wit)
	t.Cleanup(srv.Close)
	var err error
	e.client, err = NewClient(Deps{
		Witnesses: []Witness{{Name: "auditor", URL: srv.URL + "/prefix/", Key: e.vkey}},
		Store:     e.log, Proofs: e.log, Log: e.events, Timeout: 300 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now },
		Observe: func(w, result string) {
			if w != "auditor" {
				t.Errorf("observed witness %q", w)
			}
			e.mu.Lock()
			e.results = append(e.results, result)
			e.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *clientEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// cosignature answers a request as an honest witness holding no state.
func (e *clientEnv) cosignLine(r Request) []byte {
	return cosign(e.wit.t, e.signer, r.Checkpoint)
}

func (e *clientEnv) stored() []byte {
	cp, _ := e.log.LatestCheckpoint(context.Background())
	return cp.Note
}

func TestClientStatuses(t *testing.T) {
	ok := func(e *clientEnv, _ int, r Request) (int, string, []byte) { return 200, "", e.cosignLine(r) }
	status := func(code int, body string) func(*clientEnv, int, Request) (int, string, []byte) {
		return func(*clientEnv, int, Request) (int, string, []byte) { return code, "text/plain", []byte(body) }
	}
	for _, tc := range []struct {
		name     string
		answer   func(e *clientEnv, n int, r Request) (int, string, []byte)
		result   string
		requests int
	}{
		{"cosigned", ok, ResultCosigned, 1},
		{"409, then cosigned from the witness's size", func(e *clientEnv, n int, r Request) (int, string, []byte) {
			if n == 1 {
				return 409, sizeContentType, []byte("4\n")
			}
			// The retry must start at 4 with a proof that verifies.
			r4, _ := tlog.TreeHash(4, e.log)
			cp, _ := e.log.LatestCheckpoint(context.Background())
			if r.OldSize != 4 || tlog.CheckTree(r.Proof, int64(cp.Size), cp.Root, 4, r4) != nil {
				return 422, "", nil
			}
			return 200, "", e.cosignLine(r)
		}, ResultCosigned, 2},
		{"409 twice", status(409, "4\n"), ResultConflict, 2},
		{"409 without a size", status(409, "four"), ResultInvalidAnswer, 1},
		{"409 from a witness ahead of the log", status(409, "99\n"), ResultStale, 1},
		{"404", status(404, "unknown log"), ResultUnknownLog, 1},
		{"403", status(403, ""), ResultForbidden, 1},
		{"422", status(422, ""), ResultInconsistent, 1},
		{"400", status(400, "bad"), ResultBadRequest, 1},
		{"500", status(500, "oops"), ResultUnavailable, 1},
		{"429", status(429, ""), ResultUnavailable, 1},
		{"redirect is not followed", func(*clientEnv, int, Request) (int, string, []byte) { return 307, "", nil }, ResultUnavailable, 1},
		{"200 with a forged cosignature", func(e *clientEnv, _ int, r Request) (int, string, []byte) {
			return 200, "", corrupt(e.cosignLine(r))
		}, ResultInvalidAnswer, 1},
		{"200 with another key's cosignature", func(e *clientEnv, _ int, r Request) (int, string, []byte) {
			other, _ := newCosigner(e.wit.t, "witness.example/w1")
			return 200, "", cosign(e.wit.t, other, r.Checkpoint)
		}, ResultInvalidAnswer, 1},
		{"200 with garbage", status(200, "yes\n"), ResultInvalidAnswer, 1},
		{"no answer in time", func(e *clientEnv, _ int, r Request) (int, string, []byte) {
			time.Sleep(time.Second)
			return 200, "", e.cosignLine(r)
		}, ResultUnavailable, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newClientEnv(t, tc.answer)
			e.log.grow(10, "a")
			cp := e.log.publish()
			missing, err := e.client.Cosign(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(e.results) != 1 || e.results[0] != tc.result {
				t.Fatalf("results %v, want %s", e.results, tc.result)
			}
			if n := len(e.wit.requests()); n != tc.requests {
				t.Fatalf("%d requests, want %d", n, tc.requests)
			}
			if first := e.wit.requests()[0]; first.OldSize != 0 || len(first.Proof) != 0 || !bytes.Equal(first.Checkpoint, cp.Note) {
				t.Fatalf("first request %+v, want old 0, no proof and the checkpoint", first)
			}
			v, _ := ParseKey(e.vkey)
			n, err := Count(e.stored(), e.log.vkey, []note.Verifier{v})
			if err != nil {
				t.Fatalf("stored note: %v", err)
			}
			cosigned := tc.result == ResultCosigned
			if (n == 1) != cosigned || (missing == 0) != cosigned {
				t.Fatalf("stored %d cosignatures, %d missing, for result %s", n, missing, tc.result)
			}
			evs := e.events.bodies()
			if tc.result == ResultStale {
				if len(evs) != 0 {
					t.Fatalf("a stale answer was recorded: %v", evs)
				}
				return
			}
			var body witnessedBody
			if len(evs) != 1 || json.Unmarshal([]byte(evs[0]), &body) != nil || body.Result != tc.result || body.Cosigned != cosigned || body.Size != 10 || body.Witness != "auditor" {
				t.Fatalf("events %v", evs)
			}
		})
	}
}

// TestClientBackoff: a failing witness is asked again only after its
// back-off, the same failure is recorded once, and recovery is recorded.
func TestClientBackoff(t *testing.T) {
	var mu sync.Mutex
	up := false
	e := newClientEnv(t, func(e *clientEnv, _ int, r Request) (int, string, []byte) {
		mu.Lock()
		defer mu.Unlock()
		if !up {
			return 503, "", nil
		}
		return 200, "", e.cosignLine(r)
	})
	ctx := context.Background()
	e.log.grow(3, "a")
	e.log.publish()
	for i := 0; i < 3; i++ {
		if missing, err := e.client.Cosign(ctx); err != nil || missing != 1 {
			t.Fatalf("round %d: %d missing, %v", i, missing, err)
		}
	}
	if n := len(e.wit.requests()); n != 1 {
		t.Fatalf("%d requests within the back-off, want 1", n)
	}
	if at, ok := e.client.nextRetry(); !ok || at.Sub(e.now) != backoffBase {
		t.Fatalf("next retry %v, want in %v", at, backoffBase)
	}
	e.advance(backoffBase)
	e.client.Cosign(ctx)
	if n := len(e.wit.requests()); n != 2 {
		t.Fatalf("%d requests after the back-off, want 2", n)
	}
	if at, _ := e.client.nextRetry(); at.Sub(e.now) != 2*backoffBase {
		t.Fatalf("the back-off did not double: next retry in %v", at.Sub(e.now))
	}
	mu.Lock()
	up = true
	mu.Unlock()
	e.advance(2 * backoffBase)
	if missing, err := e.client.Cosign(ctx); err != nil || missing != 0 {
		t.Fatalf("after recovery: %d missing, %v", missing, err)
	}
	if _, ok := e.client.nextRetry(); ok {
		t.Fatal("a recovered witness still backs off")
	}
	// Already cosigned: nothing to ask.
	e.client.Cosign(ctx)
	if n := len(e.wit.requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	evs := e.events.bodies()
	if len(evs) != 2 || !strings.Contains(evs[0], `"result":"unavailable"`) || !strings.Contains(evs[1], `"cosigned":true`) {
		t.Fatalf("events %v, want one failure and one recovery", evs)
	}
}

// TestClientAgainstServer runs rounds against a real Server: the client
// tracks the witness's size and proves each step from it.
func TestClientAgainstServer(t *testing.T) {
	w := newWitnessEnv(t)
	c, err := NewClient(Deps{
		Witnesses: []Witness{{URL: w.http.URL, Key: w.kp.VerifierKey}},
		Store:     w.log, Proofs: w.log, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	for _, grow := range []int{1, 255, 2, 600} {
		w.log.grow(grow, "a")
		cp := w.log.publish()
		c.Notify(cp)
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, _ := w.log.LatestCheckpoint(ctx)
			if n, _ := Count(got.Note, w.log.vkey, []note.Verifier{w.v}); n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("size %d was not cosigned", cp.Size)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cancel()
	<-done
	// A second client, as after a restart, starts at old size 0, learns
	// the witness's size from its 409 and proceeds.
	c2, _ := NewClient(Deps{Witnesses: []Witness{{URL: w.http.URL, Key: w.kp.VerifierKey}}, Store: w.log, Proofs: w.log,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w.log.grow(5, "a")
	w.log.publish()
	if missing, err := c2.Cosign(context.Background()); err != nil || missing != 0 {
		t.Fatalf("after a restart: %d missing, %v", missing, err)
	}
}

func TestNewClientRefusesBadKeys(t *testing.T) {
	if _, err := NewClient(Deps{Witnesses: []Witness{{Name: "w", URL: "http://x", Key: "nonsense"}}}); err == nil || !strings.Contains(err.Error(), `witness "w"`) {
		t.Fatalf("bad key: %v", err)
	}
	c, err := NewClient(Deps{Store: newTestLog(t, "x"), Proofs: newTestLog(t, "x")})
	if err != nil {
		t.Fatal(err)
	}
	// No checkpoint yet: nothing to do.
	if missing, err := c.Cosign(context.Background()); err != nil || missing != 0 {
		t.Fatalf("no checkpoint: %d %v", missing, err)
	}
}

// TestNotifyNeverBlocks: publication nudges the client and goes on, even
// while no round runs to take the nudges.
func TestNotifyNeverBlocks(t *testing.T) {
	c, err := NewClient(Deps{Store: newTestLog(t, "x"), Proofs: newTestLog(t, "x")})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range 1000 {
			c.Notify(ledger.Checkpoint{})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Notify blocked")
	}
}
