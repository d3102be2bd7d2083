// Package controlstest builds large, realistic ledgers for the controls and
// audit benchmarks.
package controlstest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// Origin is the checkpoint origin of benchmark ledgers; their signing key
// is the data directory's ledger.key.
const Origin = "bench.attest/ledger"

// End is the time of the newest entry of a benchmark ledger.
var End = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// Size is the ledger size of the benchmarks; ATTEST_BENCH_ENTRIES changes it.
func Size() int {
	if n, err := strconv.Atoi(os.Getenv("ATTEST_BENCH_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var built sync.Map // dir -> *sync.Once

// Ledger returns a SQLite data directory holding a ledger of n entries
// spread evenly over span up to End. It is built once and kept under
// ATTEST_BENCH_DIR (default: the system temp dir), so repeated runs
// measure only what they benchmark.
//
// The mix follows a busy deployment: inference requests and responses
// over 20 tenants, 500 keys and 4 providers; every hour of the span one
// control.evaluated event per catalog control, as the hourly schedule
// writes; and one entry in a hundred of the other evidence (signatures,
// changes, deployments, verifications, evaluations, drift, retention,
// guards, vendor reviews, rotations). A checkpoint is signed every 2,048
// entries.
func Ledger(tb testing.TB, n int, span time.Duration) string {
	root := os.Getenv("ATTEST_BENCH_DIR")
	if root == "" {
		root = os.TempDir()
	}
	dir := filepath.Join(root, fmt.Sprintf("attest-bench-%d-%dd", n, span/controls.Day))
	once, _ := built.LoadOrStore(dir, new(sync.Once))
	once.(*sync.Once).Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
			return
		}
		os.RemoveAll(dir)
		tb.Logf("building a %d-entry ledger in %s (once)", n, dir)
		if err := build(dir, n, span); err != nil {
			tb.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644)
	})
	return dir
}

