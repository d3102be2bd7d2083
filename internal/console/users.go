package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// Console ledger events. Bodies carry roles, methods and reasons, never
// passwords or hashes.
const (
	EventLogin           = "console.login"
	EventLoginFailed     = "console.login_failed"
	EventLogout          = "console.logout"
	EventUserCreated     = "console.user_created"
	EventUserUpdated     = "console.user_updated"
	EventPasswordChanged = "console.password_reset"
)

// User is a console login. Console users share the API's roles.
type User struct {
	Name   string      `json:"name"`
	Tenant string      `json:"tenant"`
	Role   access.Role `json:"role"`
	// Hash is the argon2id hash of the password; empty disables password
	// login (the user signs in with OIDC only).
	Hash string `json:"hash,omitempty"`
	// OIDC allows signing in through the configured identity provider,
	// whose name claim must equal Name.
	OIDC      bool      `json:"oidc,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	LastLogin time.Time `json:"last_login,omitzero"`
}

// Principal is how the user acts in the domain services.
func (u User) Principal() access.Principal {
	return access.Principal{ID: u.Name, Kind: "user", Tenant: u.Tenant, Name: u.Name, Role: u.Role, ActorKind: ledger.ActorHuman}
}

// Actor is how the user appears in ledger events.
func (u User) Actor() ledger.Actor { return u.Principal().Actor() }

func (u User) ref() ledger.Ref { return ledger.Ref{Kind: "console_user", ID: u.Name} }

// globalTenant holds console records, which span tenants.
const globalTenant = "*"

// ErrUserExists is returned when creating a name that is taken.
var ErrUserExists = errors.New("a console user with this name already exists")

// inputError marks a refusal the person making the change must correct;
// its message is shown to them.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

func isInputError(err error) bool {
	var ie inputError
	return errors.As(err, &ie)
}

// users manages console users. Every change is recorded in the ledger
// before it is stored: a change that cannot be evidenced does not happen.
type users struct {
	st    records.Store
	t     records.Table[User]
	log   ledger.Appender
	now   func() time.Time
	argon argonParams
}

func newUsers(st records.Store, log ledger.Appender, now func() time.Time) *users {
	return &users{st: st, t: records.NewTable[User](st, "console.user"), log: log, now: now, argon: defaultArgon}
}

// NewUser describes a user to create.
type NewUser struct {
	Name   string
	Tenant string
	Role   access.Role
	OIDC   bool
	// NoPassword creates an OIDC-only user.
	NoPassword bool
}

func (n *NewUser) validate() error {
	if err := records.ValidID("user name", n.Name); err != nil {
		return err
	}
	if n.Tenant == "" || len(n.Tenant) > 64 || strings.ContainsAny(n.Tenant, " \t\r\n") {
		return errors.New("tenant is required: 1-64 characters without spaces")
	}
	if err := consoleRole(n.Role); err != nil {
		return err
	}
	if n.NoPassword && !n.OIDC {
		return errors.New("a user without a password must be allowed to sign in with OIDC")
	}
	return nil
}

// consoleRole accepts every role that may read evidence.
func consoleRole(r access.Role) error {
	if _, err := access.ParseRole(string(r)); err != nil {
		return err
	}
	if !r.Can(access.PermRead) {
		return fmt.Errorf("the %s role is for gateway callers and cannot use the console; choose admin, compliance, engineer, approver, auditor or operator", r)
	}
	return nil
}

// create stores a new user and returns its generated password, which is
// shown once and never stored.
func (s *users) create(ctx context.Context, by ledger.Actor, n NewUser) (User, string, error) {
	if err := n.validate(); err != nil {
		return User{}, "", inputError{err}
	}
	if _, err := s.t.Get(ctx, globalTenant, n.Name); err == nil {
		return User{}, "", inputError{fmt.Errorf("%w: %s; choose another name or change the existing user", ErrUserExists, n.Name)}
	} else if !errors.Is(err, records.ErrNotFound) {
		return User{}, "", fmt.Errorf("look up user: %w", err)
	}
	u := User{Name: n.Name, Tenant: n.Tenant, Role: n.Role, OIDC: n.OIDC, Created: s.now().UTC(), CreatedBy: by.ID}
	var pw string
	if !n.NoPassword {
		pw = generatePassword()
		h, err := hashPassword(pw, s.argon)
		if err != nil {
			return User{}, "", err
		}
		u.Hash = h
	}
	body := map[string]any{"role": u.Role, "tenant": u.Tenant, "oidc": u.OIDC, "password": !n.NoPassword}
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventUserCreated, u.Tenant, by, body, u.ref())); err != nil {
		return User{}, "", fmt.Errorf("record user creation: %w", err)
	}
	if err := s.t.Create(ctx, globalTenant, u.Name, u); err != nil {
		if errors.Is(err, records.ErrExists) {
			return User{}, "", inputError{fmt.Errorf("%w: %s", ErrUserExists, n.Name)}
		}
		return User{}, "", fmt.Errorf("store user: %w", err)
	}
	return u, pw, nil
}

func (s *users) get(ctx context.Context, name string) (User, error) {
	return s.t.Get(ctx, globalTenant, name)
}

func (s *users) list(ctx context.Context) ([]User, error) {
	return s.t.List(ctx, globalTenant)
}

// UserChange is an update to a user; nil fields stay as they are.
type UserChange struct {
	Role     *access.Role
	Disabled *bool
	OIDC     *bool
	// Reason, if set, says in the ledger why the change was made.
	Reason string
}

// update applies a change. It refuses to leave no enabled admin behind.
func (s *users) update(ctx context.Context, by ledger.Actor, name string, c UserChange) (User, error) {
	if c.Role != nil {
		if err := consoleRole(*c.Role); err != nil {
			return User{}, inputError{err}
		}
	}
	cur, err := s.get(ctx, name)
	if err != nil {
		return User{}, err
	}
	body := map[string]any{}
	if c.Role != nil && *c.Role != cur.Role {
		body["role"], body["previous_role"] = *c.Role, cur.Role
	}
	if c.Disabled != nil && *c.Disabled != cur.Disabled {
		body["disabled"] = *c.Disabled
	}
	if c.OIDC != nil && *c.OIDC != cur.OIDC {
		body["oidc"] = *c.OIDC
	}
	if len(body) == 0 {
		return cur, nil
	}
	if c.Reason != "" {
		body["reason"] = c.Reason
	}
	losesAdmin := cur.Role == access.RoleAdmin && !cur.Disabled &&
		((c.Role != nil && *c.Role != access.RoleAdmin) || (c.Disabled != nil && *c.Disabled))
	if losesAdmin {
		if err := s.keepAnAdmin(ctx, name); err != nil {
			return User{}, err
		}
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventUserUpdated, cur.Tenant, by, body, cur.ref())); err != nil {
		return User{}, fmt.Errorf("record user change: %w", err)
	}
	return s.t.Mutate(ctx, globalTenant, name, func(u *User) error {
		if c.Role != nil {
			u.Role = *c.Role
		}
		if c.Disabled != nil {
			u.Disabled = *c.Disabled
		}
		if c.OIDC != nil {
			u.OIDC = *c.OIDC
		}
		return nil
	})
}

func (s *users) keepAnAdmin(ctx context.Context, except string) error {
	all, err := s.list(ctx)
	if err != nil {
		return err
	}
	for _, u := range all {
		if u.Name != except && u.Role == access.RoleAdmin && !u.Disabled {
			return nil
		}
	}
	return inputError{fmt.Errorf("%w; make another user admin first", errLastAdmin)}
}

var errLastAdmin = errors.New("this would leave no enabled admin")

// resetPassword replaces the password with a generated one, returned once.
func (s *users) resetPassword(ctx context.Context, by ledger.Actor, name string) (string, error) {
	cur, err := s.get(ctx, name)
	if err != nil {
		return "", err
	}
	pw := generatePassword()
	h, err := hashPassword(pw, s.argon)
	if err != nil {
		return "", err
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventPasswordChanged, cur.Tenant, by, map[string]any{"generated": true}, cur.ref())); err != nil {
		return "", fmt.Errorf("record password reset: %w", err)
	}
	_, err = s.t.Mutate(ctx, globalTenant, name, func(u *User) error {
		u.Hash = h
		return nil
	})
	return pw, err
}

// touch records the time of a successful login.
func (s *users) touch(ctx context.Context, name string, t time.Time) {
	s.t.Mutate(ctx, globalTenant, name, func(u *User) error {
		u.LastLogin = t
		return nil
	})
}

// Directory lets access reviews list console users and revoke them. It
// implements access.UserDirectory over the records that hold users and
// sessions.
type Directory struct {
	users    *users
	sessions *sessions
}

var _ access.UserDirectory = (*Directory)(nil)

// NewDirectory returns the console users kept in st, whose changes are
// recorded in log.
func NewDirectory(st records.Store, log ledger.Appender) *Directory {
	return &Directory{users: newUsers(st, log, time.Now), sessions: newSessions(st, time.Now)}
}

// ReviewUsers implements access.UserDirectory.
func (d *Directory) ReviewUsers(ctx context.Context) ([]access.ReviewUser, error) {
	us, err := d.users.list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]access.ReviewUser, len(us))
	for i, u := range us {
		out[i] = access.ReviewUser{Name: u.Name, Tenant: u.Tenant, Role: u.Role, LastSeen: u.LastLogin, Disabled: u.Disabled}
		if u.Hash != "" {
			out[i].SignIn = append(out[i].SignIn, access.SignInPassword)
		}
		if u.OIDC {
			out[i].SignIn = append(out[i].SignIn, access.SignInOIDC)
		}
	}
	return out, nil
}

// DisableUser implements access.UserDirectory: the user is disabled as
// the users page would do it, then signed out everywhere.
func (d *Directory) DisableUser(ctx context.Context, by ledger.Actor, name, reason string) error {
	off := true
	_, err := d.users.update(ctx, by, name, UserChange{Disabled: &off, Reason: reason})
	switch {
	case errors.Is(err, errLastAdmin):
		return fmt.Errorf("%w: %s", access.ErrLastAdmin, name)
	case errors.Is(err, records.ErrNotFound):
		return fmt.Errorf("console user %s: %w", name, access.ErrNotFound)
	case err != nil:
		return err
	}
	return d.sessions.sweep(ctx, name)
}
