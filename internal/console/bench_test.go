package console

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// BenchmarkPages measures the server time of each console page, signed in,
// without the network. By default it fills a ledger of 20,000 entries; set
// ATTEST_CONSOLE_BENCH_DATA to the data directory of a filled ledger (a copy:
// the benchmark adds a user and sessions) to measure at scale, e.g. after
// "go run ./bench/ledger fill -data DIR -n 10000000".
func BenchmarkPages(b *testing.B) {
	dir := os.Getenv("ATTEST_CONSOLE_BENCH_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	var world *FakeWorld
	e := newTestEnvAt(b, dir, func(d *Deps) {
		world = NewFakeWorld(d.Log, d.Now)
		world.Plug(d)
	})
	ctx := context.Background()
	if e.log.Size() < 20_000 {
		for range 20_000 {
			e.log.AppendAsync(ctx, ledger.MustEvent("bench.event", "default", ledger.Actor{Kind: ledger.ActorService, ID: "bench"}, map[string]any{"n": 1}))
		}
		for e.log.Pending() > 0 {
			e.log.Append(ctx, ledger.MustEvent("bench.flush", "default", ledger.Actor{Kind: ledger.ActorService, ID: "bench"}, nil))
		}
	}
	if _, err := e.signer.Publish(ctx); err != nil {
		b.Fatal(err)
	}
	name := fmt.Sprint("bench-", rand.Int64())
	pw := e.user(name, access.RoleAdmin)
	br := e.browser()
	br.login(name, pw)
	cookies := br.hc.Jar.Cookies(mustURL(e.srv.URL))
	mux := http.NewServeMux()
	e.c.Routes(mux)
	size := e.log.Size()
	cp, _ := e.st.LatestCheckpoint(ctx)
	b.Logf("ledger of %d entries, newest checkpoint size %d", size, cp.Size)

	for _, p := range []struct {
		name string
		path func() string
	}{
		{"dashboard", fixed("/")},
		{"controls", fixed("/controls")},
		{"control", fixed("/controls/CC8.1-changes")},
		{"evidence-newest", fixed("/evidence")},
		{"evidence-by-type", fixed("/evidence?type=console.login")},
		{"evidence-oldest-page", fixed("/evidence?before=50")},
		{"entry", func() string { return fmt.Sprint("/evidence/", rand.Uint64N(size)) }},
		{"verify", func() string { return fmt.Sprintf("/evidence/%d/verify", rand.Uint64N(cp.Size)) }},
		{"models", fixed("/models")},
		{"model", fixed("/models/support-bot")},
		{"gateway", fixed("/gateway")},
		{"vendors", fixed("/vendors")},
		{"privacy", fixed("/privacy")},
		{"access-review", fixed("/access-reviews/ar-1")},
		{"audit", fixed("/audit")},
		{"users", fixed("/users")},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, p.path(), nil)
				for _, c := range cookies {
					r.AddCookie(c)
				}
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", r.URL, w.Code)
				}
				io.Copy(io.Discard, w.Body)
			}
		})
	}
}

func fixed(p string) func() string { return func() string { return p } }
