package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
)

// consoleControls shows the control engine in the console. Controls are
// evaluated for the whole installation, so the tenant is not used.
type consoleControls struct {
	eng *controls.Engine
	now func() time.Time
}

var _ console.ControlsSource = consoleControls{}

const (
	// timelineMax bounds a control's history timeline; older points stay
	// in the ledger and the auditor package.
	timelineMax = 200
	// trendDays is the longest trend the dashboard draws.
	trendDays = 90
	// queryPage is how many entries one ledger query reads.
	queryPage = 1000
)

// Controls implements console.ControlsSource, in catalog order.
func (c consoleControls) Controls(ctx context.Context, tenant string) ([]console.ControlSummary, error) {
	last, err := c.lastRun(ctx)
	if err != nil {
		return nil, err
	}
	cat := c.eng.Catalog()
	out := make([]console.ControlSummary, len(cat.Controls))
	for i := range cat.Controls {
		out[i] = summary(&cat.Controls[i], last)
	}
	slices.SortFunc(out, func(a, b console.ControlSummary) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// lastRun is the newest evaluation, nil if none ran yet.
func (c consoleControls) lastRun(ctx context.Context) (*controls.RunResult, error) {
	last, err := c.eng.LastRun(ctx)
	if errors.Is(err, controls.ErrNotFound) {
		return nil, nil
	}
	return last, err
}

func summary(k *controls.Control, last *controls.RunResult) console.ControlSummary {
	s := console.ControlSummary{ID: k.ID, Title: k.Title, Criteria: k.Criteria,
		Status: string(controls.NoEvidence), Reason: "not evaluated yet; the engine evaluates every control each hour"}
	if last == nil {
		return s
	}
	if cr, ok := last.Result(k.ID); ok {
		s.Status, s.Reason, s.Evaluated = string(cr.Status), cr.Reason, cr.Time
	}
	return s
}

// Control implements console.ControlsSource.
func (c consoleControls) Control(ctx context.Context, tenant, id string) (console.ControlDetail, error) {
	k, ok := c.eng.Catalog().Control(id)
	if !ok {
		return console.ControlDetail{}, fmt.Errorf("control %s is not in the catalog: %w", id, console.ErrNotFound)
	}
	last, err := c.lastRun(ctx)
	if err != nil {
		return console.ControlDetail{}, err
	}
	d := console.ControlDetail{ControlSummary: summary(k, last), Description: k.Objective}
	if d.History, err = c.timeline(ctx, id); err != nil {
		return console.ControlDetail{}, err
	}
	if d.Exceptions, err = c.exceptions(ctx, k); err != nil {
		return console.ControlDetail{}, err
	}
	if last != nil {
		if cr, ok := last.Result(id); ok {
			d.Evidence = evidence(cr)
		}
	}
	return d, nil
}

// timeline reads the control's control.evaluated events, newest first.
func (c consoleControls) timeline(ctx context.Context, id string) ([]console.ControlEvaluation, error) {
	var out []console.ControlEvaluation
	err := c.evaluations(ctx, ledger.Query{Type: controls.EventEvaluated, Subject: &ledger.Ref{Kind: "control", ID: id}},
		func(idx uint64, e *evaluated) {
			out = append(out, console.ControlEvaluation{Time: e.Time, Status: string(e.Body.Status), Reason: e.Body.Reason, Index: idx})
			if len(out) > timelineMax {
				out = out[1:]
			}
		})
	slices.Reverse(out)
	return out, err
}

// evaluated is the part of a control.evaluated entry the console shows.
type evaluated struct {
	Time time.Time `json:"time"`
	Body struct {
		Control string          `json:"control"`
		Status  controls.Status `json:"status"`
		Reason  string          `json:"reason"`
	} `json:"body"`
}

// evaluations pages through the entries q selects, in index order.
func (c consoleControls) evaluations(ctx context.Context, q ledger.Query, fn func(uint64, *evaluated)) error {
	q.Limit = queryPage
	for {
		es, err := c.eng.Reader().QueryLedger(ctx, q)
		if err != nil {
			return fmt.Errorf("read control evaluations: %w", err)
		}
		for _, re := range es {
			var e evaluated
			if err := json.Unmarshal(re.Data, &e); err != nil {
				return fmt.Errorf("ledger entry %d is not a readable control evaluation: %w", re.Index, err)
			}
			fn(re.Index, &e)
		}
		if len(es) < q.Limit {
			return nil
		}
		last := es[len(es)-1].Index
		q.After = &last
	}
}

// window is the observation period so far: from the Type 2 window start
// (or a day ago, before any evaluation) to now.
func (c consoleControls) window(ctx context.Context) (time.Time, time.Time, error) {
	now := c.now().UTC()
	from, err := c.eng.WindowStart(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if from.IsZero() || !from.Before(now) {
		from = now.Add(-controls.Day)
	}
	return from, now, nil
}

func (c consoleControls) exceptions(ctx context.Context, k *controls.Control) ([]console.ControlException, error) {
	from, now, err := c.window(ctx)
	if err != nil {
		return nil, err
	}
	// The end is a little after now so an evaluation stamped this instant
	// counts.
	hist, err := controls.History(ctx, c.eng.Reader(), c.eng.Catalog(), from, now.Add(time.Second), now)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(hist, func(h controls.ControlHistory) bool { return h.Control == k.ID })
	if i < 0 {
		return nil, nil
	}
	days := k.RemediationDays
	if days == 0 {
		days = 30
	}
	var out []console.ControlException
	for _, x := range hist[i].Exceptions {
		ce := console.ControlException{Start: x.Start, End: x.End, Status: string(x.Status), Reason: x.Reason}
		switch {
		case x.Remediation != nil && x.Remediation.Status == controls.NotApplicable:
			ce.Remediation = fmt.Sprintf("closed by the evaluation at ledger entry %d, which found the control not applicable", x.Remediation.Index)
		case x.Remediation != nil:
			ce.Remediation = fmt.Sprintf("closed by the passing evaluation at ledger entry %d", x.Remediation.Index)
			if n := len(x.Remediation.Attestations); n > 0 {
				ce.Remediation += fmt.Sprintf(", with %d remediation record(s)", n)
			}
		case x.Open:
			ce.Remediation = "open; fix by " + x.Start.AddDate(0, 0, days).Format(time.DateOnly)
		}
		out = append(out, ce)
	}
	return out, nil
}

// evidence lists the ledger entries the newest result rests on, once each.
func evidence(cr controls.ControlResult) []console.EvidenceRef {
	var out []console.EvidenceRef
	seen := map[uint64]bool{}
	add := func(idx uint64, label string) {
		if !seen[idx] {
			seen[idx] = true
			out = append(out, console.EvidenceRef{Index: idx, Label: label})
		}
	}
	if cr.Index > 0 {
		add(cr.Index, controls.EventEvaluated+" (newest)")
	}
	if a := cr.Attestation; a != nil {
		add(a.Index, controls.EventAttested+" by "+a.Actor)
	}
	for _, r := range cr.Checks {
		for _, idx := range r.Evidence {
			add(idx, "check "+r.Check)
		}
	}
	return out
}

// Trend implements console.ControlsSource: for each day of the
// observation period (at most trendDays), the controls whose last
// evaluation that day passed or failed. Not applicable counts as neither.
// Days nothing ran stay at zero, so an outage shows as a gap.
func (c consoleControls) Trend(ctx context.Context, tenant string) (console.Trend, error) {
	from, now, err := c.window(ctx)
	if err != nil {
		return console.Trend{}, err
	}
	first, today := from.Truncate(controls.Day), now.Truncate(controls.Day)
	if oldest := today.AddDate(0, 0, 1-trendDays); first.Before(oldest) {
		first = oldest
	}
	n := int(today.Sub(first)/controls.Day) + 1
	byDay := make([]map[string]controls.Status, n) // control -> last status of the day
	err = c.evaluations(ctx, ledger.Query{Type: controls.EventEvaluated, From: first, To: now.Add(time.Second)}, func(_ uint64, e *evaluated) {
		i := int(e.Time.UTC().Sub(first) / controls.Day)
		if i < 0 || i >= n {
			return
		}
		if byDay[i] == nil {
			byDay[i] = map[string]controls.Status{}
		}
		byDay[i][e.Body.Control] = e.Body.Status
	})
	if err != nil {
		return console.Trend{}, err
	}
	tr := console.Trend{From: first, To: today, Points: make([]console.TrendPoint, n)}
	for i, m := range byDay {
		p := console.TrendPoint{Day: first.AddDate(0, 0, i)}
		for _, st := range m {
			switch {
			case st.Failing():
				p.Failing++
			case st == controls.Pass:
				p.Passing++
			}
		}
		tr.Points[i] = p
	}
	return tr, nil
}

// Readiness implements console.ControlsSource from the engine's own
// assessment. The share is of the applicable controls: not applicable ones
// neither help nor hurt it.
func (c consoleControls) Readiness(ctx context.Context, tenant string) (console.Readiness, error) {
	rd, err := c.eng.Readiness(ctx)
	if err != nil {
		return console.Readiness{}, err
	}
	out := console.Readiness{Controls: rd.Gap.Controls, Passing: rd.Gap.Passing, NotApplicable: len(rd.Gap.NotApplicable),
		ObservationStart: rd.Type2.WindowStart, ObservationDays: rd.Type2.DaysElapsed, TargetDays: rd.Type2.TargetDays}
	if n := out.Applicable(); n > 0 {
		out.Percent = math.Round(float64(out.Passing)*1000/float64(n)) / 10
	}
	return out, nil
}

// consoleReviews runs access-review campaigns from the console. The
// console has no separate completion step: the decision that leaves no
// item undecided completes the campaign, which applies its revocations.
type consoleReviews struct{ rv *access.Reviews }

var _ console.AccessReviewsSource = consoleReviews{}

// seesAll reports whether by may read campaigns of every tenant, as the
// API allows; others see only campaigns scoped to their own tenant.
func seesAll(by access.Principal) bool {
	return by.Role.CrossTenant() || by.Role.Can(access.PermCompliance)
}

func visible(by access.Principal, r access.Review) bool {
	return seesAll(by) || (r.Tenant != "" && r.Tenant == by.Tenant)
}

func campaign(r access.Review) console.Campaign {
	scope := "all tenants"
	if r.Tenant != "" {
		scope = "tenant " + r.Tenant
	}
	return console.Campaign{ID: r.ID, Scope: scope, Started: r.Started, Due: r.Due, Completed: r.Completed, Items: r.Items, Decided: r.Decided}
}

// Campaigns implements console.AccessReviewsSource, newest first.
func (v consoleReviews) Campaigns(ctx context.Context, by access.Principal) ([]console.Campaign, error) {
	rs, err := v.rv.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []console.Campaign
	for _, r := range rs {
		if visible(by, r) {
			out = append(out, campaign(r))
		}
	}
	return out, nil
}

// Campaign implements console.AccessReviewsSource.
func (v consoleReviews) Campaign(ctx context.Context, by access.Principal, id string) (console.Campaign, []console.CampaignItem, error) {
	r, items, err := v.rv.Get(ctx, id)
	if err != nil {
		return console.Campaign{}, nil, consoleErr(err, access.ErrNotFound)
	}
	if !visible(by, r) {
		return console.Campaign{}, nil, fmt.Errorf("access review %s: %w", id, console.ErrNotFound)
	}
	out := make([]console.CampaignItem, len(items))
	for i, it := range items {
		out[i] = console.CampaignItem{ID: it.ID, Name: it.Name, Kind: it.Kind, Detail: itemDetail(it), Role: string(it.Role), LastUsed: it.LastUsed, Decision: it.Decision, DecidedBy: it.DecidedBy}
	}
	return campaign(r), out, nil
}

// itemDetail says where a principal belongs and, for a user, how they
// sign in, so the reviewer can tell a password account from single sign-on.
func itemDetail(it access.ReviewItem) string {
	var parts []string
	if it.Tenant != "" {
		parts = append(parts, "tenant "+it.Tenant)
	}
	if len(it.SignIn) > 0 {
		parts = append(parts, "signs in with "+strings.Join(it.SignIn, " or "))
	}
	if it.Kind == "role" {
		parts = append(parts, cmdline.Count(len(it.Holders), "holder"))
	}
	return strings.Join(parts, " · ")
}

// Decide implements console.AccessReviewsSource. Once every item is
// decided it completes the campaign; if the reviewer may not apply its
// revocations, the decisions stand and an admin completes it through the
// API. A refusal, such as disabling the last admin, leaves the campaign
// open so a decision can be changed.
func (v consoleReviews) Decide(ctx context.Context, by access.Principal, id, item, decision, note string) error {
	if _, err := v.rv.Decide(ctx, by, id, item, decision, note); err != nil {
		return consoleErr(err, access.ErrNotFound)
	}
	_, items, err := v.rv.Get(ctx, id)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(items, func(it access.ReviewItem) bool { return it.Decision == "" }) {
		return nil
	}
	if _, err := v.rv.Complete(ctx, by, id); err != nil && !errors.Is(err, access.ErrForbidden) {
		return &console.CompletionError{Err: err}
	}
	return nil
}

// Complete implements console.AccessReviewsSource.
func (v consoleReviews) Complete(ctx context.Context, by access.Principal, id string) error {
	_, err := v.rv.Complete(ctx, by, id)
	return consoleErr(err, access.ErrNotFound)
}

// consoleAudit runs the real audit export for the console.
type consoleAudit struct{ a *App }

var _ console.AuditExporter = consoleAudit{}

// Export implements console.AuditExporter. The package covers the whole
// installation, as the CLI's does; the tenant only names who asked.
func (x consoleAudit) Export(ctx context.Context, req console.AuditRequest) (console.AuditPackage, error) {
	a := x.a
	res, err := audit.Export(ctx, audit.Deps{Store: a.Store, Log: a.Log, Publish: a.Signer.Publish, VerifierKey: a.VKey, Engine: a.Controls},
		audit.Options{From: req.From, To: req.To, Seed: req.Seed, Dir: req.Dir, Actor: req.Actor, Progress: req.Progress})
	if err != nil {
		return console.AuditPackage{}, err
	}
	return console.AuditPackage{ID: res.PackageID, Zip: res.Zip, Manifest: res.Manifest, Files: res.Files, Samples: res.Samples}, nil
}
