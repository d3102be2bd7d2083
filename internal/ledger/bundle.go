package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// An exported bundle is a static C2SP tlog-tiles log on disk, so any tiles
// client can read it, plus every signed checkpoint and the verifier key:
//
//	checkpoint            the newest signed checkpoint
//	checkpoints/<size>    every signed checkpoint in the export
//	tile/<L>/<N>[.p/<W>]  hash tiles
//	tile/entries/<N>...   entry bundles (uint16 length-prefixed entries)
//	key.pub               the verifier key, for reference only
const bundleKeyFile = "key.pub"

// maxBundleEntry is the largest entry an entry bundle can frame.
const maxBundleEntry = 1<<16 - 1

// Export writes entries [0, size) of the log as a bundle in dir, where size
// is the newest checkpoint's size. progress, if set, is told how far it got.
func Export(ctx context.Context, st Store, vkey, dir string, progress func(done, total uint64)) (Checkpoint, error) {
	latest, err := st.LatestCheckpoint(ctx)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("no signed checkpoint to export (publish one with 'attest ledger checkpoint'): %w", err)
	}
	size := latest.Size
	// Refuse to export a log that does not verify up to that checkpoint.
	if _, err := Verify(ctx, prefixSource{StoreSource{st}, size, latest.Root}, vkey, nil); err != nil {
		return Checkpoint{}, fmt.Errorf("refusing to export: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "checkpoints"), 0o755); err != nil {
		return Checkpoint{}, fmt.Errorf("create bundle directory: %w", err)
	}
	cps, err := st.Checkpoints(ctx, 0, size)
	if err != nil {
		return Checkpoint{}, err
	}
	for _, c := range cps {
		if err := writeFile(dir, filepath.Join("checkpoints", strconv.FormatUint(c.Size, 10)), c.Note); err != nil {
			return Checkpoint{}, err
		}
	}
	if err := writeFile(dir, "checkpoint", latest.Note); err != nil {
		return Checkpoint{}, err
	}
	if err := writeFile(dir, bundleKeyFile, []byte(vkey+"\n")); err != nil {
		return Checkpoint{}, err
	}
	// Entry bundles.
	for start := uint64(0); start < size; start += tileWidth {
		n := int(min(tileWidth, size-start))
		es, err := st.LedgerEntries(ctx, start, n)
		if err != nil {
			return Checkpoint{}, err
		}
		if len(es) != n {
			return Checkpoint{}, fmt.Errorf("entries from %d: got %d of %d", start, len(es), n)
		}
		var buf []byte
		for _, e := range es {
			if len(e.Data) > maxBundleEntry {
				return Checkpoint{}, fmt.Errorf("entry %d is too large for an entry bundle", e.Index)
			}
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(e.Data)))
			buf = append(buf, e.Data...)
		}
		if err := writeFile(dir, FormatTilePath(-1, start/tileWidth, n), buf); err != nil {
			return Checkpoint{}, err
		}
		if progress != nil {
			progress(start+uint64(n), size)
		}
	}
	// Hash tiles at every level.
	for level := 0; level < edgeLevels(size); level++ {
		count := size >> (TileHeight * level)
		for idx := uint64(0); idx*tileWidth < count; idx++ {
			w := int(min(tileWidth, count-idx*tileWidth))
			data, _, err := StoreSource{st}.Tile(ctx, uint64(level), idx, w)
			if err != nil {
				return Checkpoint{}, err
			}
			if err := writeFile(dir, FormatTilePath(level, idx, w), baseBytes(w, data)); err != nil {
				return Checkpoint{}, err
			}
		}
	}
	return latest, nil
}

func writeFile(dir, rel string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// prefixSource presents the first size entries of a source as a whole log.
type prefixSource struct {
	Source
	size uint64
	root tlog.Hash
}

func (p prefixSource) Head(context.Context) (uint64, tlog.Hash, error) { return p.size, p.root, nil }

func (p prefixSource) Entries(ctx context.Context, start uint64, n int) ([]RawEntry, error) {
	if start >= p.size {
		return nil, nil
	}
	return p.Source.Entries(ctx, start, int(min(uint64(n), p.size-start)))
}

func (p prefixSource) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	cps, err := p.Source.Checkpoints(ctx)
	var out []Checkpoint
	for _, c := range cps {
		if c.Size <= p.size {
			out = append(out, c)
		}
	}
	return out, err
}

// BundleSource reads an exported bundle for offline verification. Its head
// is the bundle's newest checkpoint, which Verify checks against the key.
type BundleSource struct {
	FS fs.FS
}

