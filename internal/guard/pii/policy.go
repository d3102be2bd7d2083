package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Action is what a policy does with a detected entity.
type Action string

// The actions a policy can take.
const (
	// ActionRedact replaces the value with a typed placeholder such as
	// <EMAIL_1>; the same value gets the same placeholder within a request.
	ActionRedact Action = "redact"
	// ActionMask keeps the last four letters or digits and stars the rest.
	ActionMask Action = "mask"
	// ActionHash replaces the value with a keyed hash, so equal values can
	// still be joined without being revealed.
	ActionHash Action = "hash"
	// ActionBlock refuses the whole request.
	ActionBlock Action = "block"
	// ActionTokenize replaces the value with a placeholder that is put back
	// in the response; the mapping lives only in memory for the request.
	ActionTokenize Action = "tokenize"
	// ActionFlag reports the entity and leaves the text alone.
	ActionFlag Action = "flag"
)

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	switch a {
	case ActionRedact, ActionMask, ActionHash, ActionBlock, ActionTokenize, ActionFlag:
		return true
	}
	return false
}

// Policy is a tenant's choice of entities and what to do with each.
type Policy struct {
	// Entities maps each enabled type to its action. Types not listed are
	// not scanned for.
	Entities map[Type]Action `json:"entities"`
	// MinScore drops weaker findings; zero means DefaultMinScore.
	MinScore float64 `json:"min_score,omitempty"`
	// HashKey keys ActionHash. It must be set when any entity uses it.
	HashKey []byte `json:"-"`
}

// DefaultPolicy redacts every personal data type and blocks secrets.
func DefaultPolicy() Policy {
	p := Policy{Entities: map[Type]Action{}}
	for _, t := range allTypes {
		if t.IsSecret() {
			p.Entities[t] = ActionBlock
		} else {
			p.Entities[t] = ActionRedact
		}
	}
	return p
}

// Validate checks a policy for unknown types and actions and a missing
// hash key.
func (p Policy) Validate() error {
	if len(p.Entities) == 0 {
		return fmt.Errorf("pii policy enables no entity types; list at least one under entities")
	}
	for t, a := range p.Entities {
		if !t.Valid() {
			return fmt.Errorf("pii policy: unknown entity type %q; known types are %v", t, allTypes)
		}
		if !a.Valid() {
			return fmt.Errorf("pii policy: entity %s has unknown action %q; use redact, mask, hash, block, tokenize or flag", t, a)
		}
		if a == ActionHash && len(p.HashKey) < 16 {
			return fmt.Errorf("pii policy: entity %s uses hash but the hash key is missing or shorter than 16 bytes", t)
		}
	}
	if p.MinScore < 0 || p.MinScore > 1 {
		return fmt.Errorf("pii policy: min_score %v must lie between 0 and 1", p.MinScore)
	}
	return nil
}

// Guard is a compiled policy: a scanner for the enabled types plus the
// actions. It is safe for concurrent use; per-request state lives in a
// Redactor.
type Guard struct {
	Scanner *Scanner
	policy  Policy
}

// NewGuard validates a policy and builds its scanner.
func NewGuard(p Policy) (*Guard, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	types := make([]Type, 0, len(p.Entities))
	for t := range p.Entities {
		types = append(types, t)
	}
	slices.Sort(types)
	s, err := NewScanner(Options{Types: types, MinScore: p.MinScore})
	if err != nil {
		return nil, err
	}
	return &Guard{Scanner: s, policy: p}, nil
}

// Action returns the action for a type.
func (g *Guard) Action(t Type) Action { return g.policy.Entities[t] }

// Redactor returns the state for one request: placeholders stay
// consistent across all the texts it rewrites, and tokens it issues can be
// restored in the response.
func (g *Guard) Redactor() *Redactor {
	return &Redactor{g: g, byValue: map[string]string{}, byToken: map[string]string{}, counters: map[Type]int{}}
}

