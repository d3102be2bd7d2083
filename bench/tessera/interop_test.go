// Package interop checks that Tessera's own C2SP tlog-tiles client, with no
// attest code on the verifying side, can read and verify an attest ledger
// served over HTTP.
package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// server is an attest process started in-process, seen through Tessera's
// HTTP fetcher.
type server struct {
	a      *app.App
	root   *url.URL
	fetch  *client.HTTPFetcher
	verify note.Verifier
	origin string
}

func startAttest(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatalf("open attest: %v", err)
	}
	srv := httptest.NewServer(a.Web)
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	root, err := url.Parse(srv.URL + "/ledger/")
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.NewHTTPFetcher(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.SetAuthorizationHeader("Bearer " + a.AdminToken)
	// The verifier key reaches a real client out of band; here it comes
	// straight from the process.
	v, err := note.NewVerifier(a.VKey)
	if err != nil {
		t.Fatalf("attest verifier key %q: %v", a.VKey, err)
	}
	return &server{a: a, root: root, fetch: f, verify: v, origin: a.Signer.Origin()}
}

// grow appends events until the log holds size entries. Appends run
// concurrently so group commit keeps the test fast.
func (s *server) grow(t *testing.T, size uint64) {
	t.Helper()
	have := s.a.Log.Size()
	if have > size {
		t.Fatalf("log already holds %d entries, more than the %d asked for", have, size)
	}
	const workers = 32
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	next := make(chan uint64)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				e := ledger.MustEvent("demo.x", "default", ledger.Actor{Kind: "service", ID: "t"}, map[string]uint64{"i": i})
				if _, err := s.a.Log.Append(context.Background(), e); err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	for i := have; i < size; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatalf("append: %v", err)
	default:
	}
	if got := s.a.Log.Size(); got != size {
		t.Fatalf("log size %d after growing, want %d", got, size)
	}
}

// publish signs a checkpoint and reads it back the way any client would.
func (s *server) publish(t *testing.T) (*log.Checkpoint, []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.a.Signer.Publish(ctx); err != nil {
		t.Fatalf("publish checkpoint: %v", err)
	}
	cp, raw, _, err := client.FetchCheckpoint(ctx, s.fetch.ReadCheckpoint, s.verify, s.origin)
	if err != nil {
		t.Fatalf("tessera client rejects attest's checkpoint: %v", err)
	}
	return cp, raw
}

