package app

import (
	"os"
	"time"

	"github.com/attest-ai/attest/internal/console"
)

// mountConsole serves the web console at / with every source that exists:
// the model registry and its change queue, vendor review and the gateway's
// traffic from the ledger, the control engine, access-review campaigns and
// the audit exporter.
func (a *App) mountConsole() {
	models := consoleModels{reg: a.Models, now: time.Now}
	console.Mount(a.Web.Mux(), console.Deps{
		Store: a.Store, Log: a.Log, VerifierKey: a.VKey, Access: a.Access, Privacy: a.Privacy,
		Tenant: a.Config.Tenant, DataDir: a.Config.DataDir, Logger: a.Logger, OIDC: console.OIDCFromEnv(os.Getenv),
		Witnesses: a.Config.Ledger.WitnessKeys(), WitnessQuorum: a.Config.Ledger.WitnessQuorum,
		Models: models, Approvals: models,
		Vendors:  consoleVendors{svc: a.Vendors, now: time.Now},
		Gateway:  consoleGateway{store: a.Store, now: time.Now},
		Controls: consoleControls{eng: a.Controls, now: time.Now},
		Reviews:  consoleReviews{rv: a.Reviews},
		Audit:    consoleAudit{a: a},
		Failures: a.limitCounters,
	})
}
