// Command ledgerbench measures the ledger figures in BENCHMARKS.md:
// durable append throughput, proof latency on a large ledger, and memory.
//
//	go run ./bench/ledger fill   -data DIR -n 10000000
//	go run ./bench/ledger proofs -data DIR -n 100000
//	go run ./bench/ledger append -writers 64,512 -n 200000 -runs 5 [-database URL]
//	go run ./bench/ledger rss    -attest bin/attest -data DIR -n 5000
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/postgres"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ledgerbench fill|proofs|append [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "fill":
		err = fill(os.Args[2:])
	case "proofs":
		err = proofs(os.Args[2:])
	case "append":
		err = appendBench(os.Args[2:])
	case "rss":
		err = rss(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(1)
	}
}

type body struct {
	Status           int    `json:"status"`
	LatencyUS        int    `json:"latency_us"`
	Provider         string `json:"provider"`
	Model            string `json:"model"`
	ModelVersion     string `json:"model_version"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	Fallback         bool   `json:"fallback"`
	Retention        string `json:"retention_mode"`
	RequestMAC       string `json:"request_mac"`
	RequestID        string `json:"request_id"`
}

var mac = strings.Repeat("ab", 32)

// event is shaped like the gateway's inference.response evidence; its
// canonical encoding is about 400 bytes.
func event(i int) ledger.Event {
	return ledger.MustEvent("inference.response", "tenant-"+strconv.Itoa(i%4), ledger.Actor{Kind: ledger.ActorService, ID: "gateway"},
		body{Status: 200, LatencyUS: 1000 + i%5000, Provider: "openai-primary", Model: "gpt-4o-mini", ModelVersion: "2024-07-18",
			PromptTokens: 512, CompletionTokens: 128, Retention: "zero", RequestMAC: mac, RequestID: fmt.Sprintf("req-%016d", i)},
		ledger.Ref{Kind: "key", ID: "k_" + strconv.Itoa(i%100)})
}

func openSQLite(dir string) (*sqlite.Store, *ledger.Log, error) {
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		return nil, nil, err
	}
	l, err := ledger.Open(context.Background(), st, ledger.Options{})
	return st, l, err
}

// run appends n events with w concurrent writers and returns entries/s.
func run(l *ledger.Log, w, n int, progress bool) (float64, error) {
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	start := time.Now()
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n || firstErr.Load() != nil {
					return
				}
				if _, err := l.Append(context.Background(), event(i)); err != nil {
					firstErr.Store(&err)
					return
				}
				if progress && i%500000 == 0 {
					fmt.Fprintf(os.Stderr, "\r%d/%d (%.0f/s)", i, n, float64(i)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return 0, *p
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func fill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	dir := fs.String("data", "", "data directory to fill")
	n := fs.Int("n", 10_000_000, "entries to add")
	fs.Parse(args)
	st, l, err := openSQLite(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	defer l.Close()
	rate, err := run(l, 1024, *n, true)
	fmt.Fprintf(os.Stderr, "\nfilled %d entries at %.0f entries/s; size now %d\n", *n, rate, l.Size())
	return err
}

func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func proofs(args []string) error {
	fs := flag.NewFlagSet("proofs", flag.ExitOnError)
	dir := fs.String("data", "", "data directory of a filled ledger")
	n := fs.Int("n", 100_000, "proofs of each kind to time")
	warm := fs.Int("warmup", 2000, "proofs of each kind run first and reported apart, as the cold-cache figure")
	memprof := fs.String("memprofile", "", "write an allocation profile of the proofs to `file`")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile of the proofs to `file`")
	fs.Parse(args)
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *memprof != "" {
		runtime.MemProfileRate = 512
		defer func() {
			f, err := os.Create(*memprof)
			if err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	st, l, err := openSQLite(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	defer l.Close()
	ctx := context.Background()
	size, root := l.Head()
	fmt.Printf("ledger size %d\n", size)
	var ms runtime.MemStats
	for _, kind := range []string{"inclusion", "consistency"} {
		lat := make([]time.Duration, 0, *warm+*n)
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < *warm+*n; i++ {
			x := uint64(mrand.Int64N(int64(size)))
			t0 := time.Now()
			var err error
			if kind == "inclusion" {
				var p tlog.RecordProof
				p, err = l.InclusionProof(ctx, x, size)
				lat = append(lat, time.Since(t0))
				if err == nil && i%1000 == 0 {
					var h tlog.Hash
					if h, err = l.LeafHash(ctx, x); err == nil {
						err = tlog.CheckRecord(p, int64(size), root, int64(x), h)
					}
				}
			} else {
				var p tlog.TreeProof
				p, err = l.ConsistencyProof(ctx, max(1, x), size)
				lat = append(lat, time.Since(t0))
				if err == nil && i%1000 == 0 {
					var old tlog.Hash
					if old, err = l.RootAt(ctx, max(1, x)); err == nil {
						err = tlog.CheckTree(p, int64(size), root, int64(max(1, x)), old)
					}
				}
			}
			if err != nil {
				return fmt.Errorf("%s proof %d: %w", kind, x, err)
			}
		}
		runtime.ReadMemStats(&ms)
		fmt.Printf("%-12s allocated %.0f B per proof; %d GC cycles\n", kind,
			float64(ms.TotalAlloc-before.TotalAlloc)/float64(*warm+*n), ms.NumGC-before.NumGC)
		cold := "none"
		if *warm > 0 {
			cold = percentile(slices.Clone(lat[:*warm]), 0.99).String()
		}
		lat = lat[*warm:]
		fmt.Printf("%-12s n=%d p50=%v p90=%v p99=%v max=%v (the %d warm-up proofs before them, cold cache: p99=%s)\n", kind, len(lat),
			percentile(lat, 0.50), percentile(lat, 0.90), percentile(lat, 0.99), percentile(lat, 1), *warm, cold)
	}
	runtime.ReadMemStats(&ms)
	fmt.Printf("heap in use after %d proofs: %.1f MiB\n", 2**n, float64(ms.HeapInuse)/(1<<20))
	return nil
}

func appendBench(args []string) error {
	fs := flag.NewFlagSet("append", flag.ExitOnError)
	writers := fs.String("writers", "64,512", "comma-separated writer counts")
	n := fs.Int("n", 200_000, "entries per run")
	runs := fs.Int("runs", 5, "runs per writer count; the median is reported")
	database := fs.String("database", "", "PostgreSQL URL instead of SQLite")
	fs.Parse(args)
	for _, ws := range strings.Split(*writers, ",") {
		w, err := strconv.Atoi(ws)
		if err != nil {
			return err
		}
		var rates []float64
		for r := 0; r < *runs; r++ {
			rate, err := oneRun(*database, w, *n)
			if err != nil {
				return err
			}
			rates = append(rates, rate)
		}
		slices.Sort(rates)
		store := "sqlite"
		if *database != "" {
			store = "postgres"
		}
		fmt.Printf("%s writers=%d n=%d runs=%v median=%.0f entries/s\n", store, w, *n, fmtRates(rates), rates[len(rates)/2])
	}
	return nil
}

func fmtRates(r []float64) string {
	s := make([]string, len(r))
	for i, v := range r {
		s[i] = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func oneRun(database string, w, n int) (float64, error) {
	ctx := context.Background()
	if database == "" {
		dir, err := os.MkdirTemp("", "ledgerbench")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		st, l, err := openSQLite(dir)
		if err != nil {
			return 0, err
		}
		defer st.Close()
		defer l.Close()
		return run(l, w, n, false)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	st, err := postgres.Open(ctx, database, postgres.Options{Schema: schema, MaxConns: 16})
	if err != nil {
		return 0, err
	}
	defer func() {
		st.Pool().Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		st.Close()
	}()
	l, err := ledger.Open(ctx, st, ledger.Options{})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return run(l, w, n, false)
}

// rss starts a real attest server on a data directory, asks it for n
// inclusion proofs of random entries over HTTP, and prints its resident
// memory before and after.
func rss(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ExitOnError)
	bin := fs.String("attest", "bin/attest", "attest binary")
	dir := fs.String("data", "", "data directory")
	n := fs.Int("n", 5000, "proof requests")
	fs.Parse(args)
	cmd := exec.Command(*bin, "serve", "--data", *dir, "--addr", "127.0.0.1:0", "--log-level", "error")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	var url, token string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if m := regexp.MustCompile(`atk_[A-Za-z0-9_-]+`).FindString(line); m != "" {
			token = m
		}
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(line); m != nil {
			url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if token == "" {
		token = os.Getenv("ATTEST_TOKEN")
	}
	if url == "" || token == "" {
		return fmt.Errorf("server did not start or printed no admin key (set ATTEST_TOKEN for a data directory that has one)")
	}
	get := func(path string) ([]byte, error) {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	post, _ := http.NewRequest("POST", url+"/api/v1/ledger/checkpoints", nil)
	post.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(post); err == nil {
		resp.Body.Close()
	}
	time.Sleep(time.Second)
	before := rssOf(cmd.Process.Pid)
	var cp struct{ Size uint64 }
	b, _ := get("/api/v1/ledger/checkpoints?from=0")
	var cps struct{ Checkpoints []struct{ Size uint64 } }
	json.Unmarshal(b, &cps)
	if len(cps.Checkpoints) > 0 {
		cp.Size = cps.Checkpoints[len(cps.Checkpoints)-1].Size
	}
	for i := 0; i < *n; i++ {
		if _, err := get(fmt.Sprintf("/api/v1/ledger/proofs/inclusion?index=%d", mrand.Int64N(int64(cp.Size)))); err != nil {
			return err
		}
	}
	fmt.Printf("ledger size %d: RSS after start %.1f MiB, after %d random proofs %.1f MiB\n", cp.Size, before, *n, rssOf(cmd.Process.Pid))
	return nil
}

func rssOf(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}
