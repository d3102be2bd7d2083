package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/postgres"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// attestAppends times durable appends to a fresh ledger on st and checks
// afterwards that the log holds every acknowledged entry.
func attestAppends(ctx context.Context, st ledger.Store, writers, n int, limit time.Duration) (result, error) {
	l, err := ledger.Open(ctx, st, ledger.Options{})
	if err != nil {
		return result{}, fmt.Errorf("open ledger: %w", err)
	}
	defer l.Close()
	r, err := load(writers, n, limit, func(i int) error {
		_, err := l.Append(ctx, event(i))
		return err
	})
	if err != nil {
		return r, err
	}
	if size := l.Size(); size != uint64(r.Done) {
		return r, fmt.Errorf("ledger holds %d entries after %d acknowledged appends", size, r.Done)
	}
	return r, nil
}

// sqliteAppends runs one append measurement on a new embedded store in base.
func sqliteAppends(ctx context.Context, base string, writers, n int, limit time.Duration) (result, error) {
	dir, err := os.MkdirTemp(base, "attest-sqlite-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		return result{}, err
	}
	defer st.Close()
	return attestAppends(ctx, st, writers, n, limit)
}

// openPostgres opens a store in a new schema; drop removes the schema.
func openPostgres(ctx context.Context, url string) (st *postgres.Store, drop func(), err error) {
	var b [6]byte
	crand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err = postgres.Open(cctx, url, postgres.Options{Schema: schema})
	if err != nil {
		return nil, nil, err
	}
	return st, func() {
		st.Pool().Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		st.Close()
	}, nil
}

// postgresAppends runs one append measurement in a fresh schema.
func postgresAppends(ctx context.Context, url string, writers, n int, limit time.Duration) (result, error) {
	st, drop, err := openPostgres(ctx, url)
	if err != nil {
		return result{}, err
	}
	defer drop()
	return attestAppends(ctx, st, writers, n, limit)
}

// attestProofs fills a SQLite ledger with size entries, then times
// inclusion and consistency proofs at that size, one at a time, verifying
// each one outside the timed section.
func attestProofs(ctx context.Context, base string, size, samples int) (inc, cons []time.Duration, err error) {
	dir, err := os.MkdirTemp(base, "attest-proofs-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	l, err := ledger.Open(ctx, st, ledger.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	if _, err := load(512, size, 0, func(i int) error {
		_, err := l.Append(ctx, event(i))
		return err
	}); err != nil {
		return nil, nil, err
	}
	n, root := l.Head()
	for range samples {
		i := rand.Uint64N(n)
		t0 := time.Now()
		p, err := l.InclusionProof(ctx, i, n)
		inc = append(inc, time.Since(t0))
		if err != nil {
			return nil, nil, fmt.Errorf("attest inclusion proof of %d in %d: %w", i, n, err)
		}
		leaf, err := l.LeafHash(ctx, i)
		if err != nil {
			return nil, nil, err
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, n, leaf[:], hashes(p), root[:]); err != nil {
			return nil, nil, fmt.Errorf("attest inclusion proof of %d in %d does not verify: %w", i, n, err)
		}

		m := 1 + rand.Uint64N(n-1)
		t0 = time.Now()
		p, err = l.ConsistencyProof(ctx, m, n)
		cons = append(cons, time.Since(t0))
		if err != nil {
			return nil, nil, fmt.Errorf("attest consistency proof %d→%d: %w", m, n, err)
		}
		old, err := l.RootAt(ctx, m)
		if err != nil {
			return nil, nil, err
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, m, n, hashes(p), old[:], root[:]); err != nil {
			return nil, nil, fmt.Errorf("attest consistency proof %d→%d does not verify: %w", m, n, err)
		}
	}
	return inc, cons, nil
}

func hashes(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}
