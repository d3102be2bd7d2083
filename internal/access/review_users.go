package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Ways a console user signs in.
const (
	SignInPassword = "password"
	SignInOIDC     = "oidc"
)

// ReviewUser is a person who signs in to the web console, as an access
// review sees them.
type ReviewUser struct {
	Name     string
	Tenant   string
	Role     Role
	SignIn   []string // SignInPassword and/or SignInOIDC
	LastSeen time.Time
	Disabled bool
}

// UserDirectory is where campaigns find console users and revoke them. The
// console's user store implements it, so this package needs no console.
type UserDirectory interface {
	// ReviewUsers lists every console user, disabled ones included.
	ReviewUsers(ctx context.Context) ([]ReviewUser, error)
	// DisableUser disables a user and ends their sessions, recording the
	// change in the ledger as by's with reason. It returns ErrLastAdmin
	// rather than disable the last enabled admin, and ErrNotFound for an
	// unknown name.
	DisableUser(ctx context.Context, by ledger.Actor, name, reason string) error
}

// ErrLastAdmin refuses a change that would leave no enabled console admin,
// because nobody could then manage users or sign in to fix it.
var ErrLastAdmin = errors.New("this would leave no enabled console admin")

// kindUser is the item kind of a console user; its id is "user:<name>" and
// role items list it among their holders under the same id.
const kindUser = "user"

func userItemID(name string) string { return kindUser + ":" + name }

// WithUsers makes campaigns cover console users from d. Without it they
// list keys and roles only.
func (s *Reviews) WithUsers(d UserDirectory) *Reviews {
	s.users = d
	return s
}

// userItems lists the enabled console users in scope, by name.
func (s *Reviews) userItems(ctx context.Context, reviewID, tenant string) ([]ReviewItem, error) {
	if s.users == nil {
		return nil, nil
	}
	us, err := s.users.ReviewUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list console users: %w", err)
	}
	slices.SortFunc(us, func(a, b ReviewUser) int { return strings.Compare(a.Name, b.Name) })
	var items []ReviewItem
	for _, u := range us {
		if u.Disabled || (tenant != "" && u.Tenant != tenant) {
			continue
		}
		items = append(items, ReviewItem{Review: reviewID, ID: userItemID(u.Name), Kind: kindUser, Tenant: u.Tenant, Name: u.Name,
			Role: u.Role, ActorKind: ledger.ActorHuman, SignIn: u.SignIn, LastUsed: u.LastSeen})
	}
	return items, nil
}

// keepsAnAdmin refuses, before anything is applied, revocations that would
// disable every enabled console admin. It names the admins concerned so
// the reviewer can keep one of them or make another user admin first.
func (s *Reviews) keepsAnAdmin(ctx context.Context, revoking []string) error {
	if len(revoking) == 0 {
		return nil
	}
	us, err := s.users.ReviewUsers(ctx)
	if err != nil {
		return fmt.Errorf("list console users: %w", err)
	}
	var lost []string
	for _, u := range us {
		if u.Role != RoleAdmin || u.Disabled {
			continue
		}
		if !slices.Contains(revoking, u.Name) {
			return nil
		}
		lost = append(lost, u.Name)
	}
	if len(lost) == 0 {
		return nil
	}
	slices.Sort(lost)
	return fmt.Errorf("%w: revoking user %s; decide keep for them or make another user admin, then complete again",
		ErrLastAdmin, strings.Join(lost, ", "))
}
