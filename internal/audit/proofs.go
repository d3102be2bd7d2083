package audit

import (
	"fmt"
	"io/fs"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// bundleTiles serves C2SP hash tiles from an exported ledger bundle to
// tlog, which authenticates every tile against the tree it is asked about.
// Proofs are therefore computed from exactly what the auditor receives.
// Tiles tlog has verified are kept, since many proofs share them.
type bundleTiles struct {
	fsys     fs.FS
	size     uint64 // entries in the bundle, which fixes every tile's width
	verified map[tlog.Tile][]byte
}

var _ tlog.TileReader = (*bundleTiles)(nil)

func newBundleTiles(fsys fs.FS, size uint64) *bundleTiles {
	return &bundleTiles{fsys: fsys, size: size, verified: map[tlog.Tile][]byte{}}
}

func (*bundleTiles) Height() int { return ledger.TileHeight }

// ReadTiles reads each tile; a partial tile of a smaller tree is the prefix
// of the wider tile the bundle holds.
func (b *bundleTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := b.verified[t]; ok {
			out[i] = data
			continue
		}
		want := t.W * tlog.HashSize
		// The bundle holds each tile at the width its own size gives.
		hashes := b.size >> (ledger.TileHeight * t.L)
		first := uint64(t.N) << ledger.TileHeight
		if hashes <= first {
			return nil, fmt.Errorf("tile %d/%d is beyond the bundle's %d entries", t.L, t.N, b.size)
		}
		w := int(min(hashes-first, 1<<ledger.TileHeight))
		data, err := fs.ReadFile(b.fsys, ledger.FormatTilePath(t.L, uint64(t.N), w))
		if err != nil {
			return nil, fmt.Errorf("tile %d/%d: %w", t.L, t.N, err)
		}
		if len(data) < want {
			return nil, fmt.Errorf("tile %d/%d holds %d bytes, need %d", t.L, t.N, len(data), want)
		}
		out[i] = data[:want]
	}
	return out, nil
}

// SaveTiles keeps tiles tlog has checked against a tree root.
func (b *bundleTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		b.verified[t] = data[i]
	}
}

// prover computes proofs against signed trees from a bundle's tiles.
type prover struct{ tiles *bundleTiles }

func (p prover) reader(size uint64, root tlog.Hash) tlog.HashReader {
	return tlog.TileHashReader(tlog.Tree{N: int64(size), Hash: root}, p.tiles)
}

// inclusion proves entry index in the tree (size, root).
func (p prover) inclusion(index, size uint64, root tlog.Hash) (tlog.RecordProof, error) {
	return tlog.ProveRecord(int64(size), int64(index), p.reader(size, root))
}

// consistency proves the tree of size old is a prefix of (size, root).
func (p prover) consistency(old, size uint64, root tlog.Hash) (tlog.TreeProof, error) {
	if old == 0 || old == size {
		return nil, nil
	}
	return tlog.ProveTree(int64(size), int64(old), p.reader(size, root))
}
