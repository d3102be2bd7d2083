package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the C2SP tlog-tiles height: a tile holds 256 hashes.
const TileHeight = 8

const tileWidth = 1 << TileHeight

// fatTile is one C2SP tile plus the interior nodes of the subtrees inside it.
// Level k (0..7) holds the hashes of complete subtrees of 2^k base hashes, so
// a proof reads stored hashes instead of rehashing up to 128 leaves per level.
// Level 0 is exactly the C2SP tile body.
type fatTile struct {
	lv [TileHeight][]tlog.Hash
}

func newFatTile() *fatTile {
	t := &fatTile{}
	for k := range t.lv {
		t.lv[k] = make([]tlog.Hash, 0, tileWidth>>k)
	}
	return t
}

// width is the number of base hashes, 1..256 (0 for an empty edge tile).
func (t *fatTile) width() int { return len(t.lv[0]) }

// add appends a base hash. When the tile becomes full it returns the hash of
// its whole subtree, which becomes a base hash one tile level up.
func (t *fatTile) add(h tlog.Hash) (root tlog.Hash, full bool) {
	t.lv[0] = append(t.lv[0], h)
	for k := 0; k < TileHeight; k++ {
		n := len(t.lv[k])
		if n%2 != 0 {
			break
		}
		parent := tlog.NodeHash(t.lv[k][n-2], t.lv[k][n-1])
		if k == TileHeight-1 {
			return parent, true
		}
		t.lv[k+1] = append(t.lv[k+1], parent)
	}
	return tlog.Hash{}, false
}

// node returns the hash at sub-level k, position i, if that subtree is complete.
func (t *fatTile) node(k int, i int64) (tlog.Hash, bool) {
	if i < 0 || i >= int64(len(t.lv[k])) {
		return tlog.Hash{}, false
	}
	return t.lv[k][i], true
}

func (t *fatTile) clone() *fatTile {
	c := &fatTile{}
	for k := range t.lv {
		c.lv[k] = make([]tlog.Hash, len(t.lv[k]), tileWidth>>k)
		copy(c.lv[k], t.lv[k])
	}
	return c
}

// fatSize is the number of hashes stored for a tile of width w.
func fatSize(w int) int {
	n := 0
	for k := 0; k < TileHeight; k++ {
		n += w >> k
	}
	return n
}

// encode writes every level in order; the first width*32 bytes are the C2SP
// tile itself.
func (t *fatTile) encode() []byte {
	out := make([]byte, 0, fatSize(t.width())*tlog.HashSize)
	for k := range t.lv {
		for _, h := range t.lv[k] {
			out = append(out, h[:]...)
		}
	}
	return out
}

// decodeFatTile parses a stored tile of the given width and checks that every
// interior node matches its children, so a corrupted store cannot feed a
// proof silently.
func decodeFatTile(width int, data []byte) (*fatTile, error) {
	if width < 1 || width > tileWidth {
		return nil, fmt.Errorf("tile width %d out of range 1..256", width)
	}
	if want := fatSize(width) * tlog.HashSize; len(data) != want {
		return nil, fmt.Errorf("tile of width %d has %d bytes, want %d", width, len(data), want)
	}
	t := &fatTile{}
	off := 0
	for k := 0; k < TileHeight; k++ {
		n := width >> k
		t.lv[k] = make([]tlog.Hash, n, tileWidth>>k)
		for i := 0; i < n; i++ {
			copy(t.lv[k][i][:], data[off:off+tlog.HashSize])
			off += tlog.HashSize
		}
	}
	return t, nil
}

// checkInterior recomputes every interior node from the base hashes and
// reports the first base position whose subtree disagrees.
func (t *fatTile) checkInterior() (int, bool) {
	for k := 1; k < TileHeight; k++ {
		for i := range t.lv[k] {
			if tlog.NodeHash(t.lv[k-1][2*i], t.lv[k-1][2*i+1]) != t.lv[k][i] {
				return i << k, false
			}
		}
	}
	return 0, true
}

// baseBytes is the C2SP tile body: the base hashes only.
func baseBytes(width int, data []byte) []byte {
	return data[:width*tlog.HashSize]
}

// edge is the right edge of the tree: the partial tile at every tile level.
// It is immutable once published; the committer works on a clone.
type edge struct {
	size  uint64
	root  tlog.Hash // of the tree of size
	tiles []*fatTile
}

func (e *edge) clone() *edge {
	c := &edge{size: e.size, root: e.root, tiles: make([]*fatTile, len(e.tiles))}
	for i, t := range e.tiles {
		c.tiles[i] = t.clone()
	}
	return c
}

// appendLeaves adds leaf hashes and returns the tiles to store, at most one
// write per tile.
func (e *edge) appendLeaves(leaves []tlog.Hash) []TileWrite {
	var writes []TileWrite
	for _, h := range leaves {
		e.appendLeaf(h, func(w TileWrite) { writes = append(writes, w) })
	}
	// The partial tiles at each level are written once, at their final state.
	for level, t := range e.tiles {
		if t.width() == 0 {
			continue
		}
		writes = append(writes, TileWrite{Level: uint64(level), Index: edgeTileIndex(e.size, level), Width: t.width(), Data: t.encode()})
	}
	return dedupeWrites(writes)
}

// appendLeaf adds one leaf hash, calling full for every tile it completes.
func (e *edge) appendLeaf(h tlog.Hash, full func(TileWrite)) {
	count := e.size // base hashes at this level before the add
	for level := 0; ; level++ {
		if level == len(e.tiles) {
			e.tiles = append(e.tiles, newFatTile())
		}
		t := e.tiles[level]
		root, isFull := t.add(h)
		if !isFull {
			break
		}
		full(TileWrite{Level: uint64(level), Index: count / tileWidth, Width: tileWidth, Data: t.encode()})
		e.tiles[level] = newFatTile()
		h = root
		count >>= TileHeight
	}
	e.size++
}

// dedupeWrites keeps the last write of each tile. Full tiles are written once
// when they fill; partial ones may have been superseded.
func dedupeWrites(ws []TileWrite) []TileWrite {
	type key struct{ l, i uint64 }
	last := make(map[key]int, len(ws))
	for i, w := range ws {
		last[key{w.Level, w.Index}] = i
	}
	out := ws[:0]
	for i, w := range ws {
		if last[key{w.Level, w.Index}] == i {
			out = append(out, w)
		}
	}
	return out
}

// edgeTileIndex is the index of the partial tile at level for a tree of size.
func edgeTileIndex(size uint64, level int) uint64 {
	return (size >> (TileHeight * level)) / tileWidth
}

// edgeWidth is the width of the partial tile at level for a tree of size.
func edgeWidth(size uint64, level int) int {
	return int((size >> (TileHeight * level)) % tileWidth)
}

// edgeLevels is how many tile levels a tree of size has.
func edgeLevels(size uint64) int {
	n := 0
	for s := size; s > 0; s >>= TileHeight {
		n++
	}
	return n
}
