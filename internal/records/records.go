// Package records is a small versioned document store for domain state
// that is not evidence: registry entries, change requests, data-subject
// requests, consent, vendors, console users. Each record is JSON with a
// revision number; updates compare revisions, so two approvers or two
// replicas can never overwrite each other silently. Every state change a
// domain package makes here is also recorded in the ledger by that package.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Doc is one stored record.
type Doc struct {
	Kind    string
	Tenant  string
	ID      string
	Rev     int64
	Data    []byte
	Created time.Time
	Updated time.Time
}

// Store persists records. SQLite and PostgreSQL implement it.
type Store interface {
	// PutDoc creates d when d.Rev is 0 (ErrExists if it exists) or replaces
	// revision d.Rev (ErrConflict if the stored revision differs). It returns
	// the stored record with its new revision.
	PutDoc(ctx context.Context, d Doc) (Doc, error)
	GetDoc(ctx context.Context, kind, tenant, id string) (Doc, error)
	// ListDocs lists a kind's records, by id, after the cursor; an empty
	// tenant lists every tenant's.
	ListDocs(ctx context.Context, kind, tenant, after string, limit int) ([]Doc, error)
	DeleteDoc(ctx context.Context, kind, tenant, id string) error
}

// Errors stores return.
var (
	ErrNotFound = errors.New("record not found")
	ErrExists   = errors.New("record already exists")
	ErrConflict = errors.New("record was changed concurrently")
	ErrInvalid  = errors.New("invalid identifier")
)

// Table is a typed view of one kind of record.
type Table[T any] struct {
	st   Store
	kind string
}

// NewTable returns the table of kind in st.
func NewTable[T any](st Store, kind string) Table[T] { return Table[T]{st: st, kind: kind} }

// Create stores a new record.
func (t Table[T]) Create(ctx context.Context, tenant, id string, v T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t.kind, err)
	}
	_, err = t.st.PutDoc(ctx, Doc{Kind: t.kind, Tenant: tenant, ID: id, Data: b})
	return err
}

// Get reads a record.
func (t Table[T]) Get(ctx context.Context, tenant, id string) (T, error) {
	var v T
	d, err := t.st.GetDoc(ctx, t.kind, tenant, id)
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(d.Data, &v)
}

// Mutate reads, changes and writes back a record, retrying when another
// writer got there first. fn sees the latest state each time.
func (t Table[T]) Mutate(ctx context.Context, tenant, id string, fn func(*T) error) (T, error) {
	for attempt := 0; ; attempt++ {
		var v T
		d, err := t.st.GetDoc(ctx, t.kind, tenant, id)
		if err != nil {
			return v, err
		}
		if err := json.Unmarshal(d.Data, &v); err != nil {
			return v, err
		}
		if err := fn(&v); err != nil {
			return v, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return v, err
		}
		d.Data = b
		_, err = t.st.PutDoc(ctx, d)
		if !errors.Is(err, ErrConflict) || attempt >= 100 || ctx.Err() != nil {
			return v, err
		}
		// Someone else won the race; back off a little, randomly.
		time.Sleep(time.Duration(rand.IntN(500*(attempt+1))) * time.Microsecond)
	}
}

// List returns every record of the tenant ("" for all tenants).
func (t Table[T]) List(ctx context.Context, tenant string) ([]T, error) {
	var out []T
	after := ""
	for {
		ds, err := t.st.ListDocs(ctx, t.kind, tenant, after, 500)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			var v T
			if err := json.Unmarshal(d.Data, &v); err != nil {
				return nil, fmt.Errorf("decode %s %s: %w", t.kind, d.ID, err)
			}
			out = append(out, v)
		}
		if len(ds) < 500 {
			return out, nil
		}
		after = ds[len(ds)-1].ID
	}
}

// Delete removes a record.
func (t Table[T]) Delete(ctx context.Context, tenant, id string) error {
	return t.st.DeleteDoc(ctx, t.kind, tenant, id)
}

// ValidID checks an identifier chosen by a user: 1–128 characters from
// letters, digits and . _ - @ :, so it is safe in paths and logs.
func ValidID(what, id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("%w: %s must be 1-128 characters", ErrInvalid, what)
	}
	if strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@:", r))
	}) >= 0 {
		return fmt.Errorf("%w: %s %q may only use letters, digits and . _ - @ :", ErrInvalid, what, id)
	}
	return nil
}
