// Package ledger is attest's single source of audit truth: an append-only
// RFC 6962 Merkle log of typed events with signed C2SP checkpoints.
//
// Producers (gateway, registry, vendor, privacy, access, controls) record
// what happened through the narrow Appender interface and never write audit
// data anywhere else.
package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ActorKind says what kind of principal caused an event.
type ActorKind string

// The three actor kinds. Agents may propose changes but never approve them.
const (
	ActorHuman   ActorKind = "human"
	ActorAgent   ActorKind = "agent"
	ActorService ActorKind = "service"
)

// Actor is the principal that caused an event.
type Actor struct {
	Kind ActorKind `json:"kind"`
	ID   string    `json:"id"`
}

// Ref points at something an event is about: a model version, an API key, a
// pseudonymous data subject, a vendor, a control.
type Ref struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Event is one typed ledger record. Its canonical JSON encoding (RFC 8785)
// is the Merkle leaf, so two equal events always hash the same.
//
// Body must never hold raw prompts, responses or personal data: sensitive
// values go through the vault and the body carries only the keyed hash and a
// payload reference.
type Event struct {
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Tenant   string          `json:"tenant"`
	Actor    Actor           `json:"actor"`
	Subjects []Ref           `json:"subjects,omitempty"`
	Body     json.RawMessage `json:"body,omitempty"`
}

// Entry is an event that the ledger has sequenced.
type Entry struct {
	Index uint64
	Event Event
	// Data is the canonical encoding that was hashed into the tree.
	Data []byte
}

// Appender is how every producer records evidence. Append returns only once
// the event is durable, with its index in the log.
type Appender interface {
	Append(ctx context.Context, e Event) (uint64, error)
}

// Submitter is an Appender that can also queue an event and confirm it
// later. A caller that has other work to do while the commit runs, such as
// the gateway with its upstream call, overlaps the two without a goroutine
// of its own.
type Submitter interface {
	Appender
	// Submit validates, stamps and queues e, and returns once it is
	// queued; errors are those of Append.
	Submit(ctx context.Context, e Event) (Pending, error)
}

// Deferrer is an Appender that can also take events that no caller waits
// for and commit them with the next group of appends, which saves a commit
// of their own.
type Deferrer interface {
	Appender
	// AppendDeferred validates, stamps and holds e for the next commit.
	AppendDeferred(ctx context.Context, e Event) error
}

// Pending is a submitted event on its way to being durable.
type Pending interface {
	// Wait returns the event's index once it is durable.
	Wait(ctx context.Context) (uint64, error)
}

// MaxEventSize bounds one canonical event. Larger evidence belongs in a
// referenced artifact whose digest the event carries.
const MaxEventSize = 60 << 10

// ValidType reports whether s is an event type: two or more dotted words,
// each a lower-case letter followed by lower-case letters, digits and
// underscores, such as "inference.request". (Checked by hand: every
// append validates its type, and a regular expression cost a percent of
// the gateway's time per request.)
func ValidType(s string) bool {
	dots, start := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case start:
			if c < 'a' || c > 'z' {
				return false
			}
			start = false
		case c == '.':
			dots++
			start = true
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return dots > 0 && !start
}

// ValidID reports whether s can name a tenant, an actor or a subject in
// the ledger: 1 to 256 printable ASCII characters without spaces.
func ValidID(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// ErrInvalidEvent wraps every validation failure so callers can map it to a
// 4xx answer.
var ErrInvalidEvent = errors.New("invalid event")

// NewEvent builds an event whose body is the JSON encoding of body.
func NewEvent(typ, tenant string, actor Actor, body any, subjects ...Ref) (Event, error) {
	e := Event{Type: typ, Tenant: tenant, Actor: actor, Subjects: subjects}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Event{}, fmt.Errorf("%w: encode body of %s: %v", ErrInvalidEvent, typ, err)
		}
		e.Body = b
	}
	return e, nil
}

// MustEvent is NewEvent for bodies that cannot fail to encode (plain structs
// and maps of strings and numbers); it panics otherwise.
func MustEvent(typ, tenant string, actor Actor, body any, subjects ...Ref) Event {
	e, err := NewEvent(typ, tenant, actor, body, subjects...)
	if err != nil {
		panic(err)
	}
	return e
}

// Validate checks an event's fields before it is stamped and stored.
func (e *Event) Validate() error {
	if !ValidType(e.Type) {
		return fmt.Errorf("%w: type %q must be dotted lowercase words such as \"inference.request\"", ErrInvalidEvent, e.Type)
	}
	if !ValidID(e.Tenant) {
		return fmt.Errorf("%w: tenant must be 1-256 printable ASCII characters without spaces", ErrInvalidEvent)
	}
	switch e.Actor.Kind {
	case ActorHuman, ActorAgent, ActorService:
	default:
		return fmt.Errorf("%w: actor kind %q must be human, agent or service", ErrInvalidEvent, e.Actor.Kind)
	}
	if !ValidID(e.Actor.ID) {
		return fmt.Errorf("%w: actor id must be 1-256 printable ASCII characters without spaces", ErrInvalidEvent)
	}
	if len(e.Subjects) > 32 {
		return fmt.Errorf("%w: at most 32 subject references, got %d", ErrInvalidEvent, len(e.Subjects))
	}
	for i, s := range e.Subjects {
		if !ValidID(s.Kind) || !ValidID(s.ID) {
			return fmt.Errorf("%w: subject %d needs a kind and an id of printable ASCII without spaces", ErrInvalidEvent, i)
		}
	}
	if len(e.Body) > 0 {
		if b := bytes.TrimSpace(e.Body); len(b) == 0 || b[0] != '{' {
			return fmt.Errorf("%w: body must be a JSON object", ErrInvalidEvent)
		}
	}
	return nil
}

// Canonical validates the event, stamps its time if it has none and returns
// its RFC 8785 canonical JSON encoding.
func (e *Event) Canonical(now time.Time) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	var body []byte
	if len(e.Body) > 0 {
		b, err := canonicalJSON(e.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: body: %v", ErrInvalidEvent, err)
		}
		body = b
		e.Body = b
	}
	data := e.appendEnvelope(make([]byte, 0, e.envelopeSize(len(body))), body)
	if len(data) > MaxEventSize {
		return nil, fmt.Errorf("%w: canonical event is %d bytes, the limit is %d; store large evidence as an artifact and record its digest", ErrInvalidEvent, len(data), MaxEventSize)
	}
	return data, nil
}

// ParseEntryData decodes a stored canonical event.
func ParseEntryData(data []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("decode entry: %w", err)
	}
	return e, nil
}

// Query selects entries by their indexed fields. Zero fields match all.
// Results come in index order; After is the keyset cursor (the last index
// already seen), so paging never skips or repeats an entry.
type Query struct {
	Type    string
	Tenant  string
	Subject *Ref
	From    time.Time // inclusive
	To      time.Time // exclusive
	After   *uint64
	Limit   int
}

// Reader reads sequenced entries. Controls, exports and the console only read.
type Reader interface {
	Query(ctx context.Context, q Query) ([]Entry, error)
	Entry(ctx context.Context, index uint64) (Entry, error)
	Size(ctx context.Context) (uint64, error)
}
