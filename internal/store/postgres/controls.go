package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	_ controls.Store     = (*Store)(nil)
	_ access.ReviewStore = (*Store)(nil)
)

// ControlState implements controls.Store.
func (s *Store) ControlState(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM control_state WHERE key = $1`, key).Scan(&v)
	return v, notFound(err, controls.ErrNotFound)
}

// PutControlState implements controls.Store.
func (s *Store) PutControlState(ctx context.Context, key string, value []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO control_state (key, value, updated_us) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us`, key, value, time.Now().UnixMicro())
	return err
}

// Components implements controls.Store.
func (s *Store) Components(ctx context.Context) ([]controls.Component, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, kind, stage, description, controls, added_us, added_by FROM control_components ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []controls.Component
	for rows.Next() {
		var c controls.Component
		var stage, links string
		var added int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Kind, &stage, &c.Description, &links, &added, &c.AddedBy); err != nil {
			return nil, err
		}
		c.Stage, c.Added = controls.Stage(stage), fromUS(added)
		json.Unmarshal([]byte(links), &c.Controls)
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutComponent implements controls.Store.
func (s *Store) PutComponent(ctx context.Context, c controls.Component) error {
	links, _ := json.Marshal(c.Controls)
	_, err := s.pool.Exec(ctx, `INSERT INTO control_components (id, name, kind, stage, description, controls, added_us, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, stage = excluded.stage, description = excluded.description, controls = excluded.controls`,
		c.ID, c.Name, c.Kind, string(c.Stage), c.Description, string(links), us(c.Added), c.AddedBy)
	return err
}

// DeleteComponent implements controls.Store.
func (s *Store) DeleteComponent(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM control_components WHERE id = $1`, id)
	return rowsAffected(tag, err, controls.ErrNotFound)
}

// PutEvidence implements controls.Store.
func (s *Store) PutEvidence(ctx context.Context, e controls.Evidence) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO control_evidence (sha256, name, content_type, size, data, uploaded_us, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (sha256) DO NOTHING`, e.SHA256, e.Name, e.ContentType, len(e.Data), e.Data, us(e.Uploaded), e.UploadedBy)
	return err
}

// Evidence implements controls.Store.
func (s *Store) Evidence(ctx context.Context, sha string) (controls.Evidence, error) {
	var e controls.Evidence
	var up int64
	err := s.pool.QueryRow(ctx, `SELECT sha256, name, content_type, size, data, uploaded_us, uploaded_by FROM control_evidence WHERE sha256 = $1`, sha).
		Scan(&e.SHA256, &e.Name, &e.ContentType, &e.Size, &e.Data, &up, &e.UploadedBy)
	e.Uploaded = fromUS(up)
	return e, notFound(err, controls.ErrNotFound)
}

const reviewCols = `id, tenant, started_by, started_us, due_us, completed_us, completed_by, items, decided, revoked`

func scanReview(sc interface{ Scan(...any) error }) (access.Review, error) {
	var r access.Review
	var st, due, done int64
	err := sc.Scan(&r.ID, &r.Tenant, &r.StartedBy, &st, &due, &done, &r.CompletedBy, &r.Items, &r.Decided, &r.Revoked)
	r.Started, r.Due, r.Completed = fromUS(st), fromUS(due), fromUS(done)
	return r, err
}

const itemCols = `review, id, kind, tenant, name, role, actor_kind, holders, permissions, decision, note, decided_by, decided_us, applied_us, sign_in, last_used_us`

func itemArgs(it access.ReviewItem) []any {
	holders, _ := json.Marshal(it.Holders)
	perms, _ := json.Marshal(it.Permissions)
	signIn, _ := json.Marshal(it.SignIn)
	return []any{it.Review, it.ID, it.Kind, it.Tenant, it.Name, string(it.Role), string(it.ActorKind), string(holders), string(perms),
		it.Decision, it.Note, it.DecidedBy, us(it.Decided), us(it.Applied), string(signIn), us(it.LastUsed)}
}

func scanItem(sc interface{ Scan(...any) error }) (access.ReviewItem, error) {
	var it access.ReviewItem
	var role, actor, holders, perms, signIn string
	var decided, applied, lastUsed int64
	err := sc.Scan(&it.Review, &it.ID, &it.Kind, &it.Tenant, &it.Name, &role, &actor, &holders, &perms, &it.Decision, &it.Note, &it.DecidedBy, &decided, &applied, &signIn, &lastUsed)
	it.Role, it.ActorKind = access.Role(role), ledger.ActorKind(actor)
	json.Unmarshal([]byte(holders), &it.Holders)
	json.Unmarshal([]byte(perms), &it.Permissions)
	json.Unmarshal([]byte(signIn), &it.SignIn)
	it.Decided, it.Applied, it.LastUsed = fromUS(decided), fromUS(applied), fromUS(lastUsed)
	return it, err
}

// CreateReview implements access.ReviewStore.
func (s *Store) CreateReview(ctx context.Context, r access.Review, items []access.ReviewItem) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO access_reviews (`+reviewCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			r.ID, r.Tenant, r.StartedBy, us(r.Started), us(r.Due), us(r.Completed), r.CompletedBy, r.Items, r.Decided, r.Revoked); err != nil {
			return fmt.Errorf("insert review: %w", err)
		}
		for i, it := range items {
			if _, err := tx.Exec(ctx, `INSERT INTO access_review_items (`+itemCols+`, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
				append(itemArgs(it), i)...); err != nil {
				return fmt.Errorf("insert review item: %w", err)
			}
		}
		return nil
	})
}

// Review implements access.ReviewStore.
func (s *Store) Review(ctx context.Context, id string) (access.Review, []access.ReviewItem, error) {
	r, err := scanReview(s.pool.QueryRow(ctx, `SELECT `+reviewCols+` FROM access_reviews WHERE id = $1`, id))
	if err != nil {
		return r, nil, notFound(err, access.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemCols+` FROM access_review_items WHERE review = $1 ORDER BY seq`, id)
	if err != nil {
		return r, nil, err
	}
	defer rows.Close()
	var items []access.ReviewItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return r, nil, err
		}
		items = append(items, it)
	}
	return r, items, rows.Err()
}

// Reviews implements access.ReviewStore.
func (s *Store) Reviews(ctx context.Context) ([]access.Review, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+reviewCols+` FROM access_reviews ORDER BY started_us DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Review
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateReview implements access.ReviewStore.
func (s *Store) UpdateReview(ctx context.Context, r access.Review) error {
	tag, err := s.pool.Exec(ctx, `UPDATE access_reviews SET completed_us = $1, completed_by = $2, items = $3, decided = $4, revoked = $5 WHERE id = $6`,
		us(r.Completed), r.CompletedBy, r.Items, r.Decided, r.Revoked, r.ID)
	return rowsAffected(tag, err, access.ErrNotFound)
}

// UpdateReviewItem implements access.ReviewStore.
func (s *Store) UpdateReviewItem(ctx context.Context, it access.ReviewItem) error {
	tag, err := s.pool.Exec(ctx, `UPDATE access_review_items SET decision = $1, note = $2, decided_by = $3, decided_us = $4, applied_us = $5 WHERE review = $6 AND id = $7`,
		it.Decision, it.Note, it.DecidedBy, us(it.Decided), us(it.Applied), it.Review, it.ID)
	return rowsAffected(tag, err, access.ErrNotFound)
}

func rowsAffected(tag pgconn.CommandTag, err, nf error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nf
	}
	return nil
}
