package registry

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ModelCard gathers what a reader of a model card needs: the model's
// purpose and limits, its versions with their evidence, where each alias
// points and how the model is evaluated.
type ModelCard struct {
	Model     Model     `json:"model"`
	Versions  []Version `json:"versions"`
	Aliases   []Alias   `json:"aliases"`
	Suites    []Suite   `json:"suites"`
	Generated time.Time `json:"generated"`
}

// Card builds a model's card.
func (s *Service) Card(ctx context.Context, tenant, name string) (ModelCard, error) {
	m, err := s.Model(ctx, tenant, name)
	if err != nil {
		return ModelCard{}, err
	}
	vs, err := s.Versions(ctx, tenant, name)
	if err != nil {
		return ModelCard{}, err
	}
	as, err := s.Aliases(ctx, tenant, KindModel, name)
	if err != nil {
		return ModelCard{}, err
	}
	for i := range as {
		as[i].History = nil
	}
	all, err := s.Suites(ctx, tenant)
	if err != nil {
		return ModelCard{}, err
	}
	c := ModelCard{Model: m, Versions: vs, Aliases: as, Suites: []Suite{}, Generated: s.now()}
	for _, su := range all {
		if su.Model == name {
			c.Suites = append(c.Suites, su)
		}
	}
	if c.Aliases == nil {
		c.Aliases = []Alias{}
	}
	return c, nil
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func short(digest string) string {
	h := hexOf(digest)
	if len(h) > 12 {
		return "sha256:" + h[:12] + "…"
	}
	return digest
}

// Markdown renders the card for people.
func (c *ModelCard) Markdown() []byte {
	var b bytes.Buffer
	m := c.Model
	fmt.Fprintf(&b, "# Model card: %s\n\n", m.Name)
	fmt.Fprintf(&b, "| | |\n|---|---|\n| Purpose | %s |\n| Owner | %s |\n| Risk classification | %s |\n| Intended use | %s |\n| Registered | %s by %s |\n\n",
		cell(m.Purpose), cell(m.Owner), m.Risk, cell(m.IntendedUse), m.Created.Format(time.DateOnly), cell(m.CreatedBy))
	list := func(title string, items []string) {
		fmt.Fprintf(&b, "## %s\n\n", title)
		if len(items) == 0 {
			b.WriteString("None recorded.\n\n")
			return
		}
		for _, it := range items {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(it, "\n", " "))
		}
		b.WriteString("\n")
	}
	list("Known limitations", m.Limitations)
	list("Data sources", m.DataSources)

	b.WriteString("## Deployments\n\n")
	if len(c.Aliases) == 0 {
		b.WriteString("Not deployed.\n\n")
	} else {
		b.WriteString("| Alias | Version | Traffic | Since | Change |\n|---|---|---|---|---|\n")
		as := slices.Clone(c.Aliases)
		slices.SortFunc(as, func(x, y Alias) int { return strings.Compare(x.Alias, y.Alias) })
		for _, a := range as {
			traffic := "100%"
			if a.Percent > 0 {
				traffic = fmt.Sprintf("%d%%", a.Percent)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", a.Alias, a.Version, traffic, a.Moved.Format(time.DateOnly), cell(a.ChangeID))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Versions\n\n")
	if len(c.Versions) == 0 {
		b.WriteString("No versions registered.\n\n")
	} else {
		b.WriteString("| Version | Digest | Signed | Verified at load | Evaluations | Approved |\n|---|---|---|---|---|---|\n")
		for _, v := range c.Versions {
			signed, verified, approved := "no", "no", "no"
			if v.Signature != nil {
				signed = "yes (" + v.Signature.Method + ")"
			}
			if v.Verification != nil {
				verified = map[bool]string{true: "yes", false: "failed"}[v.Verification.OK]
			}
			if a := v.Approval; a != nil {
				approved = a.ChangeID
				if a.Emergency {
					approved += " (emergency)"
				}
				if a.Revoked {
					approved += ", revoked"
				}
			}
			var evals []string
			for _, name := range sortedKeys(v.Evals) {
				evals = append(evals, name+": "+map[bool]string{true: "passed", false: "failed"}[v.Evals[name].Passed])
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", v.Version, short(v.Digest), signed, verified, cell(strings.Join(evals, ", ")), approved)
		}
		b.WriteString("\n")
		for _, v := range c.Versions {
			fmt.Fprintf(&b, "### Version %s\n\n", v.Version)
			fmt.Fprintf(&b, "- Digest: `%s`\n", v.Digest)
			if v.Code != nil {
				fmt.Fprintf(&b, "- Code: %s at `%s`\n", v.Code.Repository, v.Code.Commit)
			}
			if v.BaseModel != nil {
				fmt.Fprintf(&b, "- Base model: %s (`%s`)\n", v.BaseModel.Name, short(v.BaseModel.Digest))
			}
			for _, d := range v.Datasets {
				fmt.Fprintf(&b, "- Dataset: %s (`%s`)\n", d.Name, short(d.Digest))
			}
			if v.TrainingRun != "" {
				fmt.Fprintf(&b, "- Training run: %s\n", v.TrainingRun)
			}
			if v.ProvenanceSHA256 != "" {
				b.WriteString("- SLSA provenance: recorded and signed\n")
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("## Evaluation\n\n")
	if len(c.Suites) == 0 {
		b.WriteString("No evaluation suite gates this model.\n")
		return b.Bytes()
	}
	for _, su := range c.Suites {
		fmt.Fprintf(&b, "### Suite %s (%s)\n\n", su.Name, su.Task)
		fmt.Fprintf(&b, "Locked validation set `%s`, %d examples. Metrics: %s.\n\n", short(su.ValidationDigest), su.Examples, strings.Join(su.Metrics, ", "))
		b.WriteString("| Metric | Minimum | Maximum | Allowed regression |\n|---|---|---|---|\n")
		for _, r := range su.Gate.Rules {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Metric, num(r.Min), num(r.Max), num(r.MaxRegression))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func num(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.4g", *p)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
