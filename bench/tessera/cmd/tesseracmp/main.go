// Command tesseracmp measures, in one run on one machine, durable appends to
// attest's ledger (embedded SQLite, and PostgreSQL when reachable) against
// adds to a Tessera log on POSIX storage, with Tessera's batching searched
// per writer count, and the proof-building latency of both. It prints a
// markdown report on stdout and progress on stderr.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/klog/v2"
)

const defaultDatabase = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// config is what the flags set.
type config struct {
	N, Runs          int
	Writers          []int
	PGWriters        int
	Dir, Database    string
	Limit            time.Duration
	TuneN            int
	TuneLimit        time.Duration
	Finalists        int
	ProofSize        int
	ProofSamples     int
	Progress, Stdout io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "tesseracmp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tesseracmp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := config{Progress: stderr, Stdout: stdout}
	db := os.Getenv("ATTEST_TEST_DATABASE_URL")
	if db == "" {
		db = defaultDatabase
	}
	fs.IntVar(&c.N, "n", 200_000, "entries per timed run, the same for every system")
	fs.IntVar(&c.Runs, "runs", 3, "timed runs per configuration; the report gives medians")
	writers := fs.String("writers", "64,512", "comma-separated concurrent writer counts")
	fs.IntVar(&c.PGWriters, "pg-writers", 512, "concurrent writers for the PostgreSQL runs (0 skips them)")
	fs.StringVar(&c.Dir, "dir", os.TempDir(), "directory for every store; keep all systems on one disk")
	fs.StringVar(&c.Database, "database", db, "PostgreSQL URL (default $ATTEST_TEST_DATABASE_URL); runs are skipped if it is unreachable")
	fs.DurationVar(&c.Limit, "limit", 15*time.Second, "time limit of one timed run; a run stopped by it is marked capped")
	fs.IntVar(&c.TuneN, "tune-n", 0, "entries per Tessera batching trial (default n/10)")
	fs.DurationVar(&c.TuneLimit, "tune-limit", 2*time.Second, "time limit of one Tessera batching trial")
	fs.IntVar(&c.Finalists, "finalists", 3, "best Tessera batching settings per writer count that go on to the timed runs")
	fs.IntVar(&c.ProofSize, "proof-size", 1_000_000, "log size for the proof latency measurement (0 skips it)")
	fs.IntVar(&c.ProofSamples, "proof-samples", 5000, "proofs of each kind timed per system")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tesseracmp [flags]\n\nCompares attest's durable appends with Tessera's POSIX log on this machine.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	ws, err := parseWriters(*writers)
	if err != nil {
		return err
	}
	c.Writers = ws
	if c.N < 1 || c.Runs < 1 || c.Finalists < 1 {
		return errors.New("-n, -runs and -finalists must be at least 1")
	}
	if c.TuneN <= 0 {
		c.TuneN = max(c.N/10, 1)
	}
	// Tessera logs through klog; its teardown warnings would bury the
	// progress lines, and real failures surface through the index futures.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)

	base, err := os.MkdirTemp(c.Dir, "tesseracmp-")
	if err != nil {
		return fmt.Errorf("create a work directory in %s: %w (pick another with -dir)", c.Dir, err)
	}
	defer os.RemoveAll(base)
	rep, err := measure(ctx, c, base)
	if err != nil {
		return err
	}
	rep.write(stdout)
	return nil
}

