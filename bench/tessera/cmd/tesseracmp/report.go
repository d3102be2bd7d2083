package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// setup names one measured configuration. batch is zero for attest, and
// for Tessera's defaults.
type setup struct {
	system, store string
	writers       int
	batch         batching
}

// trial is one run of the Tessera batching search.
type trial struct {
	writers int
	batch   batching
	res     result
}

// proofRow is the proof latencies of one system.
type proofRow struct {
	system    string
	inc, cons []time.Duration
}

type report struct {
	cfg                config
	started            time.Time
	took               time.Duration
	loadStart, loadEnd string
	cpus, procs        int
	entryBytes         int
	pgSkipped          string
	trials             []trial
	finalists          map[int][]batching
	order              []setup
	runs               map[setup][]result
	proofs             []proofRow
}

func (r *report) batchLabel(s setup) string {
	if s.system != "Tessera" {
		return "group commit (built in)"
	}
	if i := slices.Index(r.finalists[s.writers], s.batch); i >= 0 {
		return fmt.Sprintf("%v (search #%d)", s.batch, i+1)
	}
	return s.batch.String()
}

// bestTessera is the Tessera setup with the highest median at w writers,
// defaults included.
func (r *report) bestTessera(w int) (setup, summary) {
	var best setup
	var top summary
	for _, s := range r.order {
		if s.system != "Tessera" || s.writers != w {
			continue
		}
		if m := summarize(r.runs[s]); m.Median > top.Median {
			best, top = s, m
		}
	}
	return best, top
}

func rate(v float64, capped bool) string {
	s := fmt.Sprintf("%.0f", v)
	if capped {
		s += "*"
	}
	return s
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func (r *report) write(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "## attest vs Tessera (%s)\n\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- %s %s/%s, %d CPUs, GOMAXPROCS %d; load average %s at start, %s at end; took %v\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, r.cpus, r.procs, r.loadStart, r.loadEnd, r.took.Round(time.Second))
	fmt.Fprintf(w, "- %d entries of %d bytes per run, %d runs per configuration, interleaved round by round; all stores under %s\n", c.N, r.entryBytes, c.Runs, c.Dir)
	fmt.Fprintln(w, "- durable: attest's Append returned an index (SQLite synchronous=FULL); Tessera's Add future returned an index (POSIX files written with O_SYNC)")
	fmt.Fprintf(w, "- `*`: a median that includes runs stopped by the %v limit before n entries; the rate is still entries done / time taken\n", c.Limit)
	if r.pgSkipped != "" {
		fmt.Fprintf(w, "- PostgreSQL skipped: %s\n", r.pgSkipped)
	}

	fmt.Fprintf(w, "\n### Durable appends, entries/s (median, min, max of %d runs)\n\n", c.Runs)
	fmt.Fprintln(w, "| system | storage | writers | batching (max size, max age) | median | min | max |")
	fmt.Fprintln(w, "|---|---|---:|---|---:|---:|---:|")
	for _, s := range r.order {
		m := summarize(r.runs[s])
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %.0f | %.0f |\n", s.system, s.store, s.writers, r.batchLabel(s), rate(m.Median, m.Capped), m.Min, m.Max)
	}

	fmt.Fprintln(w, "\n### attest / Tessera, medians of the same run")
	fmt.Fprintln(w, "\n| writers | attest SQLite | Tessera, best setting | attest / Tessera best | Tessera default | attest / Tessera default |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	for _, n := range c.Writers {
		a := summarize(r.runs[setup{"attest", "SQLite", n, batching{}}])
		bs, b := r.bestTessera(n)
		d := summarize(r.runs[setup{"Tessera", "POSIX", n, batching{}}])
		fmt.Fprintf(w, "| %d | %s | %s with %v | %s | %s | %s |\n", n, rate(a.Median, a.Capped), rate(b.Median, b.Capped), bs.batch, ratio(a.Median, b.Median), rate(d.Median, d.Capped), ratio(a.Median, d.Median))
	}

	fmt.Fprintf(w, "\n### Tessera batching search (each setting once, %d entries, %v limit; the %d best went on)\n\n", c.TuneN, c.TuneLimit, c.Finalists)
	fmt.Fprintln(w, "| writers | max size | max age | entries/s |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|")
	for _, t := range r.trials {
		mark := ""
		if i := slices.Index(r.finalists[t.writers], t.batch); i >= 0 {
			mark = fmt.Sprintf(" (#%d)", i+1)
		}
		fmt.Fprintf(w, "| %d | %d | %v | %s%s |\n", t.writers, t.batch.Size, t.batch.Age, rate(t.res.Rate(), t.res.Capped), mark)
	}

	if len(r.proofs) > 0 {
		fmt.Fprintf(w, "\n### Proof building on a %d-entry log (%d proofs of each kind, one at a time)\n\n", c.ProofSize, c.ProofSamples)
		fmt.Fprintln(w, "| system | inclusion p50 | inclusion p99 | consistency p50 | consistency p99 |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, p := range r.proofs {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", p.system, pct(p.inc, 50), pct(p.inc, 99), pct(p.cons, 50), pct(p.cons, 99))
		}
	}
}

// pct is the p-th percentile of ds in microseconds.
func pct(ds []time.Duration, p int) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)*p/100, len(s)-1)
	return fmt.Sprintf("%.1f µs", float64(s[i].Nanoseconds())/1e3)
}
