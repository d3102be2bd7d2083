// Package guardbridge connects the guard engine of internal/guard to the
// gateway: it implements gateway.Guard over one guard.Engine per tenant,
// keeps each tenant's guard policy as a record (the default, for tenants
// with none, turns every guard on and fails closed), records every policy
// change with a guard.policy_set ledger event before it takes effect, and
// serves the policy at GET and PUT /api/v1/guard/policy.
package guardbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/guard"
	"github.com/attest-ai/attest/internal/guard/injection"
	"github.com/attest-ai/attest/internal/guard/output"
	"github.com/attest-ai/attest/internal/guard/pii"
)

// Errors of Set.
var (
	// ErrInvalid marks a policy the caller must correct.
	ErrInvalid = errors.New("invalid guard policy")
	// ErrNotRecorded means the ledger did not take the change, so it was
	// not made.
	ErrNotRecorded = errors.New("the guard policy change could not be recorded, so it was not made")
)

// maxTimeoutMS bounds the per-call guard deadline a tenant may set.
const maxTimeoutMS = 10_000

// Doc is a tenant's guard policy as the API shows it and the store keeps
// it. A PUT replaces the whole policy: an omitted pii, injection or output
// turns that guard off.
type Doc struct {
	Tenant string `json:"tenant"`
	// PII maps entity types to actions; empty turns PII scanning off.
	PII         map[pii.Type]pii.Action `json:"pii"`
	PIIMinScore float64                 `json:"pii_min_score,omitempty"`
	Injection   *injection.Policy       `json:"injection"`
	Output      *output.Policy          `json:"output"`
	Canary      bool                    `json:"canary"`
	// FailOpen lets requests through unscanned when a guard fails; every
	// such request is recorded as unscanned.
	FailOpen bool `json:"fail_open"`
	// TimeoutMS bounds each guard call, in milliseconds (zero: 250).
	TimeoutMS float64 `json:"timeout_ms,omitempty"`

	// Set by the service.
	Default      bool      `json:"default,omitempty"`
	PolicySHA256 string    `json:"policy_sha256,omitempty"`
	LedgerIndex  *uint64   `json:"ledger_index,omitempty"`
	UpdatedBy    string    `json:"updated_by,omitempty"`
	Updated      time.Time `json:"updated,omitzero"`
}

// DefaultDoc is the policy of a tenant that set none: every guard on with
// its defaults, failing closed.
func DefaultDoc(tenant string) Doc {
	p := guard.DefaultPolicy()
	d := Doc{Tenant: tenant, PII: p.PII, PIIMinScore: p.PIIMinScore, Injection: p.Injection, Output: p.Output,
		Canary: p.Canary, FailOpen: p.FailOpen, Default: true}
	d.PolicySHA256 = d.Policy(nil).Summary().PolicySHA256
	return d
}

// Policy is the engine policy the document describes, with hashKey
// keying the PII hash action.
func (d Doc) Policy(hashKey []byte) guard.Policy {
	return guard.Policy{PII: d.PII, PIIMinScore: d.PIIMinScore, Injection: d.Injection, Output: d.Output, Canary: d.Canary,
		FailOpen: d.FailOpen, Timeout: time.Duration(d.TimeoutMS * float64(time.Millisecond)), HashKey: hashKey}
}

// Validate reports what is wrong with a policy, wrapped in ErrInvalid.
func (d Doc) Validate(hashKey []byte) error {
	if d.TimeoutMS < 0 || d.TimeoutMS > maxTimeoutMS {
		return fmt.Errorf("%w: timeout_ms must lie between 0 (the default, 250) and %d", ErrInvalid, maxTimeoutMS)
	}
	if err := d.Policy(hashKey).Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// DecodeDoc reads a policy document from a request body. Unknown fields
// are refused, so a misspelt setting is not silently ignored.
func DecodeDoc(r io.Reader) (Doc, error) {
	var d Doc
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Doc{}, fmt.Errorf("%w: the body is not a guard policy document: %s", ErrInvalid, problem(err))
	}
	if dec.More() {
		return Doc{}, fmt.Errorf("%w: the body holds more than one JSON value", ErrInvalid)
	}
	return d, nil
}

// problem describes a decoding error without quoting the input.
func problem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends early"
	}
	// The decoder names an unknown field, never a value.
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + f
	}
	return "malformed JSON"
}
