package app

import (
	"os"

	"github.com/attest-ai/attest/internal/console"
)

// mountConsole serves the web console at / with every source that exists.
func (a *App) mountConsole() {
	console.Mount(a.Web.Mux(), console.Deps{
		Store: a.Store, Log: a.Log, VerifierKey: a.VKey, Access: a.Access, Privacy: a.Privacy,
		Tenant: a.Config.Tenant, DataDir: a.Config.DataDir, Logger: a.Logger, OIDC: console.OIDCFromEnv(os.Getenv),
	})
}
