package controls

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
)

// Env is an opened attest installation: everything the controls and audit
// commands read and append to.
type Env struct {
	Ledger ledger.Store
	Log    ledger.Appender
	// Publish signs a checkpoint of the current head.
	Publish     func(ctx context.Context) (ledger.Checkpoint, error)
	VerifierKey string
	Store       Store
	Keys        access.Store
	Reviews     access.ReviewStore
	Access      *access.Service
	// Users, if set, puts console users in access reviews.
	Users access.UserDirectory
	// Components, if set, lists components found in configuration.
	Components ComponentSource
	Settings   Settings
	// ControlsDir holds the organization's own control files, if any.
	ControlsDir string
	Tenant      string
	Close       func() error
}

// Opener opens the installation a configuration describes.
type Opener func(ctx context.Context, c config.Config) (*Env, error)

// Open is how the controls and audit commands reach the stores and the
// ledger. cmd/attest sets it: the store packages import this package, so
// this package cannot import them.
var Open Opener

// Engine builds an engine over the environment, loading the organization's
// control files from dir (or the environment's ControlsDir) if set.
func (env *Env) Engine(dir string) (*Engine, error) {
	if dir == "" {
		dir = env.ControlsDir
	}
	cat, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return New(Deps{Ledger: env.Ledger, Log: env.Log, Store: env.Store, Keys: env.Keys, Components: env.Components,
		VerifierKey: env.VerifierKey, Settings: env.Settings, Catalog: cat})
}

// Command parses a subcommand's flags together with the shared
// configuration flags and opens the installation.
type Command struct {
	Name  string
	Flags *flag.FlagSet
	conf  *config.Flags
	// Dir is the --controls-dir flag.
	Dir string
}

// NewCommand prepares the flags of "attest <noun> <name>".
func NewCommand(noun, name, usage string, stderr io.Writer) *Command {
	fs := flag.NewFlagSet("attest "+noun+" "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &Command{Name: name, Flags: fs, conf: config.RegisterFlags(fs)}
	fs.StringVar(&c.Dir, "controls-dir", os.Getenv("ATTEST_CONTROLS_DIR"), "`directory` of your own control YAML files (env ATTEST_CONTROLS_DIR)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: attest %s %s\n\nflags:\n", noun, usage)
		fs.PrintDefaults()
	}
	return c
}

// Parse parses args, accepting flags before and after positional
// arguments, and returns the positional ones. A bad flag is a usage error;
// -h returns flag.ErrHelp.
func (c *Command) Parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.Flags.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, err
		} else if err != nil {
			return nil, cmdline.Usagef("%v", err)
		}
		if c.Flags.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, c.Flags.Arg(0))
		args = c.Flags.Args()[1:]
	}
}

// Open loads the configuration and opens the installation.
func (c *Command) Open(ctx context.Context) (*Env, config.Config, error) {
	conf, err := config.Load(c.conf, os.Getenv)
	if err != nil {
		return nil, conf, fmt.Errorf("configuration: %w", err)
	}
	if Open == nil {
		return nil, conf, errors.New("this attest binary was built without store access for the controls commands")
	}
	env, err := Open(ctx, conf)
	if err != nil {
		return nil, conf, err
	}
	if env.Tenant == "" {
		env.Tenant = conf.Tenant
	}
	return env, conf, nil
}
