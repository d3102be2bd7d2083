package console

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// Env is what the users command needs from an installation.
type Env struct {
	Records records.Store
	Log     ledger.Appender
	Close   func() error
}

// Open opens the installation a configuration describes. The command line
// sets it: the store packages sit below this one in the dependency order,
// next to packages the console must not import.
var Open func(ctx context.Context, c config.Config) (*Env, error)

// cliActor is who CLI changes are attributed to: whoever can run commands
// against the data directory already controls the instance.
var cliActor = ledger.Actor{Kind: ledger.ActorHuman, ID: "cli:local"}

// CLI runs "attest users <verb>": create, list, role, disable, enable,
// password and sso.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verbs := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"create": usersCreate, "list": usersList, "role": usersRole, "disable": usersToggle(true),
		"enable": usersToggle(false), "password": usersPassword, "sso": usersSSO,
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return cmdline.Usagef("missing subcommand; see the usage above")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usersUsage)
		return nil
	}
	f, ok := verbs[args[0]]
	if !ok {
		return cmdline.Usagef("unknown subcommand %q; run 'attest users -h' for the list", args[0])
	}
	return f(ctx, args[1:], stdout, stderr)
}

const usersUsage = `Usage: attest users <subcommand> [flags]

Console users sign in to the web console at / with the API's roles.

  create --name NAME --role ROLE [--tenant T] [--oidc] [--no-password]
                          create a user; prints a generated password once
  list                    list users
  role NAME ROLE          change a user's role (signs them out)
  disable NAME            disable a user (signs them out)
  enable NAME             enable a user
  password NAME           reset a password; prints the new one once
  sso NAME on|off         allow or forbid single sign-on for a user

Roles: admin, compliance, engineer, approver, auditor, operator.
`

// command is one subcommand's flags, including the shared configuration
// flags, and the installation they open.
type command struct {
	fs   *flag.FlagSet
	conf *config.Flags
}

func newCommand(name, synopsis string, stderr io.Writer) *command {
	fs := flag.NewFlagSet("attest users "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &command{fs: fs, conf: config.RegisterFlags(fs)}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: attest users %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return c
}

// parse accepts flags before and after positional arguments and checks
// their count. A bad flag or count is a usage error; -h returns
// flag.ErrHelp.
func (c *command) parse(args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, err
		} else if err != nil {
			return nil, cmdline.Usagef("%v", err)
		}
		if c.fs.NArg() == 0 {
			break
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(pos) != want {
		c.fs.Usage()
		return nil, cmdline.Usagef("expected %s, got %d", cmdline.Count(want, "argument"), len(pos))
	}
	return pos, nil
}

func (c *command) open(ctx context.Context) (*users, config.Config, func(), error) {
	conf, err := config.Load(c.conf, os.Getenv)
	if err != nil {
		return nil, conf, nil, fmt.Errorf("configuration: %w", err)
	}
	if Open == nil {
		return nil, conf, nil, errors.New("this attest binary was built without store access for the users command")
	}
	env, err := Open(ctx, conf)
	if err != nil {
		return nil, conf, nil, err
	}
	done := func() {
		if env.Close != nil {
			env.Close()
		}
	}
	return newUsers(env.Records, env.Log, time.Now), conf, done, nil
}

func usersCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("create", "--name NAME --role ROLE [--tenant T] [--oidc] [--no-password]", stderr)
	name := c.fs.String("name", "", "the user's sign-in name: letters, digits and . _ - @ :")
	role := c.fs.String("role", "", "admin, compliance, engineer, approver, auditor or operator")
	tenant := c.fs.String("tenant", "", "tenant the user belongs to (default: the configured tenant)")
	oidc := c.fs.Bool("oidc", false, "allow single sign-on; the provider's name claim must equal --name")
	noPW := c.fs.Bool("no-password", false, "create an SSO-only user without a password (needs --oidc)")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		c.fs.Usage()
		return cmdline.Usagef("--name and --role are required, e.g. attest users create --role admin --name alice")
	}
	us, conf, done, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	t := *tenant
	if t == "" {
		t = conf.Tenant
	}
	u, pw, err := us.create(ctx, cliActor, NewUser{Name: *name, Tenant: t, Role: access.Role(*role), OIDC: *oidc, NoPassword: *noPW})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created console user %s (%s, tenant %s).\n", u.Name, u.Role, u.Tenant)
	if pw != "" {
		fmt.Fprintf(stdout, "The password is shown only once:\n\n    %s\n\n", pw)
	}
	if u.OIDC {
		fmt.Fprintln(stdout, "Single sign-on is allowed for this user.")
	}
	return nil
}

func usersList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("list", "", stderr)
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	us, _, done, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	all, err := us.list(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tTENANT\tSIGN-IN\tSTATE\tLAST SIGN-IN")
	for _, u := range all {
		var ways []string
		if u.Hash != "" {
			ways = append(ways, "password")
		}
		if u.OIDC {
			ways = append(ways, "sso")
		}
		state := "enabled"
		if u.Disabled {
			state = "disabled"
		}
		last := "never"
		if !u.LastLogin.IsZero() {
			last = u.LastLogin.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Tenant, strings.Join(ways, "+"), state, last)
	}
	return tw.Flush()
}

// signOut removes a changed user's sessions so the change applies at once.
func signOut(ctx context.Context, us *users, name string) error {
	s := newSessions(us.st, time.Now)
	return s.sweep(ctx, name)
}

func usersRole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("role", "NAME ROLE", stderr)
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	us, _, done, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	role := access.Role(pos[1])
	u, err := us.update(ctx, cliActor, pos[0], UserChange{Role: &role})
	if err != nil {
		return userCLIError(pos[0], err)
	}
	if err := signOut(ctx, us, u.Name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is now %s.\n", u.Name, u.Role)
	return nil
}

func usersToggle(off bool) func(context.Context, []string, io.Writer, io.Writer) error {
	verb := "enable"
	if off {
		verb = "disable"
	}
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		c := newCommand(verb, "NAME", stderr)
		pos, err := c.parse(args, 1)
		if err != nil {
			return err
		}
		us, _, done, err := c.open(ctx)
		if err != nil {
			return err
		}
		defer done()
		u, err := us.update(ctx, cliActor, pos[0], UserChange{Disabled: &off})
		if err != nil {
			return userCLIError(pos[0], err)
		}
		if off {
			if err := signOut(ctx, us, u.Name); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "%s is %sd.\n", u.Name, verb)
		return nil
	}
}

func usersPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("password", "NAME", stderr)
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	us, _, done, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	pw, err := us.resetPassword(ctx, cliActor, pos[0])
	if err != nil {
		return userCLIError(pos[0], err)
	}
	if err := signOut(ctx, us, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new password for %s, shown only once:\n\n    %s\n\n", pos[0], pw)
	return nil
}

func usersSSO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("sso", "NAME on|off", stderr)
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	if pos[1] != "on" && pos[1] != "off" {
		return cmdline.Usagef("sso takes on or off, not %q", pos[1])
	}
	us, _, done, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	on := pos[1] == "on"
	u, err := us.update(ctx, cliActor, pos[0], UserChange{OIDC: &on})
	if err != nil {
		return userCLIError(pos[0], err)
	}
	fmt.Fprintf(stdout, "single sign-on for %s is %s.\n", u.Name, pos[1])
	return nil
}

func userCLIError(name string, err error) error {
	if errors.Is(err, records.ErrNotFound) {
		return fmt.Errorf("no console user %q; 'attest users list' shows them", name)
	}
	return err
}
