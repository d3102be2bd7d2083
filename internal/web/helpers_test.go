package web_test

import "github.com/attest-ai/attest/internal/vault"

func vaultOpts() vault.SealOptions { return vault.SealOptions{Kind: "prompt"} }
