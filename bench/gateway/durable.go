package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// durable is the production storage stack: the embedded SQLite store, the
// group-committed Merkle ledger on it, and API keys whose SHA-256 is looked
// up in the store on every request.
type durable struct {
	st  *sqlite.Store
	log *ledger.Log
	svc *access.Service
}

func openDurable(ctx context.Context, dir, sync string) (*durable, error) {
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Synchronous: sync})
	if err != nil {
		return nil, err
	}
	log, err := ledger.Open(ctx, st, ledger.Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &durable{st: st, log: log, svc: access.NewService(st, log)}, nil
}

func (d *durable) Close() {
	d.log.Close()
	d.st.Close()
}

// consumerKey mints a consumer key and writes its token to path, for the
// load generator to send.
func (d *durable) consumerKey(ctx context.Context, path string) error {
	admin := access.Principal{ID: "bench", Kind: "user", Tenant: "bench", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	tok, _, err := d.svc.CreateKey(ctx, admin, access.KeyRequest{Tenant: "bench", Name: "bench", Role: access.RoleConsumer,
		Limits: access.Limits{RPM: 1 << 40, TPM: 1 << 50, DailyTokens: 1 << 55}})
	if err != nil {
		return fmt.Errorf("create bench key: %w", err)
	}
	return os.WriteFile(path, []byte(tok), 0o600)
}

// keyAuth adapts API keys to the gateway as the server does.
type keyAuth struct{ s *access.Service }

func (a keyAuth) Authenticate(ctx context.Context, token string) (gateway.Caller, error) {
	p, err := a.s.Authenticate(ctx, token)
	switch {
	case errors.Is(err, access.ErrRevoked):
		return gateway.Caller{}, gateway.ErrRevokedKey
	case errors.Is(err, access.ErrExpired):
		return gateway.Caller{}, gateway.ErrExpiredKey
	case errors.Is(err, access.ErrUnknownKey), errors.Is(err, access.ErrUnauthenticated):
		return gateway.Caller{}, gateway.ErrUnknownKey
	case err != nil:
		return gateway.Caller{}, err
	}
	return gateway.Caller{KeyID: p.ID, Tenant: p.Tenant, Role: string(p.Role), AllowedModels: p.Models, ActorKind: p.ActorKind,
		Limits: limits.Limits{RPM: p.Limits.RPM, TPM: p.Limits.TPM, DailyTokens: p.Limits.DailyTokens}}, nil
}

// runCommit measures how long one durable append takes: sequentially,
// when every commit holds a single entry, and open-loop at a rate, when
// the group commit may batch. The entries are shaped like the gateway's
// inference.request entries.
func runCommit(args []string) error {
	fs := flag.NewFlagSet("commit", flag.ContinueOnError)
	dir := fs.String("dir", "", "data directory (default: a new temporary one)")
	syncMode := fs.String("sync", "FULL", "SQLite synchronous pragma: FULL or NORMAL")
	n := fs.Int("n", 2000, "sequential appends")
	rate := fs.Int("rate", 1000, "appends a second in the open-loop phase")
	dur := fs.Duration("duration", 5*time.Second, "open-loop phase length")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "attest-commit-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	ctx := context.Background()
	d, err := openDurable(ctx, *dir, *syncMode)
	if err != nil {
		return err
	}
	defer d.Close()
	body := map[string]any{"request_id": "req_0123456789ab1", "key_id": "key_bench", "api": "openai.chat_completions", "route": "bench",
		"stream": false, "messages": 2, "prompt_bytes": 930, "prompt_tokens_est": 233, "retention": "zero",
		"prompt_hmac": "5f0c6e3bdbb4a2b9d9e0c1a3f7d2e8b4c6a5d3e1f0b9c8a7d6e5f4a3b2c1d0e9"}
	e := ledger.MustEvent("inference.request", "bench", ledger.Actor{Kind: ledger.ActorService, ID: "key_bench"}, body, ledger.Ref{Kind: "api_key", ID: "key_bench"})
	var seq hist
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		if _, err := d.log.Append(ctx, e); err != nil {
			return err
		}
		seq.record(int64(time.Since(t0)))
	}
	var open hist
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(*rate)
	start := time.Now()
	for i := 0; i < int(*dur/interval); i++ {
		if w := time.Until(start.Add(time.Duration(i) * interval)); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if _, err := d.log.Append(ctx, e); err == nil {
				open.record(int64(time.Since(t0)))
			}
		}()
	}
	wg.Wait()
	us := func(ns int64) float64 { return float64(ns) / 1000 }
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"sync": *syncMode, "sequential_p50_us": us(seq.quantile(0.5)), "sequential_p99_us": us(seq.quantile(0.99)),
		"rate": *rate, "open_loop_p50_us": us(open.quantile(0.5)), "open_loop_p99_us": us(open.quantile(0.99)),
	})
}