// Redactor rewrites the texts of one request. It is safe for concurrent
// use. The mapping from placeholders to values exists only in memory and
// dies with the Redactor.
type Redactor struct {
	g        *Guard
	mu       sync.Mutex
	byValue  map[string]string // type+value -> placeholder
	byToken  map[string]string // tokenize placeholder -> value
	counters map[Type]int
}

// Result summarises one rewrite without revealing any value.
type Result struct {
	Counts  map[Type]int // findings by type
	Blocked []Type       // types whose action is block, in order of first sight
}

// Redact scans text and applies the policy.
func (r *Redactor) Redact(text string) (string, Result) {
	return r.Apply(text, r.g.Scanner.Scan(text))
}

// Apply rewrites text according to findings, which must be sorted and
// must not overlap, as Scan returns them.
func (r *Redactor) Apply(text string, findings []Finding) (string, Result) {
	res := Result{Counts: Counts(findings)}
	if len(findings) == 0 {
		return text, res
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range findings {
		if f.Start < last || f.End > len(text) {
			continue
		}
		act := r.g.policy.Entities[f.Type]
		if act == ActionBlock && !slices.Contains(res.Blocked, f.Type) {
			res.Blocked = append(res.Blocked, f.Type)
		}
		value := text[f.Start:f.End]
		b.WriteString(text[last:f.Start])
		b.WriteString(r.replacement(act, f.Type, value))
		last = f.End
	}
	b.WriteString(text[last:])
	return b.String(), res
}

// replacement returns the text that stands for value. The caller holds mu.
func (r *Redactor) replacement(act Action, t Type, value string) string {
	switch act {
	case ActionFlag:
		return value
	case ActionMask:
		return mask(value)
	case ActionHash:
		m := hmac.New(sha256.New, r.g.policy.HashKey)
		m.Write([]byte(t))
		m.Write([]byte{0})
		m.Write([]byte(value))
		return "<" + string(t) + ":" + hex.EncodeToString(m.Sum(nil)[:8]) + ">"
	}
	// Redact, tokenize and block all use placeholders; a blocked request
	// is refused anyway, but its text never carries the value onward.
	key := string(act) + "\x00" + string(t) + "\x00" + value
	if p, ok := r.byValue[key]; ok {
		return p
	}
	r.counters[t]++
	p := "<" + string(t) + "_" + strconv.Itoa(r.counters[t]) + ">"
	if act == ActionTokenize {
		// Tokens differ from redaction placeholders so that a redacted
		// value can never be restored.
		p = "<" + string(t) + "_T" + strconv.Itoa(r.counters[t]) + ">"
		r.byToken[p] = value
	}
	r.byValue[key] = p
	return p
}

// mask keeps the last four letters or digits of a value.
func mask(v string) string {
	n := utf8.RuneCountInString(v)
	keep := 4
	if n <= 8 {
		keep = 0
	}
	var b strings.Builder
	i := 0
	for _, c := range v {
		switch {
		case i >= n-keep:
			b.WriteRune(c)
		case c == ' ' || c == '-' || c == '@' || c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// MaxTokenLen bounds the length of a tokenize placeholder, which is what a
// streaming restorer must hold back.
const MaxTokenLen = 40

// Restore puts tokenized values back into a response. Placeholders from
// ActionRedact are left alone.
func (r *Redactor) Restore(text string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byToken) == 0 || !strings.Contains(text, "_T") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:min(len(text), i+MaxTokenLen+1)], '>')
		if j < 0 {
			b.WriteString(text[:i+1])
			text = text[i+1:]
			continue
		}
		if v, ok := r.byToken[text[i:i+j+1]]; ok {
			b.WriteString(text[:i])
			b.WriteString(v)
		} else {
			b.WriteString(text[:i+j+1])
		}
		text = text[i+j+1:]
	}
	b.WriteString(text)
	return b.String()
}

// Tokens reports how many values are held for restoration.
func (r *Redactor) Tokens() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byToken)
}
