package access

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/attest-ai/attest/internal/ledger"
)

// person is the console user behind the principal, if it is one or holds
// a key assigned to one; "" otherwise.
func (p Principal) person() string {
	switch p.Kind {
	case kindUser:
		return p.ID
	case "key":
		return p.Owner
	}
	return ""
}

// Person returns who stands behind an actor of the ledger, for separation
// of duties: "user:<name>" for a console user and for every human key
// that belongs to that user, and the actor's own id for anyone else (a
// service key, an agent, a key nobody owns). Two actors with the same
// person are one human. A key that cannot be looked up is an error, so a
// caller checking duties fails closed; one that does not exist (an id from
// outside this instance) stands for itself.
func (s *Service) Person(ctx context.Context, a ledger.Actor) (string, error) {
	id, ok := strings.CutPrefix(a.ID, "key:")
	if !ok {
		return a.ID, nil
	}
	k, err := s.st.Key(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return a.ID, nil
	}
	if err != nil {
		return "", fmt.Errorf("look up the owner of key %s: %w", id, err)
	}
	if k.ActorKind != ledger.ActorHuman {
		return a.ID, nil
	}
	if k.Owner != "" {
		return userItemID(k.Owner), nil
	}
	// Keys minted before owners were recorded: a console user's key is
	// that user's.
	if strings.HasPrefix(k.CreatedBy, kindUser+":") {
		return k.CreatedBy, nil
	}
	return a.ID, nil
}
