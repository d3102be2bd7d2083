package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
)

// consoleModels shows the model registry in the console: models with their
// versions, aliases, lineage, evaluations and drift, and the change queue.
type consoleModels struct {
	reg *registry.Service
	now func() time.Time
}

var (
	_ console.ModelsSource    = consoleModels{}
	_ console.ApprovalsSource = consoleModels{}
)

// notFound keeps a domain error's text while letting the console match
// console.ErrNotFound, so it answers 404 with the registry's own words.
type notFound struct{ err error }

func (e notFound) Error() string { return e.err.Error() }
func (e notFound) Unwrap() error { return e.err }
func (e notFound) Is(target error) bool {
	return target == console.ErrNotFound
}

// consoleErr marks err as console.ErrNotFound when it is the domain's not
// found (base), and leaves every other error as it is.
func consoleErr(err, base error) error {
	if err != nil && errors.Is(err, base) {
		return notFound{err}
	}
	return err
}

// Pending implements console.ApprovalsSource.
func (m consoleModels) Pending(ctx context.Context, tenant string) ([]console.ApprovalRequest, error) {
	cs, err := m.reg.Changes(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []console.ApprovalRequest
	for _, c := range cs {
		if c.Status != registry.StatusPending {
			continue
		}
		r := console.ApprovalRequest{
			ID: c.ID, Title: changeTitle(c), Description: c.Description, Risk: string(c.Risk),
			RequestedBy: c.RequestedBy.ID, Requested: c.Requested, Required: c.Required,
		}
		for _, d := range c.Approvals {
			r.Approvals = append(r.Approvals, d.Actor.ID)
		}
		out = append(out, r)
	}
	return out, nil
}

func changeTitle(c registry.Change) string {
	t := fmt.Sprintf("Point %s %s's %s alias at version %s", c.Target.Kind, c.Target.Name, c.Target.Alias, c.Target.Version)
	if c.Target.Percent > 0 {
		t += fmt.Sprintf(" (%d%% of traffic)", c.Target.Percent)
	}
	return t
}

// Approve implements console.ApprovalsSource; the registry refuses the
// requester and agents.
func (m consoleModels) Approve(ctx context.Context, tenant string, by ledger.Actor, id, comment string) error {
	_, err := m.reg.Approve(ctx, tenant, by, id, comment)
	return consoleErr(err, registry.ErrNotFound)
}

// Reject implements console.ApprovalsSource.
func (m consoleModels) Reject(ctx context.Context, tenant string, by ledger.Actor, id, comment string) error {
	_, err := m.reg.Reject(ctx, tenant, by, id, comment)
	return consoleErr(err, registry.ErrNotFound)
}

// Models implements console.ModelsSource.
func (m consoleModels) Models(ctx context.Context, tenant string) ([]console.ModelSummary, error) {
	ms, err := m.reg.Models(ctx, tenant)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ms, func(a, b registry.Model) int { return strings.Compare(a.Name, b.Name) })
	out := make([]console.ModelSummary, 0, len(ms))
	for _, x := range ms {
		s, _, err := m.summary(ctx, tenant, x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (m consoleModels) summary(ctx context.Context, tenant string, x registry.Model) (console.ModelSummary, []registry.Alias, error) {
	as, err := m.reg.Aliases(ctx, tenant, registry.KindModel, x.Name)
	if err != nil {
		return console.ModelSummary{}, nil, err
	}
	s := console.ModelSummary{Name: x.Name, Owner: x.Owner, Risk: string(x.Risk), Versions: len(x.Versions), Aliases: map[string]string{}}
	if n := len(x.Versions); n > 0 {
		s.Latest = x.Versions[n-1]
	}
	for _, a := range as {
		s.Aliases[a.Alias] = a.Version
	}
	return s, as, nil
}

// Model implements console.ModelsSource.
func (m consoleModels) Model(ctx context.Context, tenant, name string) (console.ModelDetail, error) {
	x, err := m.reg.Model(ctx, tenant, name)
	if err != nil {
		return console.ModelDetail{}, consoleErr(err, registry.ErrNotFound)
	}
	s, aliases, err := m.summary(ctx, tenant, x)
	if err != nil {
		return console.ModelDetail{}, err
	}
	vs, err := m.reg.Versions(ctx, tenant, name)
	if err != nil {
		return console.ModelDetail{}, err
	}
	d := console.ModelDetail{ModelSummary: s, Lineage: lineage(vs, aliases)}
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		mv := console.ModelVersion{
			Version: v.Version, Digest: v.Digest, Signed: v.Signature != nil,
			Approved: v.Approval != nil && !v.Approval.Revoked, Registered: v.Registered,
		}
		for _, a := range aliases {
			if a.Version == v.Version {
				mv.Aliases = append(mv.Aliases, a.Alias)
			}
		}
		d.Versions = append(d.Versions, mv)
	}
	if d.Evals, err = m.evals(ctx, tenant, name); err != nil {
		return console.ModelDetail{}, err
	}
	if d.Drift, err = m.drift(ctx, tenant, name); err != nil {
		return console.ModelDetail{}, err
	}
	return d, nil
}

// lineage draws datasets feeding training runs, runs producing versions and
// versions serving under aliases. A version without a recorded run links
// its datasets to it directly.
func lineage(vs []registry.Version, aliases []registry.Alias) console.Lineage {
	var l console.Lineage
	seen := map[string]bool{}
	node := func(id, kind, label string) {
		if !seen[id] {
			seen[id] = true
			l.Nodes = append(l.Nodes, console.LineageNode{ID: id, Kind: kind, Label: label})
		}
	}
	for _, v := range vs {
		mid := "mv:" + v.Version
		node(mid, console.NodeModel, v.Model+"@"+v.Version)
		into := mid
		if v.TrainingRun != "" {
			into = "run:" + v.TrainingRun
			node(into, console.NodeRun, v.TrainingRun)
			l.Edges = append(l.Edges, console.LineageEdge{From: into, To: mid})
		}
		for _, ds := range v.Datasets {
			node("ds:"+ds.Name, console.NodeDataset, ds.Name)
			l.Edges = append(l.Edges, console.LineageEdge{From: "ds:" + ds.Name, To: into})
		}
	}
	for _, a := range aliases {
		if !seen["mv:"+a.Version] {
			continue
		}
		label := a.Alias
		if a.Percent > 0 {
			label = fmt.Sprintf("%s %d%%", a.Alias, a.Percent)
		}
		node("dep:"+a.Alias, console.NodeDeployment, label)
		l.Edges = append(l.Edges, console.LineageEdge{From: "mv:" + a.Version, To: "dep:" + a.Alias})
	}
	return l
}

// evals is one series per suite and metric over the model's suites.
func (m consoleModels) evals(ctx context.Context, tenant, model string) ([]console.Series, error) {
	suites, err := m.reg.Suites(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []console.Series
	for _, su := range suites {
		if su.Model != model {
			continue
		}
		rs, err := m.reg.EvalResults(ctx, tenant, su.Name)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(rs, func(a, b registry.EvalResult) int { return a.Time.Compare(b.Time) })
		out = append(out, metricSeries(su.Name, rs)...)
	}
	return out, nil
}

func metricSeries(suite string, rs []registry.EvalResult) []console.Series {
	idx := map[string]int{}
	var out []console.Series
	for _, r := range rs {
		names := make([]string, 0, len(r.Metrics))
		for k := range r.Metrics {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, console.Series{Name: suite + " " + k})
			}
			out[i].Points = append(out[i].Points, console.Point{T: r.Time, V: r.Metrics[k]})
		}
	}
	return out
}

// drift is one series per descriptor and statistic from the model's drift
// alerts, with the statistic's limit as the threshold line.
func (m consoleModels) drift(ctx context.Context, tenant, model string) ([]console.Series, error) {
	as, err := m.reg.DriftAlerts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	var out []console.Series
	for _, a := range as {
		if a.Model != model {
			continue
		}
		key := a.Descriptor + " " + a.Statistic
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			limit := a.Threshold
			out = append(out, console.Series{Name: key, Unit: a.Statistic, Threshold: &limit})
		}
		out[i].Points = append(out[i].Points, console.Point{T: a.Opened, V: a.Value})
	}
	return out, nil
}

// Alerts implements console.ModelsSource: open drift alerts and emergency
// changes whose review is overdue.
func (m consoleModels) Alerts(ctx context.Context, tenant string) ([]console.Alert, error) {
	as, err := m.reg.DriftAlerts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []console.Alert
	for _, a := range as {
		if !a.Closed.IsZero() {
			continue
		}
		out = append(out, console.Alert{
			Source: "drift", Since: a.Opened, Due: a.Due, Link: "/models/" + url.PathEscape(a.Model),
			Title: fmt.Sprintf("%s drift: %s %s is %.3g (limit %.3g)", a.Model, a.Descriptor, a.Statistic, a.Value, a.Threshold),
		})
	}
	cs, err := m.reg.OverdueReviews(ctx, tenant, m.now())
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		out = append(out, console.Alert{
			Source: "models", Since: c.Requested, Due: c.ReviewDue, Link: "/models/" + url.PathEscape(c.Target.Name),
			Title: fmt.Sprintf("Emergency change %s to %s@%s awaits its review", c.ID, c.Target.Name, c.Target.Version),
		})
	}
	return out, nil
}
