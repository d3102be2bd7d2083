package ledger

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// locate maps a tlog stored-hash index to its tile and the node's position
// inside that tile.
func locate(index int64) (tileLevel int, tileIndex uint64, sub int, pos int64) {
	level, n := tlog.SplitStoredHashIndex(index)
	tileLevel, sub = level/TileHeight, level%TileHeight
	tileIndex = uint64(n<<sub) / tileWidth
	pos = n - int64(tileIndex)*int64(tileWidth>>sub)
	return
}

// edgeReader serves hashes from the right edge only. The complete subtrees
// that make up the root of the edge's own size always live there.
type edgeReader struct{ e *edge }

func (r edgeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := r.e.node(idx)
		if !ok {
			return nil, fmt.Errorf("hash %d is not on the right edge", idx)
		}
		out[i] = h
	}
	return out, nil
}

func (e *edge) node(index int64) (tlog.Hash, bool) {
	tl, ti, sub, pos := locate(index)
	if tl >= len(e.tiles) || ti != edgeTileIndex(e.size, tl) {
		return tlog.Hash{}, false
	}
	return e.tiles[tl].node(sub, pos)
}

// storeReader serves hashes for proofs: the right edge from memory, full
// tiles from a bounded cache, everything else from the store.
type storeReader struct {
	ctx context.Context
	l   *Log
	e   *edge
	// scratch, if set, receives the hashes: tlog copies what it needs
	// out of them before the proof returns, so proofs reuse one buffer.
	scratch *[]tlog.Hash
}

// hashBufs recycles the hash buffers of proofs.
var hashBufs = sync.Pool{New: func() any { return new([]tlog.Hash) }}

// prove runs a tlog proof with a pooled hash buffer.
func prove[P any](l *Log, ctx context.Context, f func(tlog.HashReader) (P, error)) (P, error) {
	buf := hashBufs.Get().(*[]tlog.Hash)
	r := l.reader(ctx)
	r.scratch = buf
	p, err := f(r)
	hashBufs.Put(buf)
	return p, err
}

