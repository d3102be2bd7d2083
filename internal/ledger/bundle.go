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
	"sync"

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

// FileWriter receives the files of an exported bundle, named by slash
// paths relative to the bundle root. WriteFile must be safe for concurrent
// use and must not keep data after it returns.
type FileWriter interface {
	WriteFile(rel string, data []byte) error
}

// DirWriter writes bundle files under a directory.
type DirWriter struct {
	Dir  string
	dirs sync.Map // directories already created
}

var _ FileWriter = (*DirWriter)(nil)

// WriteFile implements FileWriter.
func (d *DirWriter) WriteFile(rel string, data []byte) error {
	p := filepath.Join(d.Dir, filepath.FromSlash(rel))
	parent := filepath.Dir(p)
	if _, ok := d.dirs.Load(parent); !ok {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", parent, err)
		}
		d.dirs.Store(parent, true)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Export writes entries [0, size) of the log as a bundle in dir, where size
// is the newest checkpoint's size. dir must not exist or be empty. The log
// is verified in the same pass that writes it: if it does not verify up to
// that checkpoint, Export removes what it wrote and returns the error.
// progress, if set, is told how far it got.
func Export(ctx context.Context, st Store, vkey, dir string, progress func(done, total uint64)) (Checkpoint, error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return Checkpoint{}, fmt.Errorf("%s is not empty; choose a new directory so old files cannot mix with the export", dir)
	}
	cp, err := ExportTo(ctx, st, vkey, &DirWriter{Dir: dir}, progress)
	if err != nil {
		// The directory was empty: leave it so, and nothing half-written
		// can pass for a bundle.
		if ents, rerr := os.ReadDir(dir); rerr == nil {
			for _, e := range ents {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
		return Checkpoint{}, err
	}
	return cp, nil
}

// ExportTo is Export to any FileWriter. On error, some files may have been
// written; the caller discards them.
func ExportTo(ctx context.Context, st Store, vkey string, fw FileWriter, progress func(done, total uint64)) (Checkpoint, error) {
	latest, err := st.LatestCheckpoint(ctx)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("no signed checkpoint to export (publish one with 'attest ledger checkpoint'): %w", err)
	}
	size := latest.Size
	bw := newBundleWriter(fw)
	_, err = verify(ctx, prefixSource{StoreSource{st}, size, latest.Root}, vkey, progress, bw)
	werr := bw.close()
	if err != nil && !errors.Is(err, werr) {
		return Checkpoint{}, fmt.Errorf("refusing to export: %w", err)
	}
	if werr != nil {
		return Checkpoint{}, werr
	}
	cps, err := st.Checkpoints(ctx, 0, size)
	if err != nil {
		return Checkpoint{}, err
	}
	for _, c := range cps {
		if err := fw.WriteFile("checkpoints/"+strconv.FormatUint(c.Size, 10), c.Note); err != nil {
			return Checkpoint{}, err
		}
	}
	if err := fw.WriteFile("checkpoint", latest.Note); err != nil {
		return Checkpoint{}, err
	}
	if err := fw.WriteFile(bundleKeyFile, []byte(vkey+"\n")); err != nil {
		return Checkpoint{}, err
	}
	return latest, nil
}

// bundleWriter turns what verify checked into bundle files, entry bundles
// and C2SP tiles, handed to a FileWriter by a few goroutines so that
// writing keeps up with the verifier.
type bundleWriter struct {
	fw   FileWriter
	jobs chan bundleFile
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
}

type bundleFile struct {
	rel  string
	data []byte
	pool bool // data came from bundlePool
}

var _ sink = (*bundleWriter)(nil)

// bundlePool recycles entry-bundle buffers (about 100 KiB each).
var bundlePool sync.Pool

func newBundleWriter(fw FileWriter) *bundleWriter {
	w := &bundleWriter{fw: fw, jobs: make(chan bundleFile, 64)}
	for range 4 {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for f := range w.jobs {
				if err := w.fw.WriteFile(f.rel, f.data); err != nil {
					w.mu.Lock()
					if w.err == nil {
						w.err = err
					}
					w.mu.Unlock()
				}
				if f.pool {
					bundlePool.Put(f.data[:0])
				}
			}
		}()
	}
	return w
}

// failed reports the first write error, so verify stops early.
func (w *bundleWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// entries frames verified entries into entry bundles. verify hands them
// over in chunks that start on a bundle boundary.
func (w *bundleWriter) entries(es []RawEntry) error {
	for len(es) > 0 {
		n := min(len(es), tileWidth)
		size := 0
		for _, e := range es[:n] {
			if len(e.Data) > maxBundleEntry {
				return fmt.Errorf("entry %d is too large for an entry bundle", e.Index)
			}
			size += 2 + len(e.Data)
		}
		buf, _ := bundlePool.Get().([]byte)
		if cap(buf) < size {
			buf = make([]byte, 0, size)
		}
		for _, e := range es[:n] {
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(e.Data)))
			buf = append(buf, e.Data...)
		}
		w.jobs <- bundleFile{rel: FormatTilePath(-1, es[0].Index/tileWidth, n), data: buf, pool: true}
		es = es[n:]
	}
	return w.failed()
}

// tile writes a hash tile that matched the stored one.
func (w *bundleWriter) tile(t TileWrite) error {
	w.jobs <- bundleFile{rel: FormatTilePath(int(t.Level), t.Index, t.Width), data: baseBytes(t.Width, t.Data)}
	return w.failed()
}

// close waits for every queued file and returns the first error.
func (w *bundleWriter) close() error {
	close(w.jobs)
	w.wg.Wait()
	return w.failed()
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
