// Package storetest is the conformance suite that every store
// implementation must pass. The SQLite and PostgreSQL packages each run it
// from their own tests.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/vault"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Opener returns a fresh, empty store for one subtest. It registers its own
// cleanup.
type Opener func(t *testing.T) Store

// Store is everything the suite exercises.
type Store interface {
	ledger.Store
	vault.Store
	access.Store
	records.Store
	controls.Store
	access.ReviewStore
}

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("LedgerAppendAndProve", func(t *testing.T) { testAppendAndProve(t, open(t)) })
	t.Run("LedgerReload", func(t *testing.T) { testReload(t, open(t)) })
	t.Run("LedgerQuery", func(t *testing.T) { testQuery(t, open(t)) })
	t.Run("LedgerConflict", func(t *testing.T) { testConflict(t, open(t)) })
	t.Run("LedgerCheckpoints", func(t *testing.T) { testCheckpoints(t, open(t)) })
	t.Run("LedgerCosignatures", func(t *testing.T) { testCosignatures(t, open(t)) })
	t.Run("LedgerReplicas", func(t *testing.T) { testReplicas(t, open(t)) })
	t.Run("LedgerReplicaCatchUp", func(t *testing.T) { testReplicaCatchUp(t, open(t)) })
	t.Run("Vault", func(t *testing.T) { testVault(t, open(t)) })
	t.Run("Access", func(t *testing.T) { testAccess(t, open(t)) })
	t.Run("Controls", func(t *testing.T) { testControls(t, open(t)) })
	t.Run("Records", func(t *testing.T) { testRecords(t, open(t)) })
}

func ev(i int) ledger.Event {
	return ledger.MustEvent("test.event", fmt.Sprintf("t%d", i%3), ledger.Actor{Kind: ledger.ActorService, ID: "suite"},
		map[string]any{"n": i}, ledger.Ref{Kind: "key", ID: fmt.Sprintf("k%d", i%5)})
}

