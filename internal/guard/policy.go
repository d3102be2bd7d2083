// Package guard ties the PII, prompt-injection and output guards into one
// per-tenant engine that the gateway calls for every request and answer.
// It fails closed: if a guard errors, panics or runs out of time the
// request is blocked, unless the tenant chose to fail open, and a verdict
// always says whether the text was actually scanned.
package guard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/guard/injection"
	"github.com/attest-ai/attest/internal/guard/output"
	"github.com/attest-ai/attest/internal/guard/pii"
)

// DefaultTimeout bounds the guards' work on one request or answer.
const DefaultTimeout = 250 * time.Millisecond

// Policy is one tenant's guard configuration.
type Policy struct {
	// PII lists the entity types to find and what to do with each; an
	// empty list turns PII scanning off.
	PII map[pii.Type]pii.Action `json:"pii,omitempty"`
	// PIIMinScore drops weaker PII findings (zero: the scanner default).
	PIIMinScore float64 `json:"pii_min_score,omitempty"`
	// Injection holds the screening thresholds; nil turns screening off.
	Injection *injection.Policy `json:"injection,omitempty"`
	// Output says what failed answer checks lead to; nil turns them off.
	Output *output.Policy `json:"output,omitempty"`
	// Canary plants a canary token in the system prompt to detect leaks.
	Canary bool `json:"canary,omitempty"`
	// FailOpen lets requests through unscanned when a guard fails. The
	// default, false, blocks them.
	FailOpen bool `json:"fail_open,omitempty"`
	// Timeout bounds the guards per call (zero: DefaultTimeout).
	Timeout time.Duration `json:"timeout,omitempty"`
	// HashKey keys the PII hash action; it is never serialised.
	HashKey []byte `json:"-"`
}

// DefaultPolicy turns every guard on with its defaults and fails closed.
func DefaultPolicy() Policy {
	ip := injection.DefaultPolicy()
	op := output.DefaultPolicy()
	return Policy{PII: pii.DefaultPolicy().Entities, Injection: &ip, Output: &op, Canary: true}
}

// Validate reports the first problem with a policy.
func (p Policy) Validate() error {
	if len(p.PII) > 0 {
		if err := p.piiPolicy().Validate(); err != nil {
			return err
		}
	}
	if p.Injection != nil {
		if err := p.Injection.Validate(); err != nil {
			return err
		}
	}
	if p.Output != nil {
		if err := p.Output.Validate(); err != nil {
			return err
		}
	}
	if p.Timeout < 0 {
		return fmt.Errorf("guard timeout must not be negative")
	}
	return nil
}

func (p Policy) piiPolicy() pii.Policy {
	return pii.Policy{Entities: p.PII, MinScore: p.PIIMinScore, HashKey: p.HashKey}
}

func (p Policy) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

// Summary is the auditable description of a policy: what is enabled and
// how strictly, without the hash key.
type Summary struct {
	PII          map[pii.Type]pii.Action `json:"pii,omitempty"`
	Injection    *injection.Policy       `json:"injection,omitempty"`
	Output       *output.Policy          `json:"output,omitempty"`
	Canary       bool                    `json:"canary"`
	FailOpen     bool                    `json:"fail_open"`
	TimeoutMS    int64                   `json:"timeout_ms"`
	ModelSHA256  string                  `json:"injection_model_sha256,omitempty"`
	PolicySHA256 string                  `json:"policy_sha256"`
}

// Summary describes the policy for the ledger. PolicySHA256 identifies the
// exact configuration.
func (p Policy) Summary() Summary {
	s := Summary{PII: p.PII, Injection: p.Injection, Output: p.Output, Canary: p.Canary, FailOpen: p.FailOpen, TimeoutMS: p.timeout().Milliseconds()}
	if p.Injection != nil {
		s.ModelSHA256 = injection.ModelDigest()
	}
	b, _ := json.Marshal(s) // plain data; cannot fail
	sum := sha256.Sum256(b)
	s.PolicySHA256 = hex.EncodeToString(sum[:])
	return s
}
