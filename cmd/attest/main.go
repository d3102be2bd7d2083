// Command attest is the single attest binary: the server and every CLI
// command. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/attest-ai/attest/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
