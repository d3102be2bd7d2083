package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
)

// BenchKey is the API key the load generator sends to the gateway.
const BenchKey = "sk-attest-bench"

// runGateway serves the attest gateway with everything a production
// request passes through: key authentication, per-key and per-tenant
// limits, abuse detection, write-ahead audit entries, metrics and request
// logs. By default keys and the ledger are in memory (the ledger
// canonicalises every event as the real one does, without fsync); with
// -data they are the production ones: hashed keys read from SQLite and
// the group-committed ledger, durable before each answer is released.
func runGateway(args []string) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18002", "listen address")
	upstream := fs.String("upstream", "http://127.0.0.1:18001/v1", "OpenAI-compatible upstream for the fast route")
	slow := fs.String("slow-upstream", "http://127.0.0.1:18004/v1", "upstream for the slow route")
	logs := fs.String("log", "", "request log file (default: discard after formatting)")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this address, for profiling runs")
	data := fs.String("data", "", "use the production storage in this directory: SQLite, the durable ledger and hashed API keys")
	syncMode := fs.String("sync", "FULL", "SQLite synchronous pragma with -data")
	keyFile := fs.String("key-file", "", "with -data, write the bench consumer key's token here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	config.ApplyGC(config.Default().GCPercent, os.Getenv) // as attest serve does
	cfg := gateway.DefaultConfig()
	cfg.Providers = append(cfg.Providers,
		gateway.ProviderConfig{Name: "local", Kind: "openai-compatible", BaseURL: *upstream},
		gateway.ProviderConfig{Name: "slow", Kind: "openai-compatible", BaseURL: *slow})
	cfg.Routes = append(cfg.Routes,
		gateway.RouteConfig{Alias: "bench", Chain: []gateway.Target{{Provider: "local", Model: "bench-model"}}, Timeout: 30 * time.Second},
		gateway.RouteConfig{Alias: "bench-slow", Chain: []gateway.Target{{Provider: "slow", Model: "bench-model"}}, Timeout: 30 * time.Second})
	// Abuse detection stays on, with thresholds above the benchmark's own
	// traffic so that it observes every request but throttles none.
	cfg.Abuse.Enabled = true
	cfg.Abuse.MinRequests = 1 << 30
	cfg.Abuse.HourlyRequests = 1 << 30
	cfg.Abuse.MinTokens = 1 << 40
	cfg.Abuse.SweepMin = 1 << 30
	var auth gateway.Authenticator
	var led ledger.Appender
	if *data != "" {
		ctx := context.Background()
		d, err := openDurable(ctx, *data, *syncMode)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.consumerKey(ctx, *keyFile); err != nil {
			return err
		}
		auth, led = keyAuth{d.svc}, d.log
	} else {
		a := gatewaytest.NewAuth()
		a.Add(BenchKey, gateway.Caller{KeyID: "key_bench", Tenant: "bench", Role: gateway.RoleConsumer,
			Limits: limits.Limits{RPM: 1 << 40, TPM: 1 << 50, DailyTokens: 1 << 55}})
		auth, led = a, &trimmedLedger{&gatewaytest.Ledger{}}
	}
	var w io.Writer = io.Discard
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	gw, err := gateway.New(context.Background(), cfg, gateway.Deps{
		Auth:         auth,
		Policies:     gateway.StaticPolicy{Limits: limits.Limits{RPM: 1 << 40, TPM: 1 << 50}},
		Ledger:       led,
		Pseudonymize: gatewaytest.Pseudonym,
		HashKey:      []byte("bench-hash-key-0123456789abcdef"),
		Logger:       slog.New(slog.NewJSONHandler(w, nil)),
	})
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		go http.ListenAndServe(*pprofAddr, http.DefaultServeMux)
	}
	gw.Start()
	defer gw.Close()
	mux := http.NewServeMux()
	gw.Routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(gw.Registry(), promhttp.HandlerOpts{}))
	fmt.Fprintf(os.Stderr, "gateway listening on %s\n", *addr)
	return (&http.Server{Addr: *addr, Handler: mux}).ListenAndServe()
}

// trimmedLedger keeps the in-memory ledger from growing without end over
// long runs; every append is still validated and canonicalised.
type trimmedLedger struct{ *gatewaytest.Ledger }

func (t *trimmedLedger) Append(ctx context.Context, e ledger.Event) (uint64, error) {
	p, err := t.Submit(ctx, e)
	if err != nil {
		return 0, err
	}
	return p.Wait(ctx)
}

func (t *trimmedLedger) Submit(ctx context.Context, e ledger.Event) (ledger.Pending, error) {
	if t.Ledger.Len() > 20_000 {
		t.Ledger.Reset()
	}
	return t.Ledger.Submit(ctx, e)
}
