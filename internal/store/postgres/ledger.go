package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

var _ ledger.Store = (*Store)(nil)

// LedgerHead implements ledger.Store.
func (s *Store) LedgerHead(ctx context.Context) (uint64, tlog.Hash, error) {
	return head(ctx, s.pool, "")
}

type rowQueryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func head(ctx context.Context, q rowQueryer, suffix string) (uint64, tlog.Hash, error) {
	var size int64
	var root []byte
	if err := q.QueryRow(ctx, `SELECT size, root FROM ledger_head WHERE id = 1`+suffix).Scan(&size, &root); err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("read ledger head: %w", err)
	}
	var h tlog.Hash
	if len(root) != len(h) {
		return 0, tlog.Hash{}, fmt.Errorf("ledger head root has %d bytes", len(root))
	}
	copy(h[:], root)
	return uint64(size), h, nil
}

// AppendLedger implements ledger.Store. Locking the head row serializes
// replicas; COPY carries the entries.
func (s *Store) AppendLedger(ctx context.Context, b *ledger.Batch) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		size, _, err := head(ctx, tx, " FOR UPDATE")
		if err != nil {
			return err
		}
		if size != b.OldSize {
			return fmt.Errorf("%w: expected size %d, found %d", ledger.ErrConflict, b.OldSize, size)
		}
		rows := make([][]any, len(b.Entries))
		var subs [][]any
		for i, e := range b.Entries {
			rows[i] = []any{int64(e.Index), e.Type, e.Tenant, e.Time.UnixMicro(), e.Data}
			seen := map[ledger.Ref]bool{}
			for _, r := range e.Subjects {
				if !seen[r] {
					seen[r] = true
					subs = append(subs, []any{r.Kind, r.ID, int64(e.Index)})
				}
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_entries"}, []string{"idx", "type", "tenant", "time_us", "data"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy entries: %w", err)
		}
		if len(subs) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_subjects"}, []string{"kind", "id", "idx"}, pgx.CopyFromRows(subs)); err != nil {
				return fmt.Errorf("copy subjects: %w", err)
			}
		}
		batch := &pgx.Batch{}
		for _, t := range b.Tiles {
			batch.Queue(`INSERT INTO ledger_tiles (level, idx, width, data) VALUES ($1, $2, $3, $4)
				ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data`,
				int64(t.Level), int64(t.Index), t.Width, t.Data)
		}
		batch.Queue(`UPDATE ledger_head SET size = $1, root = $2 WHERE id = 1`, int64(b.NewSize), b.Root[:])
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("write tiles and head: %w", err)
		}
		return nil
	})
}

// LedgerTile implements ledger.Store.
func (s *Store) LedgerTile(ctx context.Context, level, index uint64) (int, []byte, error) {
	var w int
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT width, data FROM ledger_tiles WHERE level = $1 AND idx = $2`, int64(level), int64(index)).Scan(&w, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, ledger.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read tile: %w", err)
	}
	return w, data, nil
}

// LedgerTileHashes implements ledger.Store. Tile data is stored out of
// line without compression (migration 0007), so PostgreSQL fetches only
// the chunks that hold the requested bytes.
func (s *Store) LedgerTileHashes(ctx context.Context, level, index uint64, offsets []int) (int, []byte, error) {
	if len(offsets) > ledger.MaxTileHashes {
		return 0, nil, fmt.Errorf("read tile hashes: %d offsets, at most %d", len(offsets), ledger.MaxTileHashes)
	}
	starts := make([]int32, len(offsets))
	for i, o := range offsets {
		starts[i] = int32(o + 1) // substring counts from 1
	}
	var w int
	var hashes []byte
	err := s.pool.QueryRow(ctx, `SELECT width, (SELECT string_agg(substring(data FROM o FOR 32), ''::bytea ORDER BY n)
		FROM unnest($3::int4[]) WITH ORDINALITY AS u(o, n))
		FROM ledger_tiles WHERE level = $1 AND idx = $2`, int64(level), int64(index), starts).Scan(&w, &hashes)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, ledger.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read tile hashes: %w", err)
	}
	return w, hashes, nil
}

// LedgerEntries implements ledger.Store.
func (s *Store) LedgerEntries(ctx context.Context, start uint64, n int) ([]ledger.RawEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT idx, data FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`, int64(start), int64(start)+int64(n))
	if err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return scanEntries(rows, n)
}

func scanEntries(rows pgx.Rows, capHint int) ([]ledger.RawEntry, error) {
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	from := "ledger_entries e"
	if q.Subject != nil {
		from = "ledger_subjects s JOIN ledger_entries e ON e.idx = s.idx"
		where = append(where, "s.kind = "+arg(q.Subject.Kind), "s.id = "+arg(q.Subject.ID))
	}
	if q.Type != "" {
		where = append(where, "e.type = "+arg(q.Type))
	}
	if q.Tenant != "" {
		where = append(where, "e.tenant = "+arg(q.Tenant))
	}
	if !q.From.IsZero() {
		where = append(where, "e.time_us >= "+arg(q.From.UnixMicro()))
	}
	if !q.To.IsZero() {
		where = append(where, "e.time_us < "+arg(q.To.UnixMicro()))
	}
	if q.After != nil {
		where = append(where, "e.idx > "+arg(int64(*q.After)))
	}
	stmt := "SELECT e.idx, e.data FROM " + from
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	stmt += " ORDER BY e.idx LIMIT " + arg(limit)
	rows, err := s.pool.Query(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("query entries: %w", err)
	}
	return scanEntries(rows, limit)
}

// SaveCheckpoint implements ledger.Store.
func (s *Store) SaveCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO ledger_checkpoints (size, root, note, created_us) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
		int64(c.Size), c.Root[:], c.Note, c.Time.UnixMicro())
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// AddCosignatures implements ledger.Store. The row lock makes the read
// and the update one step, so concurrent additions both land.
func (s *Store) AddCosignatures(ctx context.Context, size uint64, sigs []byte) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var note []byte
		err := tx.QueryRow(ctx, `SELECT note FROM ledger_checkpoints WHERE size = $1 FOR UPDATE`, int64(size)).Scan(&note)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("checkpoint of size %d: %w", size, ledger.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		merged, err := ledger.MergeSignatures(note, sigs)
		if err != nil {
			return fmt.Errorf("checkpoint of size %d: %w", size, err)
		}
		if len(merged) == len(note) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE ledger_checkpoints SET note = $1 WHERE size = $2`, merged, int64(size)); err != nil {
			return fmt.Errorf("save cosignatures: %w", err)
		}
		return nil
	})
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	cs, err := s.checkpoints(ctx, `SELECT size, root, note, created_us FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`)
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
	return s.checkpoints(ctx, `SELECT size, root, note, created_us FROM ledger_checkpoints WHERE size >= $1 AND size <= $2 ORDER BY size`, int64(from), int64(min(to, 1<<62)))
}

func (s *Store) checkpoints(ctx context.Context, q string, args ...any) ([]ledger.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
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
