package main

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// batching is a Tessera queue setting. The zero value means Tessera's
// defaults (tessera.DefaultBatchMaxSize, tessera.DefaultBatchMaxAge).
type batching struct {
	Size uint
	Age  time.Duration
}

func (b batching) String() string {
	if b == (batching{}) {
		return fmt.Sprintf("default (%d, %v)", tessera.DefaultBatchMaxSize, tessera.DefaultBatchMaxAge)
	}
	return fmt.Sprintf("%d, %v", b.Size, b.Age)
}

// grid is the batching search for a writer count. Each adder has one entry
// in flight, so sizes are picked around the writer count: below it a batch
// fills while the previous one is written, above it the age decides.
func grid(writers int) []batching {
	var sizes []uint
	for _, s := range []int{writers / 8, writers / 4, writers / 2, writers, 4 * writers} {
		s = min(max(s, 8), 4096)
		if !slices.Contains(sizes, uint(s)) {
			sizes = append(sizes, uint(s))
		}
	}
	var out []batching
	for _, s := range sizes {
		for _, a := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 100 * time.Millisecond} {
			out = append(out, batching{Size: s, Age: a})
		}
	}
	return out
}

// tesseraLog is a Tessera log on POSIX storage.
type tesseraLog struct {
	add      tessera.AddFn
	reader   tessera.LogReader
	shutdown func(context.Context) error
	verifier note.Verifier
	origin   string
}

// keys is the checkpoint key pair every Tessera log in this run signs with.
type keys struct {
	signer   note.Signer
	verifier note.Verifier
}

func newKeys() (keys, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "tesseracmp.bench/log")
	if err != nil {
		return keys{}, err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return keys{}, err
	}
	v, err := note.NewVerifier(vkey)
	return keys{signer: s, verifier: v}, err
}

// openTessera opens a log in dir. A zero checkpoint interval keeps
// Tessera's default.
func openTessera(ctx context.Context, dir string, k keys, b batching, checkpoints time.Duration) (*tesseraLog, error) {
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		return nil, fmt.Errorf("tessera posix storage: %w", err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(k.signer)
	if b != (batching{}) {
		opts = opts.WithBatching(b.Size, b.Age)
	}
	if checkpoints > 0 {
		opts = opts.WithCheckpointInterval(checkpoints)
	}
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		return nil, fmt.Errorf("tessera appender: %w", err)
	}
	return &tesseraLog{add: a.Add, reader: r, shutdown: shutdown, verifier: k.verifier, origin: k.signer.Name()}, nil
}

// fill adds entries until every one has an index. Each adder encodes the
// same canonical event attest would, then waits on its future.
func (t *tesseraLog) fill(ctx context.Context, writers, n int, limit time.Duration) (result, error) {
	return load(writers, n, limit, func(i int) error {
		data, err := entry(i)
		if err != nil {
			return err
		}
		_, err = t.add(ctx, tessera.NewEntry(data))()
		return err
	})
}

// tesseraAppends runs one add measurement on a new log in base. The log's
// background work is cancelled afterwards rather than shut down: shutdown
// waits for a checkpoint, which Tessera publishes at most every 10 s, and
// every timed entry already has its index.
func tesseraAppends(ctx context.Context, base string, k keys, b batching, writers, n int, limit time.Duration) (result, error) {
	dir, err := os.MkdirTemp(base, "tessera-")
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		// Give Tessera's background writers a moment to see the
		// cancellation before their directory goes.
		cancel()
		time.Sleep(100 * time.Millisecond)
		os.RemoveAll(dir)
	}()
	t, err := openTessera(ctx, dir, k, b, 0)
	if err != nil {
		return result{}, err
	}
	r, err := t.fill(ctx, writers, n, limit)
	if err != nil {
		return r, err
	}
	if size, err := t.reader.IntegratedSize(ctx); err != nil || size != uint64(r.Done) {
		return r, fmt.Errorf("tessera integrated %d entries after %d indexes were returned (%v)", size, r.Done, err)
	}
	return r, nil
}

