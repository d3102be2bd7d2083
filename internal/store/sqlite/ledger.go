package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

var _ ledger.Store = (*Store)(nil)

// LedgerHead implements ledger.Store.
func (s *Store) LedgerHead(ctx context.Context) (uint64, tlog.Hash, error) {
	return head(ctx, s.r)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func head(ctx context.Context, q queryer) (uint64, tlog.Hash, error) {
	var size int64
	var root []byte
	if err := q.QueryRowContext(ctx, `SELECT size, root FROM ledger_head WHERE id = 1`).Scan(&size, &root); err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("read ledger head: %w", err)
	}
	var h tlog.Hash
	if len(root) != len(h) {
		return 0, tlog.Hash{}, fmt.Errorf("ledger head root has %d bytes", len(root))
	}
	copy(h[:], root)
	return uint64(size), h, nil
}

// insertChunk is how many rows one multi-row INSERT carries; fewer
// statements per batch is most of the write cost in a pure-Go driver.
const insertChunk = 128

// AppendLedger implements ledger.Store.
func (s *Store) AppendLedger(ctx context.Context, b *ledger.Batch) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		size, _, err := head(ctx, tx)
		if err != nil {
			return err
		}
		if size != b.OldSize {
			return fmt.Errorf("%w: expected size %d, found %d", ledger.ErrConflict, b.OldSize, size)
		}
		if err := insertEntries(ctx, tx, b.Entries); err != nil {
			return err
		}
		var subs [][3]any
		for _, e := range b.Entries {
			for _, r := range e.Subjects {
				subs = append(subs, [3]any{r.Kind, r.ID, int64(e.Index)})
			}
		}
		if err := insertRows(ctx, tx, `INSERT OR IGNORE INTO ledger_subjects (kind, id, idx) VALUES `, "(?,?,?)", len(subs), func(i int) []any {
			return subs[i][:]
		}); err != nil {
			return fmt.Errorf("insert subjects: %w", err)
		}
		for _, t := range b.Tiles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_tiles (key, level, idx, width, data) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET width = excluded.width, data = excluded.data`,
				tileKey(t.Level, t.Index), int64(t.Level), int64(t.Index), t.Width, t.Data); err != nil {
				return fmt.Errorf("write tile %d/%d: %w", t.Level, t.Index, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ledger_head SET size = ?, root = ? WHERE id = 1`, int64(b.NewSize), b.Root[:]); err != nil {
			return fmt.Errorf("update head: %w", err)
		}
		return nil
	})
}

func insertEntries(ctx context.Context, tx *sql.Tx, es []ledger.BatchEntry) error {
	err := insertRows(ctx, tx, `INSERT INTO ledger_entries (idx, type, tenant, time_us, data) VALUES `, "(?,?,?,?,?)", len(es), func(i int) []any {
		e := &es[i]
		return []any{int64(e.Index), e.Type, e.Tenant, e.Time.UnixMicro(), e.Data}
	})
	if err != nil {
		return fmt.Errorf("insert entries: %w", err)
	}
	return nil
}

