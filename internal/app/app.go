// Package app wires configuration, stores and domain services into one
// running attest process. cmd/attest and the CLI use it; tests use it to
// start a real server in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/store/postgres"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/tenant"
	"github.com/attest-ai/attest/internal/vault"
	"github.com/attest-ai/attest/internal/vendor"
	"github.com/attest-ai/attest/internal/web"
	"github.com/attest-ai/attest/internal/witness"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Store is every persistence interface, implemented by both engines.
type Store interface {
	ledger.Store
	vault.Store
	access.Store
	access.ReviewStore
	controls.Store
	records.Store
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)

// OpenStore opens PostgreSQL if a database URL is configured, otherwise the
// embedded SQLite store in the data directory.
func OpenStore(ctx context.Context, c config.Config) (Store, error) {
	if c.Database != "" {
		return postgres.Open(ctx, c.Database, postgres.Options{})
	}
	return sqlite.Open(ctx, c.DataDir, sqlite.Options{Synchronous: c.SQLite.Synchronous})
}

// App is a wired attest process.
type App struct {
	Config   config.Config
	Logger   *slog.Logger
	Store    Store
	Log      *ledger.Log
	Signer   *ledger.Signer
	VKey     string
	Access   *access.Service
	Vault    *vault.Vault
	Privacy  *privacy.Service
	Models   *registry.Service // the model registry; Registry holds metrics
	Tenants  *tenant.Service
	Gateway  *gateway.Gateway
	Vendors  *vendor.Service
	Controls *controls.Engine
	Reviews  *access.Reviews
	Registry *prometheus.Registry
	Web      *web.Server
	// Witnesses asks witnesses to cosign checkpoints; nil without any.
	Witnesses *witness.Client
	// gatewayCfg is the gateway section, decoded once at start.
	gatewayCfg gateway.Config
	// tracer sends the gateway's spans when gateway.tracing is on.
	tracer *sdktrace.TracerProvider
	// guard is the gateway's guard; nil means the no-op guard.
	guard       gateway.Guard
	sweepLimits func(context.Context, time.Time) (int64, error)
	// limitCounters are the gateway's shared limit counters with
	// PostgreSQL, which the console's sign-in limits use too; nil on the
	// embedded store, where one process counts alone.
	limitCounters limits.Backend
	// AdminToken is set only on the first start, when the admin key was
	// just created.
	AdminToken string
}

