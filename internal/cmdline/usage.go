package cmdline

import (
	"errors"
	"fmt"
)

// ErrUsage marks errors whose message already says how to call the
// command: a missing or unknown subcommand, a bad flag or argument. The
// command line prints them and exits 2, as for flag errors, rather than 1.
var ErrUsage = errors.New("usage")

// Usagef returns an error formatted as fmt.Errorf does that wraps
// ErrUsage. Its message ends in ": usage", which the command line trims.
func Usagef(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, ErrUsage)...)
}
