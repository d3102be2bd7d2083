// Package store holds what the SQLite and PostgreSQL implementations share:
// versioned, embedded migrations. The stores themselves live in the sqlite
// and postgres subpackages and implement interfaces owned by the domain
// packages that use them.
package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads files named NNNN_name.sql from dir in fsys, in order.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Migrator applies migrations through a dialect's own transaction.
type Migrator interface {
	// CurrentVersion is the highest applied version, 0 for a new database.
	CurrentVersion(ctx context.Context) (int, error)
	// Apply runs one migration and records its version atomically.
	Apply(ctx context.Context, m Migration) error
}

// Migrate brings the schema up to date. A database newer than this binary is
// refused rather than guessed at.
func Migrate(ctx context.Context, m Migrator, ms []Migration) error {
	cur, err := m.CurrentVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if n := len(ms); n > 0 && cur > ms[n-1].Version {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade attest", cur, ms[n-1].Version)
	}
	for _, mg := range ms {
		if mg.Version <= cur {
			continue
		}
		if err := m.Apply(ctx, mg); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", mg.Version, mg.Name, err)
		}
	}
	return nil
}