// insertRows inserts n rows in chunks of multi-row INSERT statements.
func insertRows(ctx context.Context, tx *sql.Tx, prefix, tuple string, n int, row func(int) []any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < n; start += insertChunk {
		end := min(start+insertChunk, n)
		args := make([]any, 0, (end-start)*strings.Count(tuple, "?"))
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		q := prefix + strings.TrimSuffix(strings.Repeat(tuple+",", end-start), ",")
		if end-start == insertChunk {
			if full == nil {
				var err error
				if full, err = tx.PrepareContext(ctx, q); err != nil {
					return err
				}
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// LedgerTile implements ledger.Store.
func (s *Store) LedgerTile(ctx context.Context, level, index uint64) (int, []byte, error) {
	var w int
	var data []byte
	err := s.tileStmt.QueryRowContext(ctx, tileKey(level, index)).Scan(&w, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ledger.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read tile: %w", err)
	}
	return w, data, nil
}

// LedgerTileHashes implements ledger.Store. Two statements are prepared
// once, for up to TileHeight slices (an inclusion proof's) and for
// MaxTileHashes: binding arguments is most of a small query's cost. The
// slices are concatenated into one column; unused ones read the first hash
// again and are cut off.
func (s *Store) LedgerTileHashes(ctx context.Context, level, index uint64, offsets []int) (int, []byte, error) {
	n := len(offsets)
	if n > ledger.MaxTileHashes {
		return 0, nil, fmt.Errorf("read tile hashes: %d offsets, at most %d", n, ledger.MaxTileHashes)
	}
	stmt, slots := s.hashStmt[0], ledger.TileHeight
	if n > slots {
		stmt, slots = s.hashStmt[1], ledger.MaxTileHashes
	}
	var buf [ledger.MaxTileHashes + 1]any
	args := buf[:slots+1]
	for i := range slots {
		o := 0
		if i < n {
			o = offsets[i]
		}
		args[i] = o + 1 // substr counts from 1
	}
	args[slots] = tileKey(level, index)
	var w int
	var hashes []byte
	err := stmt.QueryRowContext(ctx, args...).Scan(&w, &hashes)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ledger.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read tile hashes: %w", err)
	}
	return w, hashes[:min(len(hashes), n*tlog.HashSize)], nil
}

// LedgerEntries implements ledger.Store.
func (s *Store) LedgerEntries(ctx context.Context, start uint64, n int) ([]ledger.RawEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT idx, data FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx`, int64(start), int64(start)+int64(n))
	if err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return scanEntries(rows, n)
}

func scanEntries(rows *sql.Rows, capHint int) ([]ledger.RawEntry, error) {
	defer rows.Close()
	out := make([]ledger.RawEntry, 0, capHint)
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, fmt.Errorf("scan entry: %w", err)
		}
		out = append(out, ledger.RawEntry{Index: uint64(idx), Data: data})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return out, nil
}

// QueryLedger implements ledger.Store.
func (s *Store) QueryLedger(ctx context.Context, q ledger.Query) ([]ledger.RawEntry, error) {
	var where []string
	var args []any
	from := "ledger_entries e"
	if q.Subject != nil {
		from = "ledger_subjects s JOIN ledger_entries e ON e.idx = s.idx"
		where = append(where, "s.kind = ?", "s.id = ?")
		args = append(args, q.Subject.Kind, q.Subject.ID)
	}
	if q.Type != "" {
		where = append(where, "e.type = ?")
		args = append(args, q.Type)
	}
	if q.Tenant != "" {
		where = append(where, "e.tenant = ?")
		args = append(args, q.Tenant)
	}
	if !q.From.IsZero() {
		where = append(where, "e.time_us >= ?")
		args = append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where = append(where, "e.time_us < ?")
		args = append(args, q.To.UnixMicro())
	}
	if q.After != nil {
		where = append(where, "e.idx > ?")
		args = append(args, int64(*q.After))
	}
	stmt := "SELECT e.idx, e.data FROM " + from
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	stmt += " ORDER BY e.idx LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("query entries: %w", err)
	}
	return scanEntries(rows, limit)
}

// SaveCheckpoint implements ledger.Store.
func (s *Store) SaveCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, root, note, created_us) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING`,
		int64(c.Size), c.Root[:], c.Note, c.Time.UnixMicro())
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT size, root, note, created_us FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("read checkpoint: %w", err)
	}
	cs, err := scanCheckpoints(rows)
	if err != nil {
		return ledger.Checkpoint{}, err
	}
	if len(cs) == 0 {
		return ledger.Checkpoint{}, ledger.ErrNotFound
	}
	return cs[0], nil
}

// Checkpoints implements ledger.Store.
func (s *Store) Checkpoints(ctx context.Context, from, to uint64) ([]ledger.Checkpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT size, root, note, created_us FROM ledger_checkpoints WHERE size >= ? AND size <= ? ORDER BY size`, int64(from), int64(min(to, 1<<62)))
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return scanCheckpoints(rows)
}

func scanCheckpoints(rows *sql.Rows) ([]ledger.Checkpoint, error) {
	defer rows.Close()
	var out []ledger.Checkpoint
	for rows.Next() {
		var size, us int64
		var root, note []byte
		if err := rows.Scan(&size, &root, &note, &us); err != nil {
			return nil, fmt.Errorf("scan checkpoint: %w", err)
		}
		c := ledger.Checkpoint{Size: uint64(size), Note: note, Time: time.UnixMicro(us).UTC()}
		copy(c.Root[:], root)
		out = append(out, c)
	}
	return out, rows.Err()
}

// tileKey is a tile's row key (migration 0009).
func tileKey(level, index uint64) int64 { return int64(level)<<40 | int64(index) }

// hashQuery selects the width and n 32-byte slices of a tile,
// concatenated.
func hashQuery(n int) string {
	var b strings.Builder
	b.WriteString("SELECT width, ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(" || ")
		}
		fmt.Fprintf(&b, "substr(data, ?, %d)", tlog.HashSize)
	}
	b.WriteString(" FROM ledger_tiles WHERE key = ?")
	return b.String()
}
