package ledger

import (
	"context"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Store is the ledger's persistence. SQLite and PostgreSQL implement it in
// internal/store; both pass the same conformance suite.
type Store interface {
	// LedgerHead returns the committed tree size and root hash.
	LedgerHead(ctx context.Context) (size uint64, root tlog.Hash, err error)
	// AppendLedger commits a batch atomically: entries, their index rows,
	// the changed tiles and the new head. It returns ErrConflict if the head
	// is no longer b.OldSize (another replica appended first).
	AppendLedger(ctx context.Context, b *Batch) error
	// LedgerTile returns a stored fat tile, or ErrNotFound.
	LedgerTile(ctx context.Context, level, index uint64) (width int, data []byte, err error)
	// LedgerTileHashes reads up to MaxTileHashes hashes out of a stored
	// tile: HashSize bytes at each byte offset, concatenated, without
	// loading the rest of the tile. It returns ErrNotFound like LedgerTile.
	// Proofs over a large log use it so that each one reads a few hundred
	// bytes rather than whole tiles.
	LedgerTileHashes(ctx context.Context, level, index uint64, offsets []int) (width int, hashes []byte, err error)
	// LedgerEntries returns up to n entries from index start on, in order.
	// Missing indexes are simply absent, so a verifier can see gaps.
	LedgerEntries(ctx context.Context, start uint64, n int) ([]RawEntry, error)
	// QueryLedger selects entries by indexed fields with keyset paging.
	QueryLedger(ctx context.Context, q Query) ([]RawEntry, error)
	SaveCheckpoint(ctx context.Context, c Checkpoint) error
	// AddCosignatures appends witness signature lines to the note of the
	// stored checkpoint of the given size, as MergeSignatures does, in one
	// atomic step. It returns ErrNotFound if no checkpoint has that size.
	AddCosignatures(ctx context.Context, size uint64, sigs []byte) error
	// LatestCheckpoint returns the newest checkpoint, or ErrNotFound.
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)
	// Checkpoints lists checkpoints with sizes in [from, to], oldest first.
	Checkpoints(ctx context.Context, from, to uint64) ([]Checkpoint, error)
}

// MaxTileHashes is the most offsets one LedgerTileHashes call takes: an
// inclusion proof needs at most one hash from each of a tile's eight
// levels, a consistency proof at most two.
const MaxTileHashes = 2 * TileHeight

// Batch is one group commit.
type Batch struct {
	OldSize, NewSize uint64
	Root             tlog.Hash
	Entries          []BatchEntry
	Tiles            []TileWrite
}

// BatchEntry is one entry with the fields that the store indexes.
type BatchEntry struct {
	Index    uint64
	Type     string
	Tenant   string
	Time     time.Time
	Subjects []Ref
	Data     []byte
}

// TileWrite is a tile as stores persist it.
type TileWrite struct {
	Level, Index uint64
	Width        int
	Data         []byte
}

// RawEntry is a stored entry before decoding.
type RawEntry struct {
	Index uint64
	Data  []byte
}

// Checkpoint is a signed tree head in C2SP tlog-checkpoint form.
type Checkpoint struct {
	Size uint64
	Root tlog.Hash
	// Note is the complete signed note, with any witness cosignatures.
	Note []byte
	Time time.Time
}

// Errors that stores return.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("ledger head moved")
)
