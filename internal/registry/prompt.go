package registry

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// EventPromptVersioned records each new version of a prompt template.
const EventPromptVersioned = "prompt.versioned"

// MaxTemplateSize bounds one prompt template.
const MaxTemplateSize = 32 << 10

// Prompt is a versioned prompt template. Versions are numbered from 1 and
// never change; which one is live is an alias, moved by a change request.
type Prompt struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Owner       string          `json:"owner"`
	Risk        Risk            `json:"risk"`
	Versions    []PromptVersion `json:"versions"`
	Created     time.Time       `json:"created"`
	CreatedBy   string          `json:"created_by"`
}

// PromptVersion is one immutable template.
type PromptVersion struct {
	Version   string        `json:"version"`
	Template  string        `json:"template"`
	Variables []string      `json:"variables"`
	Digest    string        `json:"digest"`
	Created   time.Time     `json:"created"`
	CreatedBy string        `json:"created_by"`
	Index     uint64        `json:"index"`
	Approval  *ApprovalInfo `json:"approval,omitempty"`
}

// PromptSpec describes a new prompt with its first template.
type PromptSpec struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Owner       string   `json:"owner"`
	Risk        Risk     `json:"risk,omitempty"`
	Template    string   `json:"template"`
	Variables   []string `json:"variables,omitempty"`
}

func (p *Prompt) version(v string) *PromptVersion {
	for i := range p.Versions {
		if p.Versions[i].Version == v {
			return &p.Versions[i]
		}
	}
	return nil
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// TemplateVariables lists the {{name}} placeholders of a template, sorted
// and unique. Spaces inside the braces are allowed.
func TemplateVariables(t string) ([]string, error) {
	var out []string
	for rest := t; ; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, fmt.Errorf("%w: template has \"}}\" without an opening \"{{\"", ErrInvalid)
			}
			break
		}
		if strings.Contains(rest[:i], "}}") {
			return nil, fmt.Errorf("%w: template has \"}}\" without an opening \"{{\"", ErrInvalid)
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%w: template has \"{{\" without a closing \"}}\"", ErrInvalid)
		}
		name := strings.TrimSpace(rest[i+2 : i+2+j])
		if !varName.MatchString(name) {
			return nil, fmt.Errorf("%w: template placeholder %q must be a name of letters, digits and _", ErrInvalid, name)
		}
		out = append(out, name)
		rest = rest[i+2+j+2:]
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func checkTemplate(t string, declared []string) ([]string, error) {
	if t == "" || len(t) > MaxTemplateSize {
		return nil, fmt.Errorf("%w: a template must be 1 to %d bytes", ErrInvalid, MaxTemplateSize)
	}
	vars, err := TemplateVariables(t)
	if err != nil {
		return nil, err
	}
	if declared == nil {
		return vars, nil
	}
	d := slices.Clone(declared)
	slices.Sort(d)
	d = slices.Compact(d)
	if !slices.Equal(d, vars) {
		return nil, fmt.Errorf("%w: declared variables %v differ from the template's placeholders %v", ErrInvalid, d, vars)
	}
	return vars, nil
}

// CreatePrompt registers a prompt with its first version.
func (s *Service) CreatePrompt(ctx context.Context, tenant string, actor ledger.Actor, spec PromptSpec) (Prompt, error) {
	if err := checkName("prompt name", spec.Name); err != nil {
		return Prompt{}, err
	}
	if spec.Owner == "" {
		return Prompt{}, fmt.Errorf("%w: a prompt needs an owner", ErrInvalid)
	}
	if spec.Risk == "" {
		spec.Risk = RiskLimited
	}
	if err := spec.Risk.check(); err != nil {
		return Prompt{}, err
	}
	if err := limitText("description", spec.Description, 2000); err != nil {
		return Prompt{}, err
	}
	if _, err := s.prompts.Get(ctx, tenant, spec.Name); err == nil {
		return Prompt{}, fmt.Errorf("%w: prompt %s exists; add a version instead", ErrConflict, spec.Name)
	}
	pv, err := s.promptVersion(ctx, tenant, actor, spec.Name, "1", spec.Template, spec.Variables)
	if err != nil {
		return Prompt{}, err
	}
	p := Prompt{Name: spec.Name, Description: spec.Description, Owner: spec.Owner, Risk: spec.Risk,
		Versions: []PromptVersion{pv}, Created: s.now(), CreatedBy: actor.ID}
	if err := s.prompts.Create(ctx, tenant, p.Name, p); err != nil {
		return Prompt{}, conflict(err, "prompt %s exists", p.Name)
	}
	return p, nil
}

// AddPromptVersion adds the next version of a prompt. It does not go live
// until a change request moves an alias to it.
func (s *Service) AddPromptVersion(ctx context.Context, tenant string, actor ledger.Actor, name, template string, variables []string) (PromptVersion, error) {
	p, err := s.Prompt(ctx, tenant, name)
	if err != nil {
		return PromptVersion{}, err
	}
	next := strconv.Itoa(len(p.Versions) + 1)
	pv, err := s.promptVersion(ctx, tenant, actor, name, next, template, variables)
	if err != nil {
		return PromptVersion{}, err
	}
	_, err = s.prompts.Mutate(ctx, tenant, name, func(p *Prompt) error {
		if p.version(next) != nil {
			return fmt.Errorf("%w: prompt %s got version %s concurrently; retry", ErrConflict, name, next)
		}
		p.Versions = append(p.Versions, pv)
		return nil
	})
	return pv, err
}

func (s *Service) promptVersion(ctx context.Context, tenant string, actor ledger.Actor, name, version, template string, declared []string) (PromptVersion, error) {
	vars, err := checkTemplate(template, declared)
	if err != nil {
		return PromptVersion{}, err
	}
	pv := PromptVersion{Version: version, Template: template, Variables: vars, Digest: "sha256:" + sha256Hex([]byte(template)),
		Created: s.now(), CreatedBy: actor.ID}
	if pv.Variables == nil {
		pv.Variables = []string{}
	}
	// The template itself stays in the store; the ledger commits to it.
	pv.Index, err = s.record(ctx, EventPromptVersioned, tenant, actor, map[string]any{
		"name": name, "version": version, "template_sha256": pv.Digest, "variables": pv.Variables, "chars": len(template),
	}, promptRef(name), promptVersionRef(name+"@"+version))
	return pv, err
}

// Prompt returns a prompt with every version.
func (s *Service) Prompt(ctx context.Context, tenant, name string) (Prompt, error) {
	p, err := s.prompts.Get(ctx, tenant, name)
	return p, notFound(err, "no prompt %q; create it with 'attest prompt create'", name)
}

// Prompts lists a tenant's prompts.
func (s *Service) Prompts(ctx context.Context, tenant string) ([]Prompt, error) {
	return s.prompts.List(ctx, tenant)
}

// PromptFor returns the approved template an alias points at.
func (s *Service) PromptFor(ctx context.Context, tenant, name, alias string) (PromptVersion, error) {
	a, err := s.aliases.Get(ctx, tenant, aliasID(KindPrompt, name, alias))
	if err != nil {
		return PromptVersion{}, notFound(err, "prompt %s has no version at alias %s", name, alias)
	}
	p, err := s.Prompt(ctx, tenant, name)
	if err != nil {
		return PromptVersion{}, err
	}
	pv := p.version(a.Version)
	if pv == nil || pv.Approval == nil || pv.Approval.Revoked {
		return PromptVersion{}, fmt.Errorf("%w: prompt %s@%s at alias %s is not approved", ErrNotServable, name, a.Version, alias)
	}
	return *pv, nil
}
