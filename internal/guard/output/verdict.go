package output

import (
	"fmt"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/pii"
)

// Action is what the gateway does with an answer.
type Action string

// The actions, mildest first.
const (
	Allow Action = "allow"
	Flag  Action = "flag"
	Retry Action = "retry" // ask the model once more; a second failure blocks
	Block Action = "block"
)

var rank = map[Action]int{Allow: 0, Flag: 1, Retry: 2, Block: 3}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { _, ok := rank[a]; return ok }

// Policy says what each failed check leads to.
type Policy struct {
	OnSchema Action `json:"on_schema"` // answer does not match response_format
	OnCanary Action `json:"on_canary"` // system prompt leaked
	OnPII    Action `json:"on_pii"`    // personal data in the answer whose policy action is block
	OnLength Action `json:"on_length"` // answer longer than MaxChars
	MaxChars int    `json:"max_chars,omitempty"`
}

// DefaultPolicy retries schema failures, blocks leaks and over-long
// answers, and blocks personal data that the tenant's PII policy blocks.
func DefaultPolicy() Policy {
	return Policy{OnSchema: Retry, OnCanary: Block, OnPII: Block, OnLength: Block, MaxChars: 200_000}
}

// Validate checks the actions and limit.
func (p Policy) Validate() error {
	for name, a := range map[string]Action{"on_schema": p.OnSchema, "on_canary": p.OnCanary, "on_pii": p.OnPII, "on_length": p.OnLength} {
		if !a.Valid() {
			return fmt.Errorf("output policy %s: unknown action %q; use allow, flag, retry or block", name, a)
		}
	}
	if p.MaxChars < 0 {
		return fmt.Errorf("output policy max_chars must not be negative")
	}
	return nil
}

// Request carries what the gateway knows about the request an answer
// belongs to.
type Request struct {
	Schema  *Schema // non-nil when response_format asked for a JSON schema
	Canary  string  // planted in the system prompt, if any
	Retried bool    // this answer is already the retry
}

// Verdict is the outcome of checking one answer. It holds counts and
// reasons, never content.
type Verdict struct {
	Action  Action           `json:"action"`
	Reasons []string         `json:"reasons,omitempty"`
	PII     map[pii.Type]int `json:"pii,omitempty"`
}

func (v *Verdict) raise(a Action, reason string) {
	if a == Allow {
		return
	}
	if rank[a] > rank[v.Action] {
		v.Action = a
	}
	v.Reasons = append(v.Reasons, reason)
}

// Check runs the output checks on a complete answer. findings are the PII
// findings in the answer and g the tenant's PII guard, or nil when PII
// scanning is off.
func (p Policy) Check(answer string, req Request, findings []pii.Finding, g *pii.Guard) Verdict {
	v := Verdict{Action: Allow}
	if p.MaxChars > 0 && len(answer) > p.MaxChars && utf8.RuneCountInString(answer) > p.MaxChars {
		v.raise(p.OnLength, fmt.Sprintf("answer exceeds %d characters", p.MaxChars))
	}
	if req.Canary != "" && Leaked(answer, req.Canary) {
		v.raise(p.OnCanary, "answer reveals the system prompt canary")
	}
	if req.Schema != nil {
		if err := req.Schema.Validate([]byte(answer)); err != nil {
			v.raise(p.OnSchema, err.Error())
		}
	}
	if len(findings) > 0 {
		v.PII = pii.Counts(findings)
		if g != nil {
			for _, f := range findings {
				if g.Action(f.Type) == pii.ActionBlock {
					v.raise(p.OnPII, "answer contains "+string(f.Type))
					break
				}
			}
		}
	}
	if v.Action == Retry && req.Retried {
		v.Action = Block
		v.Reasons = append(v.Reasons, "the retry failed too")
	}
	return v
}