func (r storeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var out []tlog.Hash
	if r.scratch != nil && cap(*r.scratch) >= len(indexes) {
		out = (*r.scratch)[:len(indexes)]
	} else {
		out = make([]tlog.Hash, len(indexes))
		if r.scratch != nil {
			*r.scratch = out
		}
	}
	// Level-0 hashes off the right edge are read a few at a time straight
	// out of the stored tiles: random proofs over a large log almost never
	// reuse a level-0 tile, so loading, decoding or caching whole tiles
	// would only churn memory. Upper levels are few and hot, and go
	// through the cache.
	var buf [2]tileRead
	pending := buf[:0]
	for i, idx := range indexes {
		if h, ok := r.e.node(idx); ok {
			out[i] = h
			continue
		}
		tl, ti, sub, pos := locate(idx)
		if tl == 0 {
			pending = addTileRead(pending, ti, i, fatOffset(tileWidth, sub, pos))
			continue
		}
		t, err := r.l.tile(r.ctx, uint64(tl), ti)
		if err != nil {
			return nil, err
		}
		h, ok := t.node(sub, pos)
		if !ok {
			return nil, fmt.Errorf("hash %d is not yet in tile %d/%d", idx, tl, ti)
		}
		out[i] = h
	}
	for i := range pending {
		if err := r.readLevel0(&pending[i], indexes, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tileRead collects the hashes wanted from one level-0 tile.
type tileRead struct {
	index   uint64
	n       int
	outs    [MaxTileHashes]int // positions in the ReadHashes result
	offsets [MaxTileHashes]int // byte offsets in the full tile's encoding
}

func addTileRead(reads []tileRead, tile uint64, out, offset int) []tileRead {
	for i := range reads {
		if r := &reads[i]; r.index == tile && r.n < MaxTileHashes {
			r.outs[r.n], r.offsets[r.n] = out, offset
			r.n++
			return reads
		}
	}
	r := tileRead{index: tile, n: 1}
	r.outs[0], r.offsets[0] = out, offset
	return append(reads, r)
}

// readLevel0 fills the hashes of one tileRead. Every level-0 tile off the
// right edge is full, so the offsets assume full width; a store holding a
// narrower tile means the hash is not there yet.
func (r storeReader) readLevel0(tr *tileRead, indexes []int64, out []tlog.Hash) error {
	offsets := tr.offsets[:tr.n]
	w, data, err := r.l.st.LedgerTileHashes(r.ctx, 0, tr.index, offsets)
	if err != nil {
		return fmt.Errorf("read tile 0/%d: %w", tr.index, err)
	}
	if w != tileWidth {
		return fmt.Errorf("hash %d is not yet in tile 0/%d (stored width %d)", indexes[tr.outs[0]], tr.index, w)
	}
	if len(data) != tr.n*tlog.HashSize {
		return fmt.Errorf("tile 0/%d: store returned %d bytes for %d hashes", tr.index, len(data), tr.n)
	}
	for j, o := range tr.outs[:tr.n] {
		copy(out[o][:], data[j*tlog.HashSize:])
	}
	return nil
}

// fatOffset is the byte offset of the hash at sub-level k, position i, in
// a fat tile of width w: the levels are stored one after another.
func fatOffset(w, k int, i int64) int {
	off := 0
	for j := 0; j < k; j++ {
		off += w >> j
	}
	return (off + int(i)) * tlog.HashSize
}

// tile reads a tile through the cache. Only full tiles are cached: they
// never change.
func (l *Log) tile(ctx context.Context, level, index uint64) (*fatTile, error) {
	if t := l.cache.get(level, index); t != nil {
		return t, nil
	}
	w, data, err := l.st.LedgerTile(ctx, level, index)
	if err != nil {
		return nil, fmt.Errorf("read tile %d/%d: %w", level, index, err)
	}
	t, err := decodeFatTile(w, data)
	if err != nil {
		return nil, fmt.Errorf("tile %d/%d: %w", level, index, err)
	}
	if w == tileWidth {
		l.cache.put(level, index, t)
	}
	return t, nil
}

func (l *Log) reader(ctx context.Context) storeReader {
	return storeReader{ctx: ctx, l: l, e: l.edge.Load()}
}

// ErrBadRange is returned for proofs outside the tree.
var ErrBadRange = errors.New("index or size out of range")

// InclusionProof proves that entry index is in the tree of the given size.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([]tlog.Hash, error) {
	if err := l.CatchUp(ctx, size); err != nil {
		return nil, err
	}
	if index >= size || size > l.Size() {
		return nil, fmt.Errorf("%w: index %d, size %d, tree size %d", ErrBadRange, index, size, l.Size())
	}
	p, err := prove(l, ctx, func(r tlog.HashReader) (tlog.RecordProof, error) {
		return tlog.ProveRecord(int64(size), int64(index), r)
	})
	if err != nil {
		return nil, fmt.Errorf("prove inclusion of %d in %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of size old is a prefix of size new.
func (l *Log) ConsistencyProof(ctx context.Context, old, new uint64) ([]tlog.Hash, error) {
	if err := l.CatchUp(ctx, new); err != nil {
		return nil, err
	}
	if old > new || new > l.Size() {
		return nil, fmt.Errorf("%w: from %d to %d, tree size %d", ErrBadRange, old, new, l.Size())
	}
	if old == 0 || old == new {
		return nil, nil
	}
	p, err := prove(l, ctx, func(r tlog.HashReader) (tlog.TreeProof, error) {
		return tlog.ProveTree(int64(new), int64(old), r)
	})
	if err != nil {
		return nil, fmt.Errorf("prove consistency %d to %d: %w", old, new, err)
	}
	return p, nil
}

// RootAt is the root hash of the tree of the given size.
func (l *Log) RootAt(ctx context.Context, size uint64) (tlog.Hash, error) {
	if err := l.CatchUp(ctx, size); err != nil {
		return tlog.Hash{}, err
	}
	if size > l.Size() {
		return tlog.Hash{}, fmt.Errorf("%w: size %d, tree size %d", ErrBadRange, size, l.Size())
	}
	return tlog.TreeHash(int64(size), l.reader(ctx))
}

// LeafHash is the RFC 6962 leaf hash of entry index.
func (l *Log) LeafHash(ctx context.Context, index uint64) (tlog.Hash, error) {
	if err := l.CatchUp(ctx, index+1); err != nil {
		return tlog.Hash{}, err
	}
	if index >= l.Size() {
		return tlog.Hash{}, fmt.Errorf("%w: index %d, tree size %d", ErrBadRange, index, l.Size())
	}
	hs, err := l.reader(ctx).ReadHashes([]int64{tlog.StoredHashIndex(0, int64(index))})
	if err != nil {
		return tlog.Hash{}, err
	}
	return hs[0], nil
}

// Tile returns a C2SP tile body (base hashes only) for level/index, cut to
// width w (0 means full).
func (l *Log) Tile(ctx context.Context, level, index uint64, w int) ([]byte, error) {
	if w == 0 {
		w = tileWidth
	}
	// The entries the tile covers may be another replica's. (Sizes that
	// do not fit in 64 bits are no tree's.)
	if shift := TileHeight * level; shift < 64 && index < 1<<48 {
		if need := index*tileWidth + uint64(w); need <= math.MaxUint64>>shift {
			if err := l.CatchUp(ctx, need<<shift); err != nil {
				return nil, err
			}
		}
	}
	size := l.Size()
	count := size >> (TileHeight * level)
	if index*tileWidth+uint64(w) > count {
		return nil, fmt.Errorf("%w: tile %d/%d width %d is beyond the tree of size %d", ErrNotFound, level, index, w, size)
	}
	e := l.edge.Load()
	var t *fatTile
	if int(level) < len(e.tiles) && index == edgeTileIndex(e.size, int(level)) {
		t = e.tiles[level]
	} else {
		var err error
		if t, err = l.tile(ctx, level, index); err != nil {
			return nil, err
		}
	}
	if t.width() < w {
		return nil, fmt.Errorf("%w: tile %d/%d has width %d", ErrNotFound, level, index, t.width())
	}
	out := make([]byte, 0, w*tlog.HashSize)
	for _, h := range t.lv[0][:w] {
		out = append(out, h[:]...)
	}
	return out, nil
}

// tileCache is a bounded LRU of full tiles.
type tileCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List
	m   map[[2]uint64]*list.Element
}

type cacheItem struct {
	key [2]uint64
	t   *fatTile
}

func newTileCache(max int) *tileCache {
	return &tileCache{max: max, ll: list.New(), m: make(map[[2]uint64]*list.Element)}
}

func (c *tileCache) get(level, index uint64) *fatTile {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[[2]uint64{level, index}]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cacheItem).t
	}
	return nil
}

func (c *tileCache) put(level, index uint64, t *fatTile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]uint64{level, index}
	if el, ok := c.m[k]; ok {
		c.ll.MoveToFront(el)
		return
	}
	c.m[k] = c.ll.PushFront(&cacheItem{key: k, t: t})
	for c.ll.Len() > c.max {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.m, el.Value.(*cacheItem).key)
	}
}