var _ Source = BundleSource{}

// OpenBundle opens a bundle directory.
func OpenBundle(dir string) (BundleSource, error) {
	if _, err := os.Stat(filepath.Join(dir, "checkpoint")); err != nil {
		return BundleSource{}, fmt.Errorf("%s is not a ledger bundle (no checkpoint file); create one with 'attest ledger export --out DIR': %w", dir, err)
	}
	return BundleSource{FS: os.DirFS(dir)}, nil
}

// BundleKey is the verifier key stored in the bundle, for reference only.
func (b BundleSource) BundleKey() (string, error) {
	k, err := fs.ReadFile(b.FS, bundleKeyFile)
	return strings.TrimSpace(string(k)), err
}

// Head implements Source: the size and root of the newest checkpoint.
func (b BundleSource) Head(context.Context) (uint64, tlog.Hash, error) {
	note, err := fs.ReadFile(b.FS, "checkpoint")
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	return parseUnverifiedCheckpoint(note)
}

// parseUnverifiedCheckpoint reads size and root; Verify checks the
// signature separately through Checkpoints.
func parseUnverifiedCheckpoint(note []byte) (uint64, tlog.Hash, error) {
	lines := strings.SplitN(string(note), "\n", 4)
	if len(lines) < 4 {
		return 0, tlog.Hash{}, errors.New("checkpoint is not origin, size and root lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint size: %w", err)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint root: %w", err)
	}
	return size, h, nil
}

// Entries implements Source.
func (b BundleSource) Entries(_ context.Context, start uint64, n int) ([]RawEntry, error) {
	size, _, err := b.Head(context.Background())
	if err != nil {
		return nil, err
	}
	var out []RawEntry
	for i := start; i < start+uint64(n) && i < size; {
		bi := i / tileWidth
		w := int(min(tileWidth, size-bi*tileWidth))
		data, err := fs.ReadFile(b.FS, FormatTilePath(-1, bi, w))
		if errors.Is(err, fs.ErrNotExist) {
			return out, nil // Verify reports the first missing index
		}
		if err != nil {
			return nil, err
		}
		es, err := parseEntryBundle(data)
		if err != nil {
			return nil, fmt.Errorf("entry bundle %d: %w", bi, err)
		}
		for j, e := range es {
			idx := bi*tileWidth + uint64(j)
			if idx >= i && idx < start+uint64(n) {
				out = append(out, RawEntry{Index: idx, Data: e})
			}
		}
		i = (bi + 1) * tileWidth
	}
	return out, nil
}

// parseEntryBundle splits a C2SP entry bundle into entries.
func parseEntryBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, errors.New("truncated length prefix")
		}
		n := int(binary.BigEndian.Uint16(data))
		data = data[2:]
		if len(data) < n {
			return nil, fmt.Errorf("entry %d claims %d bytes, %d remain", len(out), n, len(data))
		}
		out = append(out, data[:n])
		data = data[n:]
		if len(out) > tileWidth {
			return nil, errors.New("more than 256 entries in one bundle")
		}
	}
	return out, nil
}

// Tile implements Source.
func (b BundleSource) Tile(_ context.Context, level, index uint64, width int) ([]byte, bool, error) {
	data, err := fs.ReadFile(b.FS, FormatTilePath(int(level), index, width))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, ErrNotFound
	}
	return data, false, err
}

// Checkpoints implements Source: every file in checkpoints/ plus the head.
func (b BundleSource) Checkpoints(context.Context) ([]Checkpoint, error) {
	var out []Checkpoint
	ents, err := fs.ReadDir(b.FS, "checkpoints")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range ents {
		note, err := fs.ReadFile(b.FS, "checkpoints/"+e.Name())
		if err != nil {
			return nil, err
		}
		size, _, err := parseUnverifiedCheckpoint(note)
		if err != nil {
			return nil, fmt.Errorf("checkpoints/%s: %w", e.Name(), err)
		}
		seen[string(note)] = true
		out = append(out, Checkpoint{Size: size, Note: note})
	}
	head, err := fs.ReadFile(b.FS, "checkpoint")
	if err != nil {
		return nil, err
	}
	// The head is always checked, even when checkpoints/ holds a copy.
	size, _, err := parseUnverifiedCheckpoint(head)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if !seen[string(head)] {
		out = append(out, Checkpoint{Size: size, Note: head})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Size < out[j].Size })
	return out, nil
}
