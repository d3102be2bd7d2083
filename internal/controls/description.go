package controls

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultOverview describes the service from a customer's point of view
// until the organization writes its own.
const DefaultOverview = `Customers call AI models through an API gateway that speaks the OpenAI and Anthropic protocols. ` +
	`Every call is authenticated with a key issued to the customer, held to that key's limits, screened by input and output guards, ` +
	`routed to a model provider (with fallback when a provider fails) and recorded as evidence in a tamper-evident ledger before the answer is returned. ` +
	`By default no prompt or answer is kept; customers who choose retention have their content encrypted under per-person keys that erasure destroys. ` +
	`Models reach production only after they are signed, evaluated and approved by someone other than the engineer who asked for the change.`

// commitments are the principal service commitments the description states.
var commitments = []string{
	"No prompt or response is retained for tenants on zero retention.",
	"Every inference request is recorded in the evidence ledger before it is answered.",
	"Production model versions are signed, evaluated and independently approved.",
	"Every model provider is reviewed as a subservice organization at least yearly.",
	"Access is reviewed at least every 90 days and revoked when no longer needed.",
	"Data subject requests are answered within 30 days.",
}

// SystemDescription is the scoping document: the service, its
// commitments and its components by lifecycle stage, each linked to the
// controls that cover it.
type SystemDescription struct {
	Generated   time.Time        `json:"generated"`
	Catalog     string           `json:"catalog_version"`
	Overview    string           `json:"overview"`
	Commitments []string         `json:"commitments"`
	Categories  []string         `json:"categories"`
	Stages      []StageGroup     `json:"stages"`
	Subservice  []string         `json:"subservice_organizations"`
	Uncovered   []string         `json:"uncovered_components"`
	Components  int              `json:"components"`
	Controls    map[string]Brief `json:"controls"`
}

// StageGroup is the components of one lifecycle stage.
type StageGroup struct {
	Stage      Stage             `json:"stage"`
	Title      string            `json:"title"`
	Components []ScopedComponent `json:"components"`
}

// Brief names a control in the description.
type Brief struct {
	Title string `json:"title"`
	Owner string `json:"owner"`
}

// Describe builds the system description from the catalog and the scope.
func Describe(cat *Catalog, scope []ScopedComponent, overview string, now time.Time) SystemDescription {
	if strings.TrimSpace(overview) == "" {
		overview = DefaultOverview
	}
	d := SystemDescription{Generated: now, Catalog: cat.Version, Overview: overview, Commitments: commitments,
		Subservice: []string{}, Uncovered: []string{}, Controls: map[string]Brief{}, Components: len(scope)}
	for _, c := range cat.Criteria {
		if !slices.Contains(d.Categories, c.Category) {
			d.Categories = append(d.Categories, c.Category)
		}
	}
	for _, st := range Stages {
		g := StageGroup{Stage: st, Title: st.Title(), Components: []ScopedComponent{}}
		for _, c := range scope {
			if c.Stage == st {
				g.Components = append(g.Components, c)
			}
		}
		d.Stages = append(d.Stages, g)
	}
	for _, c := range scope {
		if (c.Kind == KindProvider || c.Kind == KindVendor) && !slices.Contains(d.Subservice, c.Name) {
			d.Subservice = append(d.Subservice, c.Name)
		}
		if c.Uncovered {
			d.Uncovered = append(d.Uncovered, c.ID)
		}
		for _, id := range c.Covered {
			if k, ok := cat.Control(id); ok {
				d.Controls[id] = Brief{Title: k.Title, Owner: k.Owner}
			}
		}
	}
	return d
}

// Markdown renders the description for people and for the auditor
// package.
func (d SystemDescription) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# System description\n\nGenerated %s from catalog %s.\n\n## The service\n\n%s\n\n## Principal service commitments\n\n",
		d.Generated.UTC().Format(time.RFC3339), d.Catalog, d.Overview)
	for _, c := range d.Commitments {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	fmt.Fprintf(&b, "\n## Trust Services categories in scope\n\n%s\n\n## Components by lifecycle stage\n", strings.Join(d.Categories, ", "))
	for _, g := range d.Stages {
		fmt.Fprintf(&b, "\n### %s\n\n", g.Title)
		if len(g.Components) == 0 {
			b.WriteString("No components.\n")
			continue
		}
		b.WriteString("| component | kind | source | controls |\n|---|---|---|---|\n")
		for _, c := range g.Components {
			ctl := strings.Join(c.Covered, ", ")
			if c.Uncovered {
				ctl = "**none: scoping gap**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(c.Name), mdCell(c.Kind), c.Source, ctl)
		}
	}
	b.WriteString("\n## Subservice organizations\n\n")
	if len(d.Subservice) == 0 {
		b.WriteString("None recorded.\n")
	} else {
		fmt.Fprintf(&b, "The carve-out method applies to: %s. Their controls are evidenced by current vendor reviews (control AI-VEN-01).\n", strings.Join(d.Subservice, ", "))
	}
	if len(d.Uncovered) > 0 {
		fmt.Fprintf(&b, "\n## Scoping gaps\n\nNo control covers: %s.\n", strings.Join(d.Uncovered, ", "))
	}
	return b.String()
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// stateOverview is the store key of the organization's own overview.
const stateOverview = "scope.overview"

// Overview returns the organization's service overview, or the default.
func (e *Engine) Overview(ctx context.Context) (string, error) {
	b, err := e.d.Store.ControlState(ctx, stateOverview)
	if errors.Is(err, ErrNotFound) {
		return DefaultOverview, nil
	}
	return string(b), err
}

// SetOverview replaces the service overview of the system description.
func (e *Engine) SetOverview(ctx context.Context, text string) error {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 20000 {
		return fmt.Errorf("the overview must be 1-20000 characters")
	}
	return e.d.Store.PutControlState(ctx, stateOverview, []byte(text))
}

// Description builds the current system description.
func (e *Engine) Description(ctx context.Context) (SystemDescription, error) {
	f, err := e.Facts(ctx)
	if err != nil {
		return SystemDescription{}, err
	}
	scope, err := e.Components(ctx, f)
	if err != nil {
		return SystemDescription{}, err
	}
	ov, err := e.Overview(ctx)
	if err != nil {
		return SystemDescription{}, err
	}
	return Describe(e.d.Catalog, scope, ov, e.d.Now().UTC()), nil
}

// ErrInvalidComponent wraps every reason a component is refused.
var ErrInvalidComponent = errors.New("invalid component")

// AddComponent records a component a person added to the scope.
func (e *Engine) AddComponent(ctx context.Context, by string, c Component) (Component, error) {
	if err := c.Validate(); err != nil {
		return Component{}, fmt.Errorf("%w: %w", ErrInvalidComponent, err)
	}
	for _, id := range c.Controls {
		if _, ok := e.d.Catalog.Control(id); !ok {
			return Component{}, fmt.Errorf("%w: no control %q to link; list them with 'attest controls list'", ErrInvalidComponent, id)
		}
	}
	c.Source, c.Added, c.AddedBy = "user", e.d.Now().UTC(), by
	return c, e.d.Store.PutComponent(ctx, c)
}

// RemoveComponent deletes a component a person added.
func (e *Engine) RemoveComponent(ctx context.Context, id string) error {
	return e.d.Store.DeleteComponent(ctx, id)
}
