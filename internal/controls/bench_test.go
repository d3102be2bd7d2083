package controls_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/controls/controlstest"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// openBench opens a copy-free view of a benchmark ledger with a fresh
// engine. Evaluations append control.evaluated events, so each benchmark
// measures on top of what earlier iterations added; that is a few dozen
// entries per run, noise against the ledger size.
func openBench(b *testing.B, dir string) (*controls.Engine, *sqlite.Store, *ledger.Log) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		l.Close()
		st.Close()
	})
	eng, err := controls.New(controls.Deps{Ledger: st, Log: l, Store: st, Keys: st, Now: func() time.Time { return controlstest.End.Add(time.Hour) }})
	if err != nil {
		b.Fatal(err)
	}
	return eng, st, l
}

// BenchmarkEvaluateFull measures a full evaluation of every control with
// no saved state: every low-volume feed read from index 0 and the last day
// of inference traffic. With a 180-day span the ledger is six months of
// history; with a one-day span every entry is recent traffic, the worst
// case.
func BenchmarkEvaluateFull(b *testing.B) {
	for _, span := range []time.Duration{180 * controls.Day, controls.Day} {
		b.Run(fmt.Sprintf("entries=%d/span=%dd", controlstest.Size(), span/controls.Day), func(b *testing.B) {
			dir := controlstest.Ledger(b, controlstest.Size(), span)
			eng, st, _ := openBench(b, dir)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := st.PutControlState(ctx, "facts", []byte("{}")); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := eng.Evaluate(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvaluateIncremental measures re-evaluation after 1,000 new
// inference entries arrive on top of saved state.
func BenchmarkEvaluateIncremental(b *testing.B) {
	dir := controlstest.Ledger(b, controlstest.Size(), 180*controls.Day)
	eng, _, l := openBench(b, dir)
	ctx := context.Background()
	if _, err := eng.Evaluate(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := 0; j < 1000; j++ {
			e := ledger.MustEvent("inference.request", "tenant-1", ledger.Actor{Kind: ledger.ActorService, ID: "key1"},
				map[string]any{"key_id": "key1", "retention": "zero", "prompt_bytes": 100}, ledger.Ref{Kind: "api_key", ID: "key1"})
			e.Time = controlstest.End.Add(time.Minute)
			if err := l.AppendAsync(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		for l.Pending() > 0 {
			time.Sleep(time.Millisecond)
		}
		b.StartTimer()
		if _, err := eng.Evaluate(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