// tesseraProofs fills a log with size entries, waits for a checkpoint that
// covers them, then times building inclusion and consistency proofs from
// the log's own tile reader the way a Tessera personality serves them: a
// new ProofBuilder per proof. Each proof is verified outside the timing.
func tesseraProofs(ctx context.Context, base string, k keys, size, samples int) (inc, cons []time.Duration, err error) {
	dir, err := os.MkdirTemp(base, "tessera-proofs-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Only proofs are timed here, so the fill uses large batches and a short
	// checkpoint interval to get to a covering checkpoint sooner.
	t, err := openTessera(ctx, dir, k, batching{Size: 4096, Age: 50 * time.Millisecond}, time.Second)
	if err != nil {
		return nil, nil, err
	}
	if _, err := t.fill(ctx, 8192, size, 0); err != nil {
		return nil, nil, err
	}
	if err := t.shutdown(ctx); err != nil {
		return nil, nil, fmt.Errorf("tessera shutdown: %w", err)
	}
	raw, err := t.reader.ReadCheckpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	cp, _, _, err := log.ParseCheckpoint(raw, t.origin, t.verifier)
	if err != nil {
		return nil, nil, fmt.Errorf("tessera checkpoint: %w", err)
	}
	n, h := cp.Size, rfc6962.DefaultHasher
	for range samples {
		i := mrand.Uint64N(n)
		t0 := time.Now()
		pb, err := client.NewProofBuilder(ctx, n, t.reader.ReadTile)
		if err != nil {
			return nil, nil, err
		}
		p, err := pb.InclusionProof(ctx, i)
		inc = append(inc, time.Since(t0))
		if err != nil {
			return nil, nil, fmt.Errorf("tessera inclusion proof of %d in %d: %w", i, n, err)
		}
		b, err := client.GetEntryBundle(ctx, t.reader.ReadEntryBundle, i/256, n)
		if err != nil {
			return nil, nil, err
		}
		if err := proof.VerifyInclusion(h, i, n, h.HashLeaf(b.Entries[i%256]), p, cp.Hash); err != nil {
			return nil, nil, fmt.Errorf("tessera inclusion proof of %d in %d does not verify: %w", i, n, err)
		}

		m := 1 + mrand.Uint64N(n-1)
		t0 = time.Now()
		pb, err = client.NewProofBuilder(ctx, n, t.reader.ReadTile)
		if err != nil {
			return nil, nil, err
		}
		p, err = pb.ConsistencyProof(ctx, m, n)
		cons = append(cons, time.Since(t0))
		if err != nil {
			return nil, nil, fmt.Errorf("tessera consistency proof %d→%d: %w", m, n, err)
		}
		old, err := rootAt(ctx, t.reader, m, n)
		if err != nil {
			return nil, nil, err
		}
		if err := proof.VerifyConsistency(h, m, n, p, old, cp.Hash); err != nil {
			return nil, nil, fmt.Errorf("tessera consistency proof %d→%d does not verify: %w", m, n, err)
		}
	}
	return inc, cons, nil
}

// rootAt computes the root of the tree of size m < n from the tiles of the
// tree of size n. Tessera keeps partial tiles only for the newest size, so
// a smaller tile is cut from the current one: tile hashes only ever grow at
// the end.
func rootAt(ctx context.Context, r tessera.LogReader, m, n uint64) ([]byte, error) {
	tiles := func(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
		b, err := r.ReadTile(ctx, level, index, layout.PartialTileSize(level, index, n))
		if err != nil || p == 0 {
			return b, err
		}
		if len(b) < int(p)*32 {
			return nil, fmt.Errorf("tile %d/%d has %d bytes, fewer than %d hashes", level, index, len(b), p)
		}
		return b[:int(p)*32], nil
	}
	nodes, err := client.FetchRangeNodes(ctx, m, tiles)
	if err != nil {
		return nil, fmt.Errorf("tessera range nodes for size %d: %w", m, err)
	}
	cr, err := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewRange(0, m, nodes)
	if err != nil {
		return nil, err
	}
	return cr.GetRootHash(nil)
}