func openLog(t *testing.T, st ledger.Store) *ledger.Log {
	t.Helper()
	l, err := ledger.Open(context.Background(), st, ledger.Options{BatchMax: 64})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func testAppendAndProve(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	const n = 700 // crosses two full tiles and leaves a partial one
	idx := make([]uint64, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got, err := l.Append(ctx, ev(i))
			if err != nil {
				errs <- err
				return
			}
			idx[i] = got
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("append: %v", err)
	}
	seen := map[uint64]bool{}
	for _, x := range idx {
		if seen[x] || x >= n {
			t.Fatalf("index %d repeated or out of range", x)
		}
		seen[x] = true
	}
	size, root := l.Head()
	if size != n {
		t.Fatalf("size = %d, want %d", size, n)
	}
	for _, i := range []uint64{0, 1, 255, 256, 511, 512, 699} {
		es, err := st.LedgerEntries(ctx, i, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("entry %d: %v", i, err)
		}
		p, err := l.InclusionProof(ctx, i, size)
		if err != nil {
			t.Fatalf("prove %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, int64(size), root, int64(i), tlog.RecordHash(es[0].Data)); err != nil {
			t.Fatalf("inclusion proof of %d does not verify: %v", i, err)
		}
	}
	for _, old := range []uint64{1, 7, 256, 300, 512, 699} {
		oldRoot, err := l.RootAt(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.ConsistencyProof(ctx, old, size)
		if err != nil {
			t.Fatalf("consistency %d: %v", old, err)
		}
		if err := tlog.CheckTree(p, int64(size), root, int64(old), oldRoot); err != nil {
			t.Fatalf("consistency proof %d→%d does not verify: %v", old, size, err)
		}
	}
	testTileHashes(t, st)
	if _, err := l.InclusionProof(ctx, n, n); !errors.Is(err, ledger.ErrBadRange) {
		t.Fatalf("proof past the end: got %v, want ErrBadRange", err)
	}
}

// testTileHashes checks that reading hashes out of a tile returns the same
// bytes as reading the whole tile.
func testTileHashes(t *testing.T, st Store) {
	ctx := context.Background()
	for _, ti := range []uint64{0, 1} {
		w, data, err := st.LedgerTile(ctx, 0, ti)
		if err != nil {
			t.Fatalf("tile 0/%d: %v", ti, err)
		}
		last := len(data) - tlog.HashSize
		for _, offs := range [][]int{{0}, {last}, {32, 0, 8192, last}, {0, 32, 64, 96, 128, 160, 192, last}} {
			gw, got, err := st.LedgerTileHashes(ctx, 0, ti, offs)
			if err != nil {
				t.Fatalf("tile 0/%d hashes %v: %v", ti, offs, err)
			}
			var want []byte
			for _, o := range offs {
				want = append(want, data[o:o+tlog.HashSize]...)
			}
			if gw != w || !bytes.Equal(got, want) {
				t.Fatalf("tile 0/%d hashes %v: width %d, %x; want width %d, %x", ti, offs, gw, got, w, want)
			}
		}
	}
	if _, _, err := st.LedgerTileHashes(ctx, 0, 99, []int{0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("hashes of a missing tile: got %v, want ErrNotFound", err)
	}
}

func testReload(t *testing.T, st Store) {
	ctx := context.Background()
	l, err := ledger.Open(ctx, st, ledger.Options{BatchMax: 7})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if _, err := l.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	_, root1 := l.Head()
	l.Close()
	l2 := openLog(t, st)
	size, root2 := l2.Head()
	if size != 300 || root1 != root2 {
		t.Fatalf("after reload size %d root changed=%v", size, root1 != root2)
	}
	for i := 300; i < 600; i++ {
		if _, err := l2.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The same 600 events appended in one log give the same root.
	ref := refRoot(t, st, 600)
	if _, r := l2.Head(); r != ref {
		t.Fatalf("root after reload and append differs from a recomputation")
	}
}

// refRoot recomputes the root of the first n entries straight from their
// data with tlog's own hashing, independent of the tiles.
func refRoot(t *testing.T, st Store, n uint64) tlog.Hash {
	t.Helper()
	ctx := context.Background()
	var hashes []tlog.Hash
	for i := uint64(0); i < n; i++ {
		es, err := st.LedgerEntries(ctx, i, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("entry %d missing: %v", i, err)
		}
		hs, err := tlog.StoredHashes(int64(i), es[0].Data, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(ix))
			for j, x := range ix {
				out[j] = hashes[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	h, err := tlog.TreeHash(int64(n), tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for j, x := range ix {
			out[j] = hashes[x]
		}
		return out, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testQuery(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	start := time.Now()
	for i := 0; i < 60; i++ {
		typ := "test.event"
		if i%2 == 1 {
			typ = "test.other"
		}
		e := ev(i)
		e.Type = typ
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		q    ledger.Query
		want int
	}{
		{"all", ledger.Query{Limit: 1000}, 60},
		{"type", ledger.Query{Type: "test.other", Limit: 1000}, 30},
		{"tenant", ledger.Query{Tenant: "t0", Limit: 1000}, 20},
		{"subject", ledger.Query{Subject: &ledger.Ref{Kind: "key", ID: "k1"}, Limit: 1000}, 12},
		{"type+tenant", ledger.Query{Type: "test.event", Tenant: "t1", Limit: 1000}, 10},
		{"time", ledger.Query{From: start.Add(-time.Minute), To: time.Now().Add(time.Minute), Limit: 1000}, 60},
		{"future", ledger.Query{From: time.Now().Add(time.Hour), Limit: 1000}, 0},
	}
	for _, c := range cases {
		got, err := st.QueryLedger(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != c.want {
			t.Errorf("%s: %d entries, want %d", c.name, len(got), c.want)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Index <= got[i-1].Index {
				t.Errorf("%s: not in index order", c.name)
			}
		}
	}
	// Keyset paging visits every entry exactly once.
	var after *uint64
	seen := 0
	for {
		page, err := st.QueryLedger(ctx, ledger.Query{Type: "test.event", After: after, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen += len(page)
		last := page[len(page)-1].Index
		after = &last
	}
	if seen != 30 {
		t.Fatalf("paging saw %d entries, want 30", seen)
	}
}

func testConflict(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	if _, err := l.Append(ctx, ev(1)); err != nil {
		t.Fatal(err)
	}
	// A batch prepared against a stale head must be refused whole.
	b := &ledger.Batch{OldSize: 0, NewSize: 1, Entries: []ledger.BatchEntry{{Index: 0, Type: "x.y", Tenant: "t", Time: time.Now(), Data: []byte("{}")}}}
	if err := st.AppendLedger(ctx, b); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("stale batch: got %v, want ErrConflict", err)
	}
	if size, _, _ := st.LedgerHead(ctx); size != 1 {
		t.Fatalf("size after refused batch = %d, want 1", size)
	}
}

func testCheckpoints(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	skey, vkey, err := note.GenerateKey(nil, "attest.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	s := ledger.NewSigner(l, signer)
	if _, err := st.LatestCheckpoint(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("latest of none: %v", err)
	}
	var sizes []uint64
	for round := 0; round < 3; round++ {
		for i := 0; i < 10; i++ {
			if _, err := l.Append(ctx, ev(i)); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.Publish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		size, root, err := ledger.OpenCheckpoint(c.Note, vkey)
		if err != nil {
			t.Fatalf("checkpoint does not verify: %v", err)
		}
		if _, want := l.Head(); root != want || size != c.Size {
			t.Fatalf("checkpoint disagrees with the head")
		}
		sizes = append(sizes, size)
	}
	again, err := s.Publish(ctx)
	if err != nil || again.Size != sizes[2] {
		t.Fatalf("republish without change: %v size %d", err, again.Size)
	}
	all, err := st.Checkpoints(ctx, 0, 1<<40)
	if err != nil || len(all) != 3 {
		t.Fatalf("checkpoints: %d, %v", len(all), err)
	}
	some, _ := st.Checkpoints(ctx, 11, 25)
	if len(some) != 1 || some[0].Size != 20 {
		t.Fatalf("checkpoint range: %+v", some)
	}
}

// testCosignatures adds witness signature lines to stored checkpoints: the
// log's signature must still verify, every reader must see the lines, a
// key's second line must be dropped, and concurrent additions must all
// land.
func testCosignatures(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	skey, vkey, err := note.GenerateKey(nil, "attest.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	s := ledger.NewSigner(l, signer)
	var cps []ledger.Checkpoint
	for round := 0; round < 2; round++ {
		if _, err := l.Append(ctx, ev(round)); err != nil {
			t.Fatal(err)
		}
		c, err := s.Publish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, c)
	}
	cosign := func(t *testing.T, name string, c ledger.Checkpoint) []byte {
		wskey, _, err := note.GenerateKey(nil, name)
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := note.NewSigner(wskey)
		n, err := note.Sign(&note.Note{Text: string(c.Note[:bytes.LastIndex(c.Note, []byte("\n\n"))+1])}, ws)
		if err != nil {
			t.Fatal(err)
		}
		return n[bytes.LastIndex(n, []byte("\n\n"))+2:]
	}
	first := cosign(t, "witness.test/a", cps[1])
	if err := st.AddCosignatures(ctx, cps[1].Size, first); err != nil {
		t.Fatalf("add cosignature: %v", err)
	}
	latest, err := st.LatestCheckpoint(ctx)
	if err != nil || !bytes.Equal(latest.Note, append(bytes.Clone(cps[1].Note), first...)) {
		t.Fatalf("latest checkpoint after adding a cosignature: %v\n%s", err, latest.Note)
	}
	if _, _, err := ledger.OpenCheckpoint(latest.Note, vkey); err != nil {
		t.Fatalf("the log's signature no longer verifies: %v", err)
	}
	// The same key again, even with another signature, is dropped.
	if err := st.AddCosignatures(ctx, cps[1].Size, first); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.LatestCheckpoint(ctx); !bytes.Equal(again.Note, latest.Note) {
		t.Fatalf("a repeated cosignature was stored twice:\n%s", again.Note)
	}
	// Concurrent additions by different witnesses all land.
	var wg sync.WaitGroup
	lines := [][]byte{cosign(t, "witness.test/b", cps[1]), cosign(t, "witness.test/c", cps[1])}
	errs := make(chan error, len(lines))
	for _, line := range lines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- st.AddCosignatures(ctx, cps[1].Size, line)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.Checkpoints(ctx, 0, 1<<40)
	if err != nil || len(all) != 2 {
		t.Fatalf("checkpoints: %d, %v", len(all), err)
	}
	if !bytes.Equal(all[0].Note, cps[0].Note) {
		t.Fatalf("another checkpoint changed:\n%s", all[0].Note)
	}
	for _, want := range append(lines, first) {
		if !bytes.Contains(all[1].Note, want) {
			t.Fatalf("cosignature %q is missing from\n%s", want, all[1].Note)
		}
	}
	if err := st.AddCosignatures(ctx, 999, first); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("cosignature of a missing checkpoint: got %v, want ErrNotFound", err)
	}
	if err := st.AddCosignatures(ctx, cps[1].Size, []byte("not a signature\n")); err == nil {
		t.Fatal("malformed signature lines were stored")
	}
}

// testReplicas opens two logs over one store, as two replicas would, and
// checks that interleaved appends stay one consistent tree.
func testReplicas(t *testing.T, st Store) {
	ctx := context.Background()
	a := openLog(t, st)
	b := openLog(t, st)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l := a
			if w%2 == 1 {
				l = b
			}
			for i := 0; i < 40; i++ {
				if _, err := l.Append(ctx, ev(w*100+i)); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	size, root, err := st.LedgerHead(ctx)
	if err != nil || size != 320 {
		t.Fatalf("head %d, %v", size, err)
	}
	if ref := refRoot(t, st, size); ref != root {
		t.Fatalf("stored root differs from recomputation after interleaved replicas")
	}
}

// testReplicaCatchUp has one replica append while another stays idle, as a
// replica behind a load balancer may: the idle one must still prove the
// entries, serve their tiles and agree on the root, reading what the other
// committed, and its readers must not race its own appends.
func testReplicaCatchUp(t *testing.T, st Store) {
	ctx := context.Background()
	a := openLog(t, st)
	b := openLog(t, st)
	for i := 0; i < 300; i++ {
		if _, err := a.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	size, root, err := st.LedgerHead(ctx)
	if err != nil || size != 300 {
		t.Fatalf("head %d, %v", size, err)
	}
	if b.Size() != 0 {
		t.Fatalf("the idle replica knows %d entries before anything asked", b.Size())
	}
	// A proof against the other replica's head.
	es, err := st.LedgerEntries(ctx, 299, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.InclusionProof(ctx, 299, size)
	if err != nil {
		t.Fatalf("inclusion proof on the idle replica: %v", err)
	}
	if err := tlog.CheckRecord(p, int64(size), root, 299, tlog.RecordHash(es[0].Data)); err != nil {
		t.Fatalf("the idle replica's proof does not verify: %v", err)
	}
	if got, _ := b.Head(); got != size {
		t.Fatalf("after catching up the idle replica knows %d entries, want %d", got, size)
	}
	// Consistency, roots and tiles for what the other replica adds next.
	for i := 300; i < 520; i++ {
		if _, err := a.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	newSize, newRoot, _ := st.LedgerHead(ctx)
	cp, err := b.ConsistencyProof(ctx, size, newSize)
	if err != nil {
		t.Fatalf("consistency proof on the idle replica: %v", err)
	}
	if err := tlog.CheckTree(cp, int64(newSize), newRoot, int64(size), root); err != nil {
		t.Fatalf("the idle replica's consistency proof does not verify: %v", err)
	}
	for i := 520; i < 530; i++ {
		a.Append(ctx, ev(i))
	}
	if got, err := b.RootAt(ctx, 530); err != nil || got != refRoot(t, st, 530) {
		t.Fatalf("root at 530 on the idle replica: %v", err)
	}
	a.Append(ctx, ev(530))
	if tile, err := b.Tile(ctx, 0, 2, 531-512); err != nil || len(tile) != 19*tlog.HashSize {
		t.Fatalf("partial tile on the idle replica: %d bytes, %v", len(tile), err)
	}
	// Latest reads the shared head, whoever appended last.
	a.Append(ctx, ev(531))
	if n, err := b.Latest(ctx); err != nil || n != 532 || b.Size() != 532 {
		t.Fatalf("latest on the idle replica: %d (knows %d), %v; want 532", n, b.Size(), err)
	}
	// Beyond every replica's tree is still out of range.
	if _, err := b.InclusionProof(ctx, 0, 10000); !errors.Is(err, ledger.ErrBadRange) {
		t.Fatalf("a proof beyond the tree: %v", err)
	}
	// Readers catching up while the replica appends itself.
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				l := a
				if (w+i)%2 == 0 {
					l = b
				}
				n, err := l.Append(ctx, ev(1000+w*100+i))
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				other := b
				if l == b {
					other = a
				}
				if _, err := other.InclusionProof(ctx, n, n+1); err != nil {
					t.Errorf("the other replica cannot prove entry %d just appended: %v", n, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	size, root, _ = st.LedgerHead(ctx)
	if ref := refRoot(t, st, size); ref != root {
		t.Fatal("stored root differs from recomputation after catch-ups")
	}
}