// indexes picks leaves at tile edges and in the middle of the tree.
func indexes(size uint64) []uint64 {
	var out []uint64
	for _, i := range []uint64{0, 1, 127, 254, 255, 256, 257, 511, 512, 600, size / 2, size - 1} {
		if i < size && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// proveInclusion fetches leaf i's entry bundle and an inclusion proof built
// from tiles, and verifies both against cp with RFC 6962 hashing.
func proveInclusion(ctx context.Context, bundles client.EntryBundleFetcherFunc, cp *log.Checkpoint, pb *client.ProofBuilder, i uint64) ([]byte, error) {
	b, err := client.GetEntryBundle(ctx, bundles, i/256, cp.Size)
	if err != nil {
		return nil, err
	}
	if want := min(256, cp.Size-i/256*256); uint64(len(b.Entries)) != want {
		return nil, fmt.Errorf("entry bundle %d holds %d entries, the checkpoint implies %d", i/256, len(b.Entries), want)
	}
	entry := b.Entries[i%256]
	p, err := pb.InclusionProof(ctx, i)
	if err != nil {
		return nil, err
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, cp.Size, rfc6962.DefaultHasher.HashLeaf(entry), p, cp.Hash); err != nil {
		return nil, err
	}
	return entry, nil
}

func TestTesseraClientVerifiesInclusionAndConsistency(t *testing.T) {
	ctx := context.Background()
	s := startAttest(t)
	var tracker *client.LogStateTracker
	var seen []*log.Checkpoint
	for _, size := range []uint64{1, 255, 256, 257, 700} {
		s.grow(t, size)
		cp, raw := s.publish(t)
		if cp.Size != size || cp.Origin != s.origin {
			t.Fatalf("checkpoint says origin %q size %d, want %q %d", cp.Origin, cp.Size, s.origin, size)
		}
		// The tracker proves each new checkpoint consistent with the last
		// one it accepted, as a monitoring client would.
		if tracker == nil {
			var err error
			if tracker, err = client.NewLogStateTracker(ctx, s.fetch.ReadTile, raw, s.verify, s.origin, client.UnilateralConsensus(s.fetch.ReadCheckpoint)); err != nil {
				t.Fatalf("tracker: %v", err)
			}
		} else if _, _, _, err := tracker.Update(ctx); err != nil {
			t.Fatalf("tracker update to size %d: %v", size, err)
		}
		if got := tracker.Latest().Size; got != size {
			t.Fatalf("tracker at size %d, want %d", got, size)
		}

		pb, err := client.NewProofBuilder(ctx, cp.Size, s.fetch.ReadTile)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range indexes(size) {
			entry, err := proveInclusion(ctx, s.fetch.ReadEntryBundle, cp, pb, i)
			if err != nil {
				t.Fatalf("size %d: inclusion of leaf %d: %v", size, i, err)
			}
			want, err := s.a.Log.LeafHash(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			if got := rfc6962.DefaultHasher.HashLeaf(entry); !bytes.Equal(got, want[:]) {
				t.Fatalf("size %d: leaf %d hashes to %x over HTTP but %x in the ledger", size, i, got, want)
			}
			var ev ledger.Event
			if err := json.Unmarshal(entry, &ev); err != nil || ev.Type == "" {
				t.Fatalf("size %d: leaf %d is not an event: %v %q", size, i, err, entry)
			}
		}
		for _, old := range seen {
			p, err := pb.ConsistencyProof(ctx, old.Size, cp.Size)
			if err != nil {
				t.Fatalf("consistency %d→%d: %v", old.Size, cp.Size, err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, cp.Size, p, old.Hash, cp.Hash); err != nil {
				t.Fatalf("consistency %d→%d does not verify: %v", old.Size, cp.Size, err)
			}
		}
		seen = append(seen, cp)
	}

	// A client that holds an old checkpoint must still verify against it
	// after the log has grown: it asks for partial tiles of the old size.
	for _, old := range seen {
		pb, err := client.NewProofBuilder(ctx, old.Size, s.fetch.ReadTile)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range indexes(old.Size) {
			if _, err := proveInclusion(ctx, s.fetch.ReadEntryBundle, old, pb, i); err != nil {
				t.Fatalf("old checkpoint size %d: inclusion of leaf %d: %v", old.Size, i, err)
			}
		}
	}
}

// flipLast corrupts the last byte of whatever a fetcher returns.
func flipLast(b []byte, err error) ([]byte, error) {
	if err != nil || len(b) == 0 {
		return b, err
	}
	b = bytes.Clone(b)
	b[len(b)-1] ^= 1
	return b, nil
}

// swapFirstTwo reorders the first two entries of a bundle.
func swapFirstTwo(raw []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	var b api.EntryBundle
	if err := b.UnmarshalText(raw); err != nil || len(b.Entries) < 2 {
		return raw, err
	}
	b.Entries[0], b.Entries[1] = b.Entries[1], b.Entries[0]
	var out []byte
	for _, e := range b.Entries {
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

// TestTesseraClientRejectsTampering shows the checks above have teeth: the
// same client code fails once any byte on the wire is wrong.
func TestTesseraClientRejectsTampering(t *testing.T) {
	ctx := context.Background()
	s := startAttest(t)
	s.grow(t, 700)
	cp, _ := s.publish(t)
	last := cp.Size - 1

	_, otherKey, err := note.GenerateKey(nil, s.origin)
	if err != nil {
		t.Fatal(err)
	}
	otherVerifier, err := note.NewVerifier(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
	}{
		{"checkpoint checked with another key of the same name", func() error {
			_, _, _, err := client.FetchCheckpoint(ctx, s.fetch.ReadCheckpoint, otherVerifier, s.origin)
			return err
		}},
		{"checkpoint checked for another origin", func() error {
			_, _, _, err := client.FetchCheckpoint(ctx, s.fetch.ReadCheckpoint, s.verify, "example.com/other-log")
			return err
		}},
		{"tile byte flipped", func() error {
			tiles := func(ctx context.Context, l, i uint64, p uint8) ([]byte, error) {
				return flipLast(s.fetch.ReadTile(ctx, l, i, p))
			}
			pb, err := client.NewProofBuilder(ctx, cp.Size, tiles)
			if err != nil {
				return err
			}
			_, err = proveInclusion(ctx, s.fetch.ReadEntryBundle, cp, pb, 3)
			return err
		}},
		{"entry byte flipped", func() error {
			bundles := func(ctx context.Context, i uint64, p uint8) ([]byte, error) {
				return flipLast(s.fetch.ReadEntryBundle(ctx, i, p))
			}
			pb, err := client.NewProofBuilder(ctx, cp.Size, s.fetch.ReadTile)
			if err != nil {
				return err
			}
			_, err = proveInclusion(ctx, bundles, cp, pb, last)
			return err
		}},
		{"two entries swapped", func() error {
			bundles := func(ctx context.Context, i uint64, p uint8) ([]byte, error) {
				return swapFirstTwo(s.fetch.ReadEntryBundle(ctx, i, p))
			}
			pb, err := client.NewProofBuilder(ctx, cp.Size, s.fetch.ReadTile)
			if err != nil {
				return err
			}
			_, err = proveInclusion(ctx, bundles, cp, pb, 0)
			return err
		}},
		{"no credential", func() error {
			anon, err := client.NewHTTPFetcher(s.root, nil)
			if err != nil {
				return err
			}
			_, _, _, err = client.FetchCheckpoint(ctx, anon.ReadCheckpoint, s.verify, s.origin)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err == nil {
				t.Fatal("verification passed on tampered input")
			}
		})
	}
}

// TestTilesAndBundlesAgree streams every entry bundle with the client's
// read-ahead adaptor, hashes each entry and compares the result with the
// level-0 tiles, so tiles and bundles are proven to describe one log.
func TestTilesAndBundlesAgree(t *testing.T) {
	ctx := context.Background()
	s := startAttest(t)
	s.grow(t, 700)
	cp, _ := s.publish(t)
	leaves, err := client.FetchLeafHashes(ctx, s.fetch.ReadTile, 0, cp.Size, cp.Size)
	if err != nil {
		t.Fatalf("leaf hashes from tiles: %v", err)
	}
	size := func(context.Context) (uint64, error) { return cp.Size, nil }
	unbundle := func(raw []byte) ([][]byte, error) {
		var b api.EntryBundle
		err := b.UnmarshalText(raw)
		return b.Entries, err
	}
	var n uint64
	for e, err := range client.Entries(client.EntryBundles(ctx, 2, size, s.fetch.ReadEntryBundle, 0, cp.Size), unbundle) {
		if err != nil {
			t.Fatalf("stream entries: %v", err)
		}
		if e.Index != n {
			t.Fatalf("stream yielded index %d, want %d", e.Index, n)
		}
		if got := rfc6962.DefaultHasher.HashLeaf(e.Entry); !bytes.Equal(got, leaves[n]) {
			t.Fatalf("leaf %d: bundle entry hashes to %x, tile says %x", n, got, leaves[n])
		}
		n++
	}
	if n != cp.Size {
		t.Fatalf("bundles hold %d entries, checkpoint says %d", n, cp.Size)
	}
}
