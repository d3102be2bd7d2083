package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
)

var (
	_ controls.Store     = (*Store)(nil)
	_ access.ReviewStore = (*Store)(nil)
)

// ControlState implements controls.Store.
func (s *Store) ControlState(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.r.QueryRowContext(ctx, `SELECT value FROM control_state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, controls.ErrNotFound
	}
	return v, err
}

// PutControlState implements controls.Store.
func (s *Store) PutControlState(ctx context.Context, key string, value []byte) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO control_state (key, value, updated_us) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us`, key, value, time.Now().UnixMicro())
	return err
}

// Components implements controls.Store.
func (s *Store) Components(ctx context.Context) ([]controls.Component, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, kind, stage, description, controls, added_us, added_by FROM control_components ORDER BY id`)
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO control_components (id, name, kind, stage, description, controls, added_us, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, stage = excluded.stage, description = excluded.description, controls = excluded.controls`,
		c.ID, c.Name, c.Kind, string(c.Stage), c.Description, string(links), us(c.Added), c.AddedBy)
	return err
}

// DeleteComponent implements controls.Store.
func (s *Store) DeleteComponent(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM control_components WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return controls.ErrNotFound
	}
	return nil
}

// PutEvidence implements controls.Store.
func (s *Store) PutEvidence(ctx context.Context, e controls.Evidence) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO control_evidence (sha256, name, content_type, size, data, uploaded_us, uploaded_by) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, e.SHA256, e.Name, e.ContentType, len(e.Data), e.Data, us(e.Uploaded), e.UploadedBy)
	return err
}

// Evidence implements controls.Store.
func (s *Store) Evidence(ctx context.Context, sha string) (controls.Evidence, error) {
	var e controls.Evidence
	var up int64
	err := s.r.QueryRowContext(ctx, `SELECT sha256, name, content_type, size, data, uploaded_us, uploaded_by FROM control_evidence WHERE sha256 = ?`, sha).
		Scan(&e.SHA256, &e.Name, &e.ContentType, &e.Size, &e.Data, &up, &e.UploadedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return e, controls.ErrNotFound
	}
	e.Uploaded = fromUS(up)
	return e, err
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
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_reviews (`+reviewCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Tenant, r.StartedBy, us(r.Started), us(r.Due), us(r.Completed), r.CompletedBy, r.Items, r.Decided, r.Revoked); err != nil {
			return fmt.Errorf("insert review: %w", err)
		}
		for i, it := range items {
			if _, err := tx.ExecContext(ctx, `INSERT INTO access_review_items (`+itemCols+`, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				append(itemArgs(it), i)...); err != nil {
				return fmt.Errorf("insert review item: %w", err)
			}
		}
		return nil
	})
}

// Review implements access.ReviewStore.
func (s *Store) Review(ctx context.Context, id string) (access.Review, []access.ReviewItem, error) {
	r, err := scanReview(s.r.QueryRowContext(ctx, `SELECT `+reviewCols+` FROM access_reviews WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil, access.ErrNotFound
	}
	if err != nil {
		return r, nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+itemCols+` FROM access_review_items WHERE review = ? ORDER BY seq`, id)
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
	rows, err := s.r.QueryContext(ctx, `SELECT `+reviewCols+` FROM access_reviews ORDER BY started_us DESC, id`)
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
	res, err := s.w.ExecContext(ctx, `UPDATE access_reviews SET completed_us = ?, completed_by = ?, items = ?, decided = ?, revoked = ? WHERE id = ?`,
		us(r.Completed), r.CompletedBy, r.Items, r.Decided, r.Revoked, r.ID)
	return affected(res, err, access.ErrNotFound)
}

// UpdateReviewItem implements access.ReviewStore.
func (s *Store) UpdateReviewItem(ctx context.Context, it access.ReviewItem) error {
	res, err := s.w.ExecContext(ctx, `UPDATE access_review_items SET decision = ?, note = ?, decided_by = ?, decided_us = ?, applied_us = ? WHERE review = ? AND id = ?`,
		it.Decision, it.Note, it.DecidedBy, us(it.Decided), us(it.Applied), it.Review, it.ID)
	return affected(res, err, access.ErrNotFound)
}

func affected(res sql.Result, err, notFound error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound
	}
	return nil
}