func build(dir string, n int, span time.Duration) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer st.Close()
	kp, err := ledger.LoadOrCreateKey(dir, Origin)
	if err != nil {
		return err
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	signer := ledger.NewSigner(l, kp.Signer)
	cat, err := controls.Builtin()
	if err != nil {
		return err
	}
	start := End.Add(-span)
	step := span / time.Duration(n)
	nextRun := start
	providers := []string{"openai", "anthropic", "azure", "bedrock"}
	for i := 0; i < n; i++ {
		t := start.Add(time.Duration(i) * step)
		tenant := "tenant-" + strconv.Itoa(i%20)
		key := "key" + strconv.Itoa(i%500)
		var e ledger.Event
		switch {
		case !t.Before(nextRun):
			// One hourly evaluation: an event per control.
			for _, k := range cat.Controls {
				ev := ledger.MustEvent(controls.EventEvaluated, controls.SystemTenant, controls.Actor, map[string]any{
					"run_id": nextRun.Format(time.RFC3339), "control": k.ID, "catalog_version": cat.Version, "status": "pass",
					"reason": "every check passed", "ledger_size": i,
				}, ledger.Ref{Kind: "control", ID: k.ID})
				ev.Time = t
				if err := l.AppendAsync(ctx, ev); err != nil {
					return err
				}
				i++
			}
			nextRun = nextRun.Add(time.Hour)
			continue
		case i%100 == 0:
			e = rare(i, tenant)
		case i%2 == 0:
			e = ledger.MustEvent("inference.request", tenant, ledger.Actor{Kind: ledger.ActorService, ID: key}, map[string]any{
				"request_id": "req" + strconv.Itoa(i), "key_id": key, "api": "openai.chat", "route": "gpt-4o", "stream": i%3 == 0,
				"messages": 3, "prompt_bytes": 1800, "prompt_tokens_est": 450, "retention": "zero",
				"prompt_hmac": "9f2c4e0c1d3b5a7e9f2c4e0c1d3b5a7e9f2c4e0c1d3b5a7e9f2c4e0c1d3b5a7e",
			}, ledger.Ref{Kind: "api_key", ID: key})
		default:
			e = ledger.MustEvent("inference.response", tenant, ledger.Actor{Kind: ledger.ActorService, ID: key}, map[string]any{
				"request_id": "req" + strconv.Itoa(i-1), "request_index": i - 1, "key_id": key, "api": "openai.chat", "route": "gpt-4o",
				"status": 200, "latency_us": 812345, "input_tokens": 450, "output_tokens": 210, "provider": providers[i%4],
				"provider_kind": "openai", "model": "gpt-4o-2024-08-06", "stop_reason": "stop",
				"response_hmac": "1b7d9e3f5a2c4e6d8b0a1b7d9e3f5a2c4e6d8b0a1b7d9e3f5a2c4e6d8b0a1b7d",
			}, ledger.Ref{Kind: "api_key", ID: key})
		}
		e.Time = t
		if err := l.AppendAsync(ctx, e); err != nil {
			return err
		}
		if i%2048 == 2047 {
			if err := checkpoint(ctx, l, signer); err != nil {
				return err
			}
		}
	}
	if err := checkpoint(ctx, l, signer); err != nil {
		return err
	}
	if err := l.Close(); err != nil {
		return err
	}
	svc := access.NewService(st, discard{})
	by := access.Principal{ID: "bench", Kind: "cli", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	for i := 0; i < 500; i++ {
		if _, _, err := svc.CreateKey(ctx, by, access.KeyRequest{Tenant: "tenant-" + strconv.Itoa(i%20), Name: "key" + strconv.Itoa(i), Role: access.RoleConsumer, Limits: access.Limits{RPM: 600}}); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint waits for queued appends and signs the head.
func checkpoint(ctx context.Context, l *ledger.Log, s *ledger.Signer) error {
	for l.Pending() > 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := s.Publish(ctx)
	return err
}

type discard struct{}

func (discard) Append(context.Context, ledger.Event) (uint64, error) { return 0, nil }

// rare returns one of the low-volume evidence events.
func rare(i int, tenant string) ledger.Event {
	human := ledger.Actor{Kind: ledger.ActorHuman, ID: "user:" + strconv.Itoa(i%7)}
	approver := ledger.Actor{Kind: ledger.ActorHuman, ID: "user:approver"}
	svc := ledger.Actor{Kind: ledger.ActorService, ID: "svc"}
	// 50 models with a new version every 200,000 entries, and a change
	// per 1,200 entries: thousands of each over 10 million entries, as a
	// busy team would produce in six months.
	v := ledger.Ref{Kind: "model_version", ID: "model" + strconv.Itoa(i/100%50) + "@" + strconv.Itoa(i/200000)}
	ch := ledger.Ref{Kind: "change", ID: "c" + strconv.Itoa(i/1200)}
	switch i / 100 % 12 {
	case 0:
		return ledger.MustEvent("model.signed", tenant, human, map[string]any{"root_digest": "sha256:00"}, v)
	case 1:
		return ledger.MustEvent("change.requested", tenant, human, map[string]any{"kind": "promote"}, ch, v)
	case 2:
		return ledger.MustEvent("change.approved", tenant, approver, nil, ch)
	case 3:
		return ledger.MustEvent("deploy.alias_moved", tenant, svc, map[string]any{"alias": "production"}, v)
	case 4:
		return ledger.MustEvent("model.verified", tenant, svc, map[string]any{"verified": true}, v)
	case 5:
		return ledger.MustEvent("eval.completed", tenant, svc, map[string]any{"passed": true, "suite": "s"}, v)
	case 6:
		return ledger.MustEvent("drift.report", tenant, svc, map[string]any{"psi": 0.01}, v)
	case 7:
		return ledger.MustEvent("retention.run", "system", svc, map[string]any{"job": "payloads", "status": "ok"})
	case 8:
		return ledger.MustEvent("guard.policy_set", tenant, human, map[string]any{
			"pii": map[string]string{"EMAIL_ADDRESS": "redact"}, "injection": map[string]float64{"block": 0.9, "flag": 0.5},
			"output": map[string]string{"on_canary": "block"}, "fail_open": false, "policy_sha256": "00"})
	case 9:
		return ledger.MustEvent("vendor.reviewed", "system", human, map[string]any{"providers": []string{"openai", "anthropic", "azure", "bedrock"}}, ledger.Ref{Kind: "vendor", ID: "v" + strconv.Itoa(i%3)})
	case 10:
		p := []string{"openai", "anthropic", "azure", "bedrock"}[i%4]
		return ledger.MustEvent("gateway.credential_rotated", "system", svc, map[string]any{"provider": p}, ledger.Ref{Kind: "provider", ID: p})
	default:
		return ledger.MustEvent("key.rotated", tenant, human, map[string]any{"replaced_by": "x"}, ledger.Ref{Kind: "key", ID: "k"})
	}
}