// NewLogger builds the process logger. It never logs request content.
func NewLogger(c config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// LedgerKey loads the checkpoint signing key: ATTEST_LEDGER_KEY if set (so
// replicas share one key), otherwise the data directory's key file.
func LedgerKey(c config.Config) (*ledger.KeyPair, error) {
	if s := os.Getenv("ATTEST_LEDGER_KEY"); s != "" {
		return ledger.ParseKey(s)
	}
	origin := c.Ledger.Origin
	if origin == "" {
		host, _ := os.Hostname()
		host = strings.Map(func(r rune) rune {
			if r == '+' || r <= ' ' {
				return '-'
			}
			return r
		}, host)
		if host == "" {
			host = "localhost"
		}
		origin = host + "/attest"
	}
	return ledger.LoadOrCreateKey(c.DataDir, origin)
}

// CheckLedgerKey refuses a signing key that cannot verify the newest
// checkpoint in the store. Checkpoints are kept forever and verified with
// one key, so a process that signed with a key of its own (a replica
// started without ATTEST_LEDGER_KEY, or a command run where the data
// directory's key is missing) would leave a checkpoint that no verifier
// accepts. A store without checkpoints accepts any key.
func CheckLedgerKey(ctx context.Context, st ledger.Store, kp *ledger.KeyPair) error {
	cp, err := st.LatestCheckpoint(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the newest checkpoint: %w", err)
	}
	if _, _, err := ledger.OpenCheckpoint(cp.Note, kp.VerifierKey); err != nil {
		return fmt.Errorf("the ledger key %s did not sign the newest checkpoint (size %d), so checkpoints signed with it would not verify: "+
			"give every process that shares the store the same key, by setting ATTEST_LEDGER_KEY to the contents of the first replica's ledger.key "+
			"or by using the data directory that holds it: %w", kp.VerifierKey, cp.Size, err)
	}
	return nil
}

// Open wires everything but does not start serving.
func Open(ctx context.Context, c config.Config, logger *slog.Logger) (*App, error) {
	a := &App{Config: c, Logger: logger, Registry: prometheus.NewRegistry()}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	st, err := OpenStore(ctx, c)
	if err != nil {
		return nil, err
	}
	a.Store = st
	kp, err := LedgerKey(c)
	if err != nil {
		st.Close()
		return nil, err
	}
	if err := CheckLedgerKey(ctx, st, kp); err != nil {
		st.Close()
		return nil, err
	}
	a.VKey = kp.VerifierKey
	m := newLedgerMetrics(a.Registry)
	a.Log, err = ledger.Open(ctx, st, ledger.Options{
		BatchMax: c.Ledger.BatchMax, QueueSize: c.Ledger.QueueSize, CacheTiles: c.Ledger.CacheTiles,
		Logger: logger, Observe: m.observe,
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	m.watch(a.Log)
	a.Signer = ledger.NewSigner(a.Log, kp.Signer)
	if err := a.openWitnesses(); err != nil {
		a.Close()
		return nil, err
	}
	wrap, err := vault.LoadMasterKeys(c.DataDir, os.Getenv("ATTEST_MASTER_KEY"))
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.Vault, err = vault.New(ctx, st, wrap, a.Log); err != nil {
		a.Close()
		return nil, err
	}
	a.Access = access.NewService(st, a.Log)
	a.Privacy = privacy.New(a.Vault, st, st, a.Log, nil)
	// Decisions and provenance are signed with the ledger key, so the one
	// verifier key checks checkpoints and statements alike.
	a.Models = registry.New(registry.Deps{
		Log: a.Log, Reader: ledger.StoreReader{Store: st}, Proofs: a.Log, Checkpoints: a.Signer, Records: st,
		Signer: kp.Signer, VerifierKey: kp.VerifierKey, Privacy: a.Privacy, People: a.Access,
	})
	a.Privacy.SetIndex(a.Models)
	if a.AdminToken, err = a.Access.Bootstrap(ctx, c.Tenant); err != nil {
		a.Close()
		return nil, fmt.Errorf("create the first admin key: %w", err)
	}
	a.Web = web.New(web.Deps{
		Log: a.Log, Store: st, Signer: a.Signer, VerifierKey: a.VKey, Access: a.Access, Vault: a.Vault,
		Logger: logger, Registry: a.Registry, MaxBodyBytes: c.MaxBodyBytes, Ready: st.Ping,
	})
	a.Web.PrivacyRoutes(a.Privacy)
	a.Web.RegistryRoutes(a.Models)
	a.Tenants = tenant.New(st, a.Log)
	a.Web.TenantRoutes(a.Tenants)
	a.openVendors()
	if err := a.openGateway(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openControls(); err != nil {
		a.Close()
		return nil, err
	}
	a.mountDataFlows()
	a.mountConsole()
	return a, nil
}

// Close stops the ledger (committing what is queued) and closes the store.
func (a *App) Close() error {
	if a.Gateway != nil {
		a.Gateway.Close()
	}
	if a.tracer != nil {
		// Send the last spans; a collector that is down must not hold
		// the shutdown.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.tracer.Shutdown(ctx); err != nil {
			a.Logger.Warn("flush traces", "err", err)
		}
		cancel()
	}
	if a.Log != nil {
		a.Log.Close()
	}
	if a.Store != nil {
		return a.Store.Close()
	}
	return nil
}

// Serve listens on l until ctx ends, publishing checkpoints on schedule,
// then shuts down gracefully: in-flight requests finish, queued evidence is
// committed and a final checkpoint is signed and offered to witnesses.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	proxies, err := a.Config.ProxyNetworks()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           web.ClientAddress(proxies, a.Web),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	if _, err := a.RegisterGuardModels(ctx); err != nil {
		return err
	}
	cpCtx, stopCP := context.WithCancel(ctx)
	defer stopCP()
	if _, err := a.Signer.Publish(ctx); err != nil {
		a.Logger.Warn("initial checkpoint", "err", err)
	}
	go a.Signer.Run(cpCtx, a.Config.Ledger.CheckpointInterval.Duration)
	if a.Witnesses != nil {
		go a.Witnesses.Run(cpCtx)
	}
	go a.Privacy.RunScheduled(cpCtx, a.Config.Privacy.RetentionInterval.Duration, a.Logger)
	a.Gateway.Start()
	go a.runVendorAlerts(cpCtx)
	go a.Controls.Schedule(cpCtx, controlsInterval)
	if a.sweepLimits != nil {
		go func() {
			t := time.NewTicker(time.Minute)
			defer t.Stop()
			for {
				select {
				case <-cpCtx.Done():
					return
				case now := <-t.C:
					a.sweepLimits(cpCtx, now)
				}
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	a.Log.Close()
	if _, cerr := a.Signer.Publish(sctx); cerr != nil && !errors.Is(cerr, context.Canceled) {
		a.Logger.Warn("final checkpoint", "err", cerr)
	}
	if a.Witnesses != nil {
		// Offer the final checkpoint too, so that a stopped log is
		// witnessed to its end; a witness that is down costs at most its
		// timeout.
		if _, werr := a.Witnesses.Cosign(sctx); werr != nil {
			a.Logger.Warn("final checkpoint cosignatures", "err", werr)
		}
	}
	return err
}

// DemoDeps exposes the services the demo seeder drives and the steps the
// app adds. The control evaluation comes last, so that it judges
// everything seeded before it.
func (a *App) DemoDeps() demo.Deps {
	return demo.Deps{Log: a.Log, Signer: a.Signer, Access: a.Access, Vault: a.Vault, Privacy: a.Privacy, Records: a.Store, Reviews: a.Reviews, Fresh: a.AdminToken != "",
		Extra: []demo.Step{
			{Name: "vendors", Run: a.seedVendors},
			{Name: "models", Run: a.seedModels},
			{Name: "drift", Run: a.seedDrift},
			{Name: "gateway", Run: a.seedGateway},
			{Name: "evidence", Run: a.seedAttestations},
			{Name: "controls", Run: a.seedEvaluation},
		}}
}
