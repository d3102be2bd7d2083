package cli

import "github.com/attest-ai/attest/internal/guard"

func init() {
	Register("guard", "scan text for PII and prompt injection; evaluate the guards on a dataset", guard.CLI)
}
