// Package cli is attest's command line. Each command is a small function;
// domain packages contribute their own subcommands through Register.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/cmdline"
)

// Func runs a command with its arguments (after the command words).
type Func func(ctx context.Context, args []string, stdout, stderr io.Writer) error

type command struct {
	summary string
	run     Func
}

var commands = map[string]command{}

// Register adds a command under its name ("serve", "ledger", "model", ...).
func Register(name, summary string, run Func) {
	commands[name] = command{summary: summary, run: run}
}

// Main runs attest with args and returns the process exit code: 0, 1 when
// a command fails, or 2 when it was called wrongly (a usage error).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "attest", app.Version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "attest: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, cmdline.ErrUsage):
		fmt.Fprintln(stderr, "attest "+args[0]+":", strings.TrimSuffix(err.Error(), ": usage"))
		return 2
	default:
		fmt.Fprintln(stderr, "attest "+args[0]+":", err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "attest makes AI systems SOC 2 ready: a gateway, model lifecycle, vendor review, privacy and controls, all evidenced in one verifiable ledger.")
	fmt.Fprintln(w, "\nUsage: attest <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "  version    print the version\n\nRun 'attest <command> -h' for a command's flags. Configuration: docs/CONFIG.md.")
}

// usagef returns an error that Main prints with exit code 2.
func usagef(format string, a ...any) error {
	return cmdline.Usagef(format, a...)
}

// sub dispatches "attest <noun> <verb> ...". Asked for help, it prints the
// verbs on stdout; called without a verb, on stderr with a usage error.
func sub(ctx context.Context, noun string, verbs map[string]Func, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, 0, len(verbs))
		for v := range verbs {
			names = append(names, v)
		}
		sort.Strings(names)
		w := stdout
		if len(args) == 0 {
			w = stderr
		}
		fmt.Fprintf(w, "Usage: attest %s <%s> [flags]\n", noun, strings.Join(names, "|"))
		if len(args) == 0 {
			return usagef("missing subcommand")
		}
		return nil
	}
	f, ok := verbs[args[0]]
	if !ok {
		return usagef("unknown subcommand %q; run 'attest %s -h' for the list", args[0], noun)
	}
	return f(ctx, args[1:], stdout, stderr)
}

// isTerminal reports whether w is an interactive terminal, where progress
// bars belong.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar returns a progress callback that redraws one line on a
// terminal and stays silent otherwise.
func progressBar(w io.Writer, label string) func(done, total uint64) {
	if !isTerminal(w) {
		return nil
	}
	return func(done, total uint64) {
		pct := 100.0
		if total > 0 {
			pct = float64(done) * 100 / float64(total)
		}
		n := int(pct / 4)
		fmt.Fprintf(w, "\r%s [%-25s] %5.1f%% %d/%d", label, strings.Repeat("=", n), pct, done, total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}
