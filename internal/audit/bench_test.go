package audit_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/controls/controlstest"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

// benchOut keeps every package the benchmark writes until the process
// exits (TestMain removes it). Deleting a package's tens of thousands of
// files between runs would slow the next run's file creation on ext4
// without a journal, which skips recently freed inodes one by one, and so
// measure the clean-up rather than the export.
var (
	benchOut  string
	benchRuns int
)

// BenchmarkExport measures the auditor package for a six-month period over
// the whole benchmark ledger: verification and export of the ledger
// bundle, sampling, proofs, reports, OSCAL, manifest and zip.
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	dir := controlstest.Ledger(b, controlstest.Size(), 180*controls.Day)
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
	kp, err := ledger.LoadOrCreateKey(dir, controlstest.Origin)
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return controlstest.End.Add(time.Hour) }
	eng, err := controls.New(controls.Deps{Ledger: st, Log: l, Store: st, Keys: st, VerifierKey: kp.VerifierKey, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	deps := audit.Deps{Store: st, Log: l, Publish: ledger.NewSigner(l, kp.Signer).Publish, VerifierKey: kp.VerifierKey, Engine: eng}
	// Each stage's wall time is reported too, so a slow export shows
	// where its time goes.
	stages := map[string]time.Duration{}
	var stage string
	var began time.Time
	progress := func(s string, _, _ uint64) {
		if s == stage {
			return
		}
		t := time.Now()
		if stage != "" {
			stages[stage] += t.Sub(began)
		}
		stage, began = s, t
	}
	if benchOut == "" {
		if benchOut, err = os.MkdirTemp(os.Getenv("ATTEST_BENCH_DIR"), "attest-export-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchRuns++
		out := filepath.Join(benchOut, fmt.Sprintf("pkg-%d", benchRuns))
		stage = ""
		res, err := audit.Export(ctx, deps, audit.Options{From: controlstest.End.Add(-180 * controls.Day), To: controlstest.End, Seed: "bench-seed", Dir: out, Now: now, Progress: progress})
		progress("end", 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if fi, err := os.Stat(res.Zip); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "zip-MiB")
		}
		b.ReportMetric(float64(res.Samples), "samples")
		for s, d := range stages {
			b.ReportMetric(d.Seconds()/float64(b.N), s+"-s")
		}
		b.StartTimer()
	}
}