func parseWriters(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-writers %q: want positive integers separated by commas, such as 64,512", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// measure runs every measurement. Timed runs of different systems are
// interleaved round by round, so a burst of outside load hits all of them
// rather than one.
func measure(ctx context.Context, c config, base string) (*report, error) {
	rep := &report{cfg: c, started: time.Now(), loadStart: loadavg(), cpus: runtime.NumCPU(), procs: runtime.GOMAXPROCS(0)}
	sample, err := entry(0)
	if err != nil {
		return nil, err
	}
	rep.entryBytes = len(sample)
	k, err := newKeys()
	if err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(c.Progress, format+"\n", a...) }

	if c.PGWriters > 0 {
		if _, drop, err := openPostgres(ctx, c.Database); err != nil {
			rep.pgSkipped = err.Error()
			logf("postgres: skipped: %v", err)
		} else {
			drop()
		}
	}

	// The search runs each setting once on a short log; the few best go on
	// to the timed rounds, where the best median is the one compared.
	rep.finalists = map[int][]batching{}
	for _, w := range c.Writers {
		var ts []trial
		for _, b := range grid(w) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r, err := tesseraAppends(ctx, base, k, b, w, c.TuneN, c.TuneLimit)
			if err != nil {
				return nil, fmt.Errorf("tessera trial %d writers, batching %v: %w", w, b, err)
			}
			ts = append(ts, trial{writers: w, batch: b, res: r})
			logf("search tessera w=%d batching %v: %.0f entries/s%s", w, b, r.Rate(), cappedMark(r.Capped))
		}
		rep.trials = append(rep.trials, ts...)
		slices.SortStableFunc(ts, func(a, b trial) int { return cmp.Compare(b.res.Rate(), a.res.Rate()) })
		for _, t := range ts[:min(c.Finalists, len(ts))] {
			rep.finalists[w] = append(rep.finalists[w], t.batch)
		}
	}

	type job struct {
		key setup
		run func() (result, error)
	}
	var jobs []job
	for _, w := range c.Writers {
		jobs = append(jobs, job{setup{"attest", "SQLite", w, batching{}}, func() (result, error) {
			return sqliteAppends(ctx, base, w, c.N, c.Limit)
		}})
		for _, b := range append(slices.Clone(rep.finalists[w]), batching{}) {
			jobs = append(jobs, job{setup{"Tessera", "POSIX", w, b}, func() (result, error) {
				return tesseraAppends(ctx, base, k, b, w, c.N, c.Limit)
			}})
		}
	}
	if c.PGWriters > 0 && rep.pgSkipped == "" {
		jobs = append(jobs, job{setup{"attest", "PostgreSQL", c.PGWriters, batching{}}, func() (result, error) {
			return postgresAppends(ctx, c.Database, c.PGWriters, c.N, c.Limit)
		}})
	}
	rep.runs = map[setup][]result{}
	for round := 1; round <= c.Runs; round++ {
		for _, j := range jobs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if !slices.Contains(rep.order, j.key) {
				rep.order = append(rep.order, j.key)
			}
			r, err := j.run()
			if err != nil {
				return nil, fmt.Errorf("%s %s %d writers: %w", j.key.system, j.key.store, j.key.writers, err)
			}
			rep.runs[j.key] = append(rep.runs[j.key], r)
			logf("run %d/%d %s %s w=%d %s: %.0f entries/s (%d in %v)%s", round, c.Runs, j.key.system, j.key.store, j.key.writers, rep.batchLabel(j.key), r.Rate(), r.Done, r.Elapsed.Round(time.Millisecond), cappedMark(r.Capped))
		}
	}

	if c.ProofSize > 1 {
		logf("proofs: filling a %d-entry Tessera log", c.ProofSize)
		t0 := time.Now()
		inc, cons, err := tesseraProofs(ctx, base, k, c.ProofSize, c.ProofSamples)
		if err != nil {
			return nil, err
		}
		rep.proofs = append(rep.proofs, proofRow{"Tessera (POSIX, new ProofBuilder per proof)", inc, cons})
		logf("proofs: Tessera done in %v; filling a %d-entry attest ledger", time.Since(t0).Round(time.Second), c.ProofSize)
		t0 = time.Now()
		inc, cons, err = attestProofs(ctx, base, c.ProofSize, c.ProofSamples)
		if err != nil {
			return nil, err
		}
		rep.proofs = append(rep.proofs, proofRow{"attest (SQLite)", inc, cons})
		logf("proofs: attest done in %v", time.Since(t0).Round(time.Second))
	}
	rep.loadEnd = loadavg()
	rep.took = time.Since(rep.started)
	return rep, nil
}

func cappedMark(c bool) string {
	if c {
		return " (capped)"
	}
	return ""
}

// loadavg is the 1, 5 and 15 minute load averages from /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
