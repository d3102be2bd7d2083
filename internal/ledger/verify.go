package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Source is what a verifier reads: the live store or an exported bundle.
type Source interface {
	// Head is the size and root the source claims.
	Head(ctx context.Context) (uint64, tlog.Hash, error)
	Entries(ctx context.Context, start uint64, n int) ([]RawEntry, error)
	// Tile returns a stored tile: fat (with interior nodes) or a plain
	// C2SP tile body, as the source keeps it.
	Tile(ctx context.Context, level, index uint64, width int) (data []byte, fat bool, err error)
	// Checkpoints returns every signed checkpoint the source holds.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
}

// TamperError names the first index where the log disagrees with itself.
type TamperError struct {
	Index  uint64
	Reason string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("ledger verification failed at index %d: %s", e.Index, e.Reason)
}

// VerifyReport summarizes a successful verification.
type VerifyReport struct {
	Size        uint64
	Root        tlog.Hash
	Checkpoints int
	// Newest is the signed note of the largest checkpoint, with any
	// witness cosignatures, for checks of who cosigned it.
	Newest []byte
}

// Verify recomputes every leaf hash and tile from the entries, compares
// them with what the source stores, and checks every checkpoint signature
// and root. Memory stays constant: only the right edge is kept.
func Verify(ctx context.Context, src Source, vkey string, progress func(done, total uint64)) (VerifyReport, error) {
	return verify(ctx, src, vkey, progress, nil)
}

// sink receives what verify has read and checked, so that an export needs
// only one pass over the log: entries in index order, and each tile once
// it matched its recomputed value. Nothing it received counts as verified
// until verify returns without error.
type sink interface {
	entries(es []RawEntry) error
	tile(w TileWrite) error
}

// verifyChunk is how many entries verify reads at a time.
const verifyChunk = 4096

// leafChunk is a run of entries with their leaf hashes.
type leafChunk struct {
	start  uint64
	want   int
	es     []RawEntry
	leaves []tlog.Hash
	err    error
}

