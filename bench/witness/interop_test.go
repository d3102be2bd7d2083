// Package interop checks attest's witnessing against
// github.com/transparency-dev/witness, an implementation of C2SP
// tlog-witness written elsewhere: its witness must accept the checkpoints
// and proofs attest's client sends and attest must verify its
// cosignatures, and its client must get cosignatures from 'attest
// witness' that its own verifiers accept.
package interop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	attestwitness "github.com/attest-ai/attest/internal/witness"
	fnote "github.com/transparency-dev/formats/note"
	whttp "github.com/transparency-dev/witness/client/http"
	"github.com/transparency-dev/witness/persistence/inmemory"
	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tdWitness is a transparency-dev witness served over HTTP, trusting one
// log key, with its verifier key as its operator would publish it.
type tdWitness struct {
	url  string
	vkey string
	reqs int
}

func startTDWitness(t *testing.T, logKey, skey, vkey string) *tdWitness {
	t.Helper()
	signer, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	lv, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(context.Background(), witness.Opts{
		Persistence: inmemory.New(),
		Signers:     []note.Signer{signer},
		VerifierForLog: func(_ context.Context, origin string) (note.Verifier, bool, error) {
			return lv, origin == lv.Name(), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tw := &tdWitness{vkey: vkey}
	h := witness.NewHTTPHandler(w)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		tw.reqs++
		h.AddCheckpoint(rw, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tw.url = srv.URL
	return tw
}

func appendN(t *testing.T, a *app.App, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := ledger.MustEvent("interop.thing", "default", ledger.Actor{Kind: ledger.ActorService, ID: "interop"}, map[string]int{"i": i})
		if _, err := a.Log.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTransparencyDevWitnessCosignsAttest configures an attest log with two
// transparency-dev witnesses, one Ed25519 (given to attest as a plain note
// key) and one ML-DSA-44, and requires both cosignatures at every step.
func TestTransparencyDevWitnessCosignsAttest(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	kp, err := app.LedgerKey(c)
	if err != nil {
		t.Fatal(err)
	}
	edSkey, edVkey, err := note.GenerateKey(nil, "witness.example/ed25519")
	if err != nil {
		t.Fatal(err)
	}
	pqSkey, pqVkey, err := fnote.GenerateMLDSAKey("witness.example/mldsa")
	if err != nil {
		t.Fatal(err)
	}
	ed := startTDWitness(t, kp.VerifierKey, edSkey, edVkey)
	pq := startTDWitness(t, kp.VerifierKey, pqSkey, pqVkey)
	c.Ledger.Witnesses = []config.WitnessConfig{{Name: "ed", URL: ed.url, Key: ed.vkey}, {Name: "pq", URL: pq.url, Key: pq.vkey}}
	c.Ledger.WitnessQuorum = 2
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	keys, err := attestwitness.ParseKeys(c.Ledger.WitnessKeys())
	if err != nil {
		t.Fatal(err)
	}
	// Sizes cross tile boundaries so the consistency proofs are real.
	for _, grow := range []int{1, 255, 1, 300} {
		appendN(t, a, grow)
		cp, err := a.Signer.Publish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if missing, err := a.Witnesses.Cosign(ctx); err != nil || missing != 0 {
			t.Fatalf("size %d: %d witnesses did not cosign: %v", cp.Size, missing, err)
		}
		stored, err := a.Store.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := attestwitness.Count(stored.Note, a.VKey, keys); err != nil || n != 2 {
			t.Fatalf("size %d: %d verified cosignatures, %v\n%s", cp.Size, n, err, stored.Note)
		}
	}
	if ed.reqs != 4 || pq.reqs != 4 {
		t.Fatalf("requests %d and %d, want one per checkpoint", ed.reqs, pq.reqs)
	}

	// After a restart the client knows no witness size: the witness's 409
	// (text/x.tlog.size) tells it, and the retry from that size succeeds.
	a.Close()
	if a, err = app.Open(ctx, c, app.NewLogger(c, io.Discard)); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	appendN(t, a, 3)
	if _, err := a.Signer.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if missing, err := a.Witnesses.Cosign(ctx); err != nil || missing != 0 {
		t.Fatalf("after a restart: %d witnesses did not cosign: %v", missing, err)
	}
	if ed.reqs != 6 {
		t.Fatalf("%d requests to the Ed25519 witness, want a 409 and a retry after the restart", ed.reqs)
	}

	run, err := a.Controls.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := run.Result("AI-LED-01")
	i := slices.IndexFunc(res.Checks, func(r controls.Result) bool { return r.Check == "ledger_witnessed" })
	if i < 0 || res.Checks[i].Status != controls.Pass {
		t.Fatalf("ledger_witnessed with a quorum of two: %+v", res.Checks)
	}
}

// TestTransparencyDevClientAgainstAttestWitness drives 'attest witness'
// (its handler) with transparency-dev's witness client and checks its
// answers with transparency-dev's verifier.
func TestTransparencyDevClientAgainstAttestWitness(t *testing.T) {
	ctx := context.Background()
	logSkey, logVkey, err := note.GenerateKey(nil, "log.example/attest")
	if err != nil {
		t.Fatal(err)
	}
	logSigner, _ := note.NewSigner(logSkey)
	wskey, wvkey, err := attestwitness.GenerateKey("witness.example/attest")
	if err != nil {
		t.Fatal(err)
	}
	wsigner, err := fnote.NewSignerForCosignatureV1(wskey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := attestwitness.NewServer(wsigner, []string{logVkey}, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	u, _ := url.Parse(hs.URL)
	client := whttp.NewWitness(u, hs.Client())
	wv, err := fnote.NewVerifierForCosignatureV1(wvkey)
	if err != nil {
		t.Fatal(err)
	}

	// A tree grown record by record, and its signed checkpoints.
	var hashes []tlog.Hash
	var size int64
	reader := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = hashes[x]
		}
		return out, nil
	})
	grow := func(n int) (int64, []byte) {
		for i := 0; i < n; i++ {
			hs, err := tlog.StoredHashes(size, []byte{byte(size), byte(size >> 8)}, reader)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, hs...)
			size++
		}
		root, _ := tlog.TreeHash(size, reader)
		cp, err := ledger.SignCheckpoint(logSigner, "log.example/attest", uint64(size), root)
		if err != nil {
			t.Fatal(err)
		}
		return size, cp
	}
	prove := func(old, size int64) [][]byte {
		if old == 0 {
			return nil
		}
		p, err := tlog.ProveTree(size, old, reader)
		if err != nil {
			t.Fatal(err)
		}
		out := make([][]byte, len(p))
		for i := range p {
			out[i] = p[i][:]
		}
		return out
	}
	check := func(cp, sigs []byte) {
		t.Helper()
		text := cp[:bytes.Index(cp, []byte("\n\n"))+1]
		if _, err := note.Open(append(append(bytes.Clone(text), '\n'), sigs...), note.VerifierList(wv)); err != nil {
			t.Fatalf("transparency-dev's verifier refuses attest's cosignature %q: %v", sigs, err)
		}
	}
	s1, cp1 := grow(5)
	sigs, _, err := client.Update(ctx, 0, cp1, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(cp1, sigs)
	s2, cp2 := grow(300)
	if _, size, err := client.Update(ctx, 0, cp2, nil); !errors.Is(err, witness.ErrCheckpointStale) || size != uint64(s1) {
		t.Fatalf("a stale old size: %v, size %d; want ErrCheckpointStale with %d", err, size, s1)
	}
	sigs, _, err = client.Update(ctx, uint64(s1), cp2, prove(s1, s2))
	if err != nil {
		t.Fatal(err)
	}
	check(cp2, sigs)
	bad := prove(s1, s2)
	bad[0] = bytes.Repeat([]byte{1}, 32)
	_, s3cp := grow(10)
	if _, _, err := client.Update(ctx, uint64(s2), s3cp, bad); !errors.Is(err, witness.ErrInvalidProof) {
		t.Fatalf("a bad proof: %v, want ErrInvalidProof", err)
	}
}
