package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

var _ access.Store = (*Store)(nil)

const keyCols = `id, tenant, name, role, actor_kind, models, limits, hash, created_by, created_us, expires_us, revoked_us, replaced_by, owner`

func keyArgs(k access.Key) []any {
	models, _ := json.Marshal(k.Models)
	limits, _ := json.Marshal(k.Limits)
	return []any{k.ID, k.Tenant, k.Name, string(k.Role), string(k.ActorKind), string(models), string(limits), k.Hash, k.CreatedBy, us(k.Created), us(k.Expires), us(k.Revoked), k.ReplacedBy, k.Owner}
}

func scanKey(sc interface{ Scan(...any) error }) (access.Key, error) {
	var k access.Key
	var role, actor, models, limits string
	var c, e, r int64
	if err := sc.Scan(&k.ID, &k.Tenant, &k.Name, &role, &actor, &models, &limits, &k.Hash, &k.CreatedBy, &c, &e, &r, &k.ReplacedBy, &k.Owner); err != nil {
		return k, err
	}
	k.Role, k.ActorKind = access.Role(role), ledger.ActorKind(actor)
	json.Unmarshal([]byte(models), &k.Models)
	json.Unmarshal([]byte(limits), &k.Limits)
	k.Created, k.Expires, k.Revoked = fromUS(c), fromUS(e), fromUS(r)
	return k, nil
}

const keyQuery = `SELECT ` + keyCols + ` FROM api_keys WHERE id = ?`

// CreateKey implements access.Store.
func (s *Store) CreateKey(ctx context.Context, k access.Key) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, keyArgs(k)...)
	return err
}

// Key implements access.Store.
func (s *Store) Key(ctx context.Context, id string) (access.Key, error) {
	k, err := scanKey(s.keyStmt.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, access.ErrNotFound
	}
	return k, err
}

// Keys implements access.Store.
func (s *Store) Keys(ctx context.Context, tenant string) ([]access.Key, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE ? = '' OR tenant = ? ORDER BY created_us, id`, tenant, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// UpdateKey implements access.Store.
func (s *Store) UpdateKey(ctx context.Context, k access.Key) error {
	a := keyArgs(k)
	_, err := s.w.ExecContext(ctx, `UPDATE api_keys SET tenant=?, name=?, role=?, actor_kind=?, models=?, limits=?, hash=?, created_by=?, created_us=?, expires_us=?, revoked_us=?, replaced_by=?, owner=? WHERE id = ?`, append(a[1:], a[0])...)
	return err
}