// readLeaves reads entries [0, size) ahead of the verifier and hashes them,
// so that reading, hashing and building the tree overlap.
func readLeaves(ctx context.Context, src Source, size uint64) <-chan leafChunk {
	out := make(chan leafChunk, 4)
	go func() {
		defer close(out)
		for next := uint64(0); next < size; next += verifyChunk {
			c := leafChunk{start: next, want: int(min(verifyChunk, size-next))}
			c.es, c.err = src.Entries(ctx, next, c.want)
			if c.err == nil {
				c.leaves = make([]tlog.Hash, len(c.es))
				for i, e := range c.es {
					c.leaves[i] = tlog.RecordHash(e.Data)
				}
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
			if c.err != nil || len(c.es) < c.want {
				return
			}
		}
	}()
	return out
}

func verify(ctx context.Context, src Source, vkey string, progress func(done, total uint64), out sink) (VerifyReport, error) {
	size, root, err := src.Head(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("read head: %w", err)
	}
	cps, err := src.Checkpoints(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("read checkpoints: %w", err)
	}
	type cpAt struct {
		size uint64
		root tlog.Hash
	}
	var want []cpAt
	var newest []byte
	var newestSize uint64
	for _, c := range cps {
		s, r, err := OpenCheckpoint(c.Note, vkey)
		if err != nil {
			return VerifyReport{}, fmt.Errorf("checkpoint of size %d: %w", c.Size, err)
		}
		if newest == nil || s >= newestSize {
			newest, newestSize = c.Note, s
		}
		if s > size {
			return VerifyReport{}, &TamperError{Index: size, Reason: fmt.Sprintf("a signed checkpoint covers %d entries but the log holds %d: entries from %d on were removed", s, size, size)}
		}
		want = append(want, cpAt{s, r})
	}
	e := &edge{}
	ci := 0
	checkCheckpoints := func() error {
		for ci < len(want) && want[ci].size <= e.size {
			if want[ci].size == e.size {
				got, err := tlog.TreeHash(int64(e.size), edgeReader{e})
				if err != nil {
					return err
				}
				if got != want[ci].root {
					return &TamperError{Index: e.size - 1, Reason: fmt.Sprintf("the root of the first %d entries does not match the signed checkpoint", e.size)}
				}
			}
			ci++
		}
		return nil
	}
	if err := checkCheckpoints(); err != nil {
		return VerifyReport{}, err
	}
	checkTile := func(w TileWrite) error {
		if err := compareTile(ctx, src, w); err != nil {
			return err
		}
		if out != nil {
			return out.tile(w)
		}
		return nil
	}
	rctx, cancel := context.WithCancel(ctx)
	chunks := readLeaves(rctx, src, size)
	defer func() {
		// Stop the reader and wait for it, so no read outlives the call.
		cancel()
		for range chunks {
		}
	}()
	next := uint64(0)
	for c := range chunks {
		if c.err != nil {
			return VerifyReport{}, fmt.Errorf("read entries from %d: %w", c.start, c.err)
		}
		for i, re := range c.es {
			if re.Index != next {
				return VerifyReport{}, &TamperError{Index: next, Reason: "entry is missing"}
			}
			// One leaf at a time, so checkpoints inside a chunk are checked
			// at their exact size; only completed tiles are compared here.
			var terr error
			e.appendLeaf(c.leaves[i], func(w TileWrite) {
				if terr == nil {
					terr = checkTile(w)
				}
			})
			if terr != nil {
				return VerifyReport{}, terr
			}
			next++
			if err := checkCheckpoints(); err != nil {
				return VerifyReport{}, err
			}
		}
		if len(c.es) < c.want {
			return VerifyReport{}, &TamperError{Index: next, Reason: "entry is missing (the log was truncated or an entry deleted)"}
		}
		if out != nil {
			if err := out.entries(c.es); err != nil {
				return VerifyReport{}, err
			}
		}
		if progress != nil {
			progress(next, size)
		}
		if err := ctx.Err(); err != nil {
			return VerifyReport{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return VerifyReport{}, err
	}
	if next < size {
		return VerifyReport{}, &TamperError{Index: next, Reason: "entry is missing (the log was truncated or an entry deleted)"}
	}
	if extra, err := src.Entries(ctx, size, 1); err == nil && len(extra) > 0 {
		return VerifyReport{}, &TamperError{Index: size, Reason: "an entry exists beyond the recorded head"}
	}
	for level, t := range e.tiles {
		if t.width() == 0 {
			continue
		}
		w := TileWrite{Level: uint64(level), Index: edgeTileIndex(e.size, level), Width: t.width(), Data: t.encode()}
		if err := checkTile(w); err != nil {
			return VerifyReport{}, err
		}
	}
	got, err := tlog.TreeHash(int64(e.size), edgeReader{e})
	if err != nil {
		return VerifyReport{}, err
	}
	if got != root {
		return VerifyReport{}, &TamperError{Index: max(size, 1) - 1, Reason: "the recorded head root does not match the entries"}
	}
	if ci < len(want) {
		return VerifyReport{}, fmt.Errorf("checkpoint of size %d was not reached", want[ci].size)
	}
	return VerifyReport{Size: size, Root: root, Checkpoints: len(want), Newest: newest}, nil
}

// compareTile checks a recomputed tile against the stored one and names the
// first leaf index under the first differing hash.
func compareTile(ctx context.Context, src Source, w TileWrite) error {
	first := w.Index * tileWidth << (TileHeight * w.Level)
	leafOf := func(pos int) uint64 { return first + uint64(pos)<<(TileHeight*w.Level) }
	data, fat, err := src.Tile(ctx, w.Level, w.Index, w.Width)
	if errors.Is(err, ErrNotFound) {
		return &TamperError{Index: first, Reason: fmt.Sprintf("stored tile %d/%d is missing", w.Level, w.Index)}
	}
	if err != nil {
		return fmt.Errorf("read tile %d/%d: %w", w.Level, w.Index, err)
	}
	want := w.Data
	if !fat {
		want = baseBytes(w.Width, w.Data)
	}
	if len(data) < len(want) {
		return &TamperError{Index: first, Reason: fmt.Sprintf("stored tile %d/%d is short", w.Level, w.Index)}
	}
	if !fat && len(data) != len(want) {
		return &TamperError{Index: first, Reason: fmt.Sprintf("stored tile %d/%d has the wrong length", w.Level, w.Index)}
	}
	if bytes.Equal(data[:len(want)], want) {
		return nil
	}
	for i := 0; i < len(want); i += tlog.HashSize {
		if !bytes.Equal(data[i:i+tlog.HashSize], want[i:i+tlog.HashSize]) {
			pos := i / tlog.HashSize
			if pos < w.Width {
				what := "entry's leaf hash"
				if w.Level > 0 {
					what = "subtree hash"
				}
				return &TamperError{Index: leafOf(pos), Reason: fmt.Sprintf("the %s differs from the stored hash in tile %d/%d (entry altered, reordered, or stored hash replaced)", what, w.Level, w.Index)}
			}
			return &TamperError{Index: first, Reason: fmt.Sprintf("an interior hash stored in tile %d/%d was replaced", w.Level, w.Index)}
		}
	}
	return nil
}

// StoreSource adapts a Store for Verify.
type StoreSource struct{ Store Store }

var _ Source = StoreSource{}

// Head implements Source.
func (s StoreSource) Head(ctx context.Context) (uint64, tlog.Hash, error) {
	return s.Store.LedgerHead(ctx)
}

// Entries implements Source.
func (s StoreSource) Entries(ctx context.Context, start uint64, n int) ([]RawEntry, error) {
	return s.Store.LedgerEntries(ctx, start, n)
}

// Tile implements Source.
func (s StoreSource) Tile(ctx context.Context, level, index uint64, width int) ([]byte, bool, error) {
	w, data, err := s.Store.LedgerTile(ctx, level, index)
	if err != nil {
		return nil, false, err
	}
	if w < width {
		return nil, false, &TamperError{Index: index * tileWidth << (TileHeight * level), Reason: fmt.Sprintf("stored tile %d/%d has width %d, want %d", level, index, w, width)}
	}
	if w != width {
		// A wider tile than the head needs: compare the prefix of each level.
		t, err := decodeFatTile(w, data)
		if err != nil {
			return nil, false, err
		}
		for k := range t.lv {
			t.lv[k] = t.lv[k][:width>>k]
		}
		return t.encode(), true, nil
	}
	return data, true, nil
}

// Checkpoints implements Source.
func (s StoreSource) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	return s.Store.Checkpoints(ctx, 0, 1<<62)
}
