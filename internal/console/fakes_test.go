package console

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// FakeWorld stands in for the control engine, registry, gateway, vendor
// review, access reviews and the audit exporter until the real services are
// plugged in. Its pieces are linked the way the real ones are: approving
// the pending promotion records change.approved in the real ledger, and the
// change-management control then passes with that entry as its evidence.
type FakeWorld struct {
	Log   ledger.Appender
	Now   func() time.Time
	Delay time.Duration // per audit export stage, so progress is visible

	mu        sync.Mutex
	approvals []ApprovalRequest
	applied   map[string]uint64 // change id -> ledger index of the approval
	reviews   []VendorReview
	items     []CampaignItem
	completed time.Time
	// refuseCompletion, if set, is why completing the campaign fails.
	refuseCompletion error
}

var (
	_ ControlsSource      = (*FakeWorld)(nil)
	_ ModelsSource        = (*FakeWorld)(nil)
	_ ApprovalsSource     = (*FakeWorld)(nil)
	_ GatewayStats        = (*FakeWorld)(nil)
	_ VendorsSource       = (*FakeWorld)(nil)
	_ AccessReviewsSource = (*FakeWorld)(nil)
	_ AuditExporter       = (*FakeWorld)(nil)
)

// NewFakeWorld returns a world with one failing control, one pending model
// promotion requested by "user:erin", vendors, gateway traffic and an
// access review.
func NewFakeWorld(log ledger.Appender, now func() time.Time) *FakeWorld {
	t0 := now().UTC()
	return &FakeWorld{
		Log: log, Now: now, applied: map[string]uint64{},
		approvals: []ApprovalRequest{{
			ID: "chg-7", Title: "Promote support-bot 1.4 to production", Description: "Moves the production alias from 1.3 to 1.4 after the regression suite passed.",
			Risk: "high", RequestedBy: "user:erin", Requested: t0.Add(-2 * time.Hour), Required: 1,
		}},
		items: []CampaignItem{
			{ID: "key:ci", Name: "ci-pipeline", Kind: "key", Role: "engineer", LastUsed: t0.Add(-3 * time.Hour)},
			{ID: "key:old", Name: "legacy-batch", Kind: "key", Role: "consumer", LastUsed: t0.AddDate(0, -4, 0)},
		},
	}
}

// Plug sets every optional source of d to the world.
func (f *FakeWorld) Plug(d *Deps) {
	d.Controls, d.Models, d.Approvals, d.Gateway, d.Vendors, d.Reviews, d.Audit = f, f, f, f, f, f, f
}

func (f *FakeWorld) changeApproved() (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	idx, ok := f.applied["chg-7"]
	return idx, ok
}

// Controls implements ControlsSource.
func (f *FakeWorld) Controls(ctx context.Context, tenant string) ([]ControlSummary, error) {
	t := f.Now().UTC()
	out := []ControlSummary{
		{ID: "CC6.1-keys", Title: "API keys are scoped and rotated", Criteria: []string{"CC6.1"}, Status: "pass", Reason: "every key rotated within 90 days", Evaluated: t},
		{ID: "CC6.7-credentials", Title: "Provider credentials are rotated", Criteria: []string{"CC6.7"}, Status: "not_applicable",
			Reason: "no provider in scope holds a credential: every provider is secretless (demo)", Evaluated: t},
		{ID: "CC7.2-ledger", Title: "Evidence ledger is signed and witnessed", Criteria: []string{"CC7.2"}, Status: "pass", Reason: "checkpoint is fresh", Evaluated: t},
		{ID: "CC8.1-changes", Title: "Production model changes are approved", Criteria: []string{"CC8.1"}, Evaluated: t},
		{ID: "P4.2-retention", Title: "Personal data is deleted on schedule", Criteria: []string{"P4.2"}, Status: "stale", Reason: "the last retention run is 3 days old", Evaluated: t},
	}
	if _, ok := f.changeApproved(); ok {
		out[3].Status, out[3].Reason = "pass", "every production model version has an approved change"
	} else {
		out[3].Status, out[3].Reason = "fail", "support-bot 1.4 waits for approval while its promotion is pending"
	}
	return out, nil
}

// Control implements ControlsSource.
func (f *FakeWorld) Control(ctx context.Context, tenant, id string) (ControlDetail, error) {
	all, _ := f.Controls(ctx, tenant)
	i := slices.IndexFunc(all, func(c ControlSummary) bool { return c.ID == id })
	if i < 0 {
		return ControlDetail{}, fmt.Errorf("control %s: %w", id, ErrNotFound)
	}
	t := f.Now().UTC()
	d := ControlDetail{ControlSummary: all[i], Description: "Checks the ledger for the evidence this control rests on."}
	d.History = []ControlEvaluation{{Time: t, Status: d.Status, Reason: d.Reason}, {Time: t.Add(-24 * time.Hour), Status: "fail", Reason: "pending approval"}, {Time: t.Add(-48 * time.Hour), Status: "pass"}}
	if id == "CC8.1-changes" {
		d.Exceptions = []ControlException{{Start: t.Add(-24 * time.Hour), Status: "fail", Reason: "a promotion waited for approval", Remediation: "approve or reject chg-7"}}
		if idx, ok := f.changeApproved(); ok {
			d.Exceptions[0].End = t
			d.Evidence = []EvidenceRef{{Index: idx, Label: "change.approved chg-7"}}
		}
	}
	return d, nil
}

// Trend implements ControlsSource.
func (f *FakeWorld) Trend(ctx context.Context, tenant string) (Trend, error) {
	t := f.Now().UTC().Truncate(24 * time.Hour)
	tr := Trend{From: t.AddDate(0, 0, -29), To: t}
	for i := 29; i >= 0; i-- {
		pass := 3
		if i%9 == 0 {
			pass = 2
		}
		tr.Points = append(tr.Points, TrendPoint{Day: t.AddDate(0, 0, -i), Passing: pass, Failing: 4 - pass})
	}
	return tr, nil
}

// Readiness implements ControlsSource.
func (f *FakeWorld) Readiness(ctx context.Context, tenant string) (Readiness, error) {
	all, _ := f.Controls(ctx, tenant)
	pass, na := 0, 0
	for _, c := range all {
		switch {
		case c.NotApplicable():
			na++
		case !c.Failing():
			pass++
		}
	}
	return Readiness{Percent: percent(pass, len(all)-na), Controls: len(all), Passing: pass, NotApplicable: na, ObservationStart: f.Now().AddDate(0, 0, -29), ObservationDays: 29, TargetDays: 90}, nil
}

// Models implements ModelsSource.
func (f *FakeWorld) Models(ctx context.Context, tenant string) ([]ModelSummary, error) {
	m, _ := f.Model(ctx, tenant, "support-bot")
	return []ModelSummary{m.ModelSummary, {Name: "triage-classifier", Owner: "ml-platform", Risk: "medium", Versions: 2, Latest: "2.0", Aliases: map[string]string{"production": "2.0"}}}, nil
}

// Model implements ModelsSource.
func (f *FakeWorld) Model(ctx context.Context, tenant, name string) (ModelDetail, error) {
	if name != "support-bot" {
		return ModelDetail{}, fmt.Errorf("model %s: %w", name, ErrNotFound)
	}
	t := f.Now().UTC()
	prod := "1.3"
	if _, ok := f.changeApproved(); ok {
		prod = "1.4"
	}
	m := ModelDetail{ModelSummary: ModelSummary{Name: "support-bot", Owner: "support-ml", Risk: "high", Versions: 2, Latest: "1.4", Aliases: map[string]string{"production": prod, "staging": "1.4"}}}
	m.Versions = []ModelVersion{
		{Version: "1.4", Digest: "sha256:9f2c4e0d1b7a", Signed: true, Approved: prod == "1.4", Registered: t.Add(-3 * time.Hour), Aliases: []string{"staging"}},
		{Version: "1.3", Digest: "sha256:41aa07c3e955", Signed: true, Approved: true, Registered: t.AddDate(0, 0, -20), Aliases: []string{"production"}},
	}
	m.Lineage = Lineage{
		Nodes: []LineageNode{
			{ID: "ds:tickets", Kind: NodeDataset, Label: "tickets-2026q1"}, {ID: "ds:faq", Kind: NodeDataset, Label: "faq-articles"},
			{ID: "run:1", Kind: NodeRun, Label: "finetune-0412"}, {ID: "run:2", Kind: NodeRun, Label: "finetune-0520"},
			{ID: "mv:1.3", Kind: NodeModel, Label: "support-bot@1.3"}, {ID: "mv:1.4", Kind: NodeModel, Label: "support-bot@1.4"},
			{ID: "dep:prod", Kind: NodeDeployment, Label: "production"}, {ID: "dep:stg", Kind: NodeDeployment, Label: "staging"},
		},
		Edges: []LineageEdge{{"ds:tickets", "run:1"}, {"ds:faq", "run:1"}, {"ds:tickets", "run:2"}, {"run:1", "mv:1.3"}, {"run:2", "mv:1.4"}, {"mv:" + prod, "dep:prod"}, {"mv:1.4", "dep:stg"}},
	}
	gate := 0.8
	acc := Series{Name: "accuracy", Unit: "share", Threshold: &gate}
	psi := Series{Name: "population stability index", Unit: "PSI"}
	limit := 0.2
	psi.Threshold = &limit
	for i := 10; i >= 0; i-- {
		at := t.Add(-time.Duration(i) * 24 * time.Hour)
		acc.Points = append(acc.Points, Point{T: at, V: 0.82 + float64(i%3)*0.02})
		psi.Points = append(psi.Points, Point{T: at, V: 0.05 + float64(10-i)*0.012})
	}
	m.Evals, m.Drift = []Series{acc}, []Series{psi}
	return m, nil
}

// Alerts implements ModelsSource.
func (f *FakeWorld) Alerts(ctx context.Context, tenant string) ([]Alert, error) {
	t := f.Now().UTC()
	return []Alert{{Source: "drift", Title: "triage-classifier drift above limit", Since: t.Add(-30 * time.Hour), Due: t.Add(-6 * time.Hour), Link: "/models/support-bot"}}, nil
}

// Pending implements ApprovalsSource.
func (f *FakeWorld) Pending(ctx context.Context, tenant string) ([]ApprovalRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ApprovalRequest
	for _, a := range f.approvals {
		if _, done := f.applied[a.ID]; !done {
			out = append(out, a)
		}
	}
	return out, nil
}

// ErrSelfApproval is what the fake returns for a requester's own decision.
var ErrSelfApproval = errors.New("the requester of a change cannot approve or reject it; another approver must decide")

func (f *FakeWorld) decide(ctx context.Context, tenant string, by ledger.Actor, id, typ string) error {
	f.mu.Lock()
	i := slices.IndexFunc(f.approvals, func(a ApprovalRequest) bool { return a.ID == id })
	if i < 0 {
		f.mu.Unlock()
		return fmt.Errorf("change %s: %w", id, ErrNotFound)
	}
	a := f.approvals[i]
	_, done := f.applied[id]
	f.mu.Unlock()
	switch {
	case done:
		return fmt.Errorf("change %s is already decided", id)
	case a.RequestedBy == by.ID:
		return ErrSelfApproval
	}
	idx, err := f.Log.Append(ctx, ledger.MustEvent(typ, tenant, by, map[string]any{"change": id}, ledger.Ref{Kind: "change", ID: id}))
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.applied[id] = idx
	f.mu.Unlock()
	return nil
}

// Approve implements ApprovalsSource.
func (f *FakeWorld) Approve(ctx context.Context, tenant string, by ledger.Actor, id, comment string) error {
	return f.decide(ctx, tenant, by, id, "change.approved")
}

// Reject implements ApprovalsSource.
func (f *FakeWorld) Reject(ctx context.Context, tenant string, by ledger.Actor, id, comment string) error {
	return f.decide(ctx, tenant, by, id, "change.rejected")
}

// Snapshot implements GatewayStats.
func (f *FakeWorld) Snapshot(ctx context.Context, tenant string, window time.Duration) (GatewaySnapshot, error) {
	t := f.Now().UTC().Truncate(time.Minute)
	s := GatewaySnapshot{RequestsPerMinute: Series{Name: "requests"}}
	p50, p95, p99 := Series{Name: "p50"}, Series{Name: "p95"}, Series{Name: "p99"}
	for i := 59; i >= 0; i-- {
		at := t.Add(-time.Duration(i) * time.Minute)
		s.RequestsPerMinute.Points = append(s.RequestsPerMinute.Points, Point{T: at, V: float64(120 + (i*37)%40)})
		p50.Points = append(p50.Points, Point{T: at, V: float64(180 + (i*13)%30)})
		p95.Points = append(p95.Points, Point{T: at, V: float64(420 + (i*29)%90)})
		p99.Points = append(p99.Points, Point{T: at, V: float64(900 + (i*31)%200)})
	}
	s.Latency = []Series{p50, p95, p99}
	s.Blocked = []Count{{"prompt_injection", 42}, {"pii_in_output", 17}, {"jailbreak", 5}}
	s.Fallbacks = []Count{{"openai → anthropic", 12}}
	s.Alerts = []Alert{{Source: "gateway", Title: "Error rate of provider openai above 5%", Since: t.Add(-20 * time.Minute)}}
	return s, nil
}

// Vendors implements VendorsSource.
func (f *FakeWorld) Vendors(ctx context.Context, tenant string) ([]VendorSummary, error) {
	return []VendorSummary{{ID: "v-openai", Name: "OpenAI", Tier: "critical"}, {ID: "v-acme", Name: "Acme Hosting", Tier: "high"}}, nil
}

// Reviews implements VendorsSource.
func (f *FakeWorld) Reviews(ctx context.Context, tenant string) ([]VendorReviewSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []VendorReviewSummary{{ID: "rv-1", Vendor: "Acme Hosting", Reviewed: f.Now().AddDate(0, -5, 0), Verdict: "accept", RedFlags: 0}}
	for _, r := range f.reviews {
		out = append(out, r.VendorReviewSummary)
	}
	return out, nil
}

// Review implements VendorsSource.
func (f *FakeWorld) Review(ctx context.Context, tenant, id string) (VendorReview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.reviews {
		if r.ID == id {
			return r, nil
		}
	}
	return VendorReview{}, fmt.Errorf("review %s: %w", id, ErrNotFound)
}

// Calendar implements VendorsSource.
func (f *FakeWorld) Calendar(ctx context.Context, tenant string, asOf time.Time) ([]Renewal, error) {
	t := asOf.UTC().Truncate(24 * time.Hour)
	return []Renewal{
		{Vendor: "Acme Hosting", What: "SOC 2 report expires", Due: t.AddDate(0, 0, 12)},
		{Vendor: "OpenAI", What: "bridge letter covers until", Due: t.AddDate(0, 1, 3)},
		{Vendor: "Acme Hosting", What: "pen-test summary is due", Due: t.AddDate(0, 0, -2)},
	}, nil
}

// Upload implements VendorsSource: it reads every document and reports
// a flag that cites the first one.
func (f *FakeWorld) Upload(ctx context.Context, tenant string, by ledger.Actor, vendor string, files []Upload) (VendorReviewSummary, error) {
	var names []string
	var total int64
	for _, u := range files {
		n, err := io.Copy(io.Discard, u.Body)
		if err != nil {
			return VendorReviewSummary{}, err
		}
		total += n
		names = append(names, u.Name)
	}
	if total == 0 {
		return VendorReviewSummary{}, errors.New("the documents are empty")
	}
	idx, err := f.Log.Append(ctx, ledger.MustEvent("vendor.reviewed", tenant, by, map[string]any{"documents": len(files), "bytes": total}, ledger.Ref{Kind: "vendor", ID: vendor}))
	if err != nil {
		return VendorReviewSummary{}, err
	}
	name := vendor
	vs, _ := f.Vendors(ctx, tenant)
	for _, v := range vs {
		if v.ID == vendor {
			name = v.Name
		}
	}
	r := VendorReview{
		VendorReviewSummary: VendorReviewSummary{ID: fmt.Sprintf("rv-%d", idx), Vendor: name, Reviewed: f.Now().UTC(), Verdict: "accept_with_conditions", RedFlags: 2},
		Period:              "2025-04-01 to 2026-03-31", Documents: names,
		Flags: []RedFlag{
			{Severity: "high", Title: "Qualified opinion on change management", Detail: "The auditor qualified CC8.1 because emergency changes lacked approval.", Citations: []Citation{{Document: names[0], Page: 4, Quote: "except for the matter described in the basis for qualified opinion"}}},
			{Severity: "medium", Title: "Subservice organisation carved out", Citations: []Citation{{Document: names[0], Page: 11, Quote: "uses the carve-out method"}}},
		},
	}
	f.mu.Lock()
	f.reviews = append(f.reviews, r)
	f.mu.Unlock()
	return r.VendorReviewSummary, nil
}

// Campaigns implements AccessReviewsSource.
func (f *FakeWorld) Campaigns(ctx context.Context, by access.Principal) ([]Campaign, error) {
	c, _, err := f.Campaign(ctx, by, "ar-1")
	return []Campaign{c}, err
}

// Campaign implements AccessReviewsSource.
func (f *FakeWorld) Campaign(ctx context.Context, by access.Principal, id string) (Campaign, []CampaignItem, error) {
	if id != "ar-1" {
		return Campaign{}, nil, fmt.Errorf("review %s: %w", id, ErrNotFound)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.Now().UTC()
	c := Campaign{ID: "ar-1", Scope: "all tenants", Started: t.AddDate(0, 0, -3), Due: t.AddDate(0, 0, 11), Items: len(f.items), Completed: f.completed}
	for _, it := range f.items {
		if it.Decision != "" {
			c.Decided++
		}
	}
	return c, slices.Clone(f.items), nil
}

// Decide implements AccessReviewsSource.
func (f *FakeWorld) Decide(ctx context.Context, by access.Principal, campaign, item, decision, note string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.items, func(it CampaignItem) bool { return it.ID == item })
	if campaign != "ar-1" || i < 0 {
		return fmt.Errorf("item %s: %w", item, ErrNotFound)
	}
	f.items[i].Decision, f.items[i].DecidedBy = decision, by.Actor().ID
	if f.refuseCompletion != nil && !slices.ContainsFunc(f.items, func(it CampaignItem) bool { return it.Decision == "" }) {
		return &CompletionError{Err: f.refuseCompletion}
	}
	return nil
}

// Complete implements AccessReviewsSource.
func (f *FakeWorld) Complete(ctx context.Context, by access.Principal, campaign string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if campaign != "ar-1" {
		return fmt.Errorf("review %s: %w", campaign, ErrNotFound)
	}
	if f.refuseCompletion != nil {
		return f.refuseCompletion
	}
	f.completed = f.Now()
	return nil
}

// Export implements AuditExporter: it writes a small zip in stages.
func (f *FakeWorld) Export(ctx context.Context, req AuditRequest) (AuditPackage, error) {
	stages := []string{"controls", "samples", "proofs", "bundle"}
	for i, s := range stages {
		req.Progress(s, uint64(i), uint64(len(stages)))
		select {
		case <-time.After(f.Delay):
		case <-ctx.Done():
			return AuditPackage{}, ctx.Err()
		}
	}
	if err := os.MkdirAll(req.Dir, 0o700); err != nil {
		return AuditPackage{}, err
	}
	zf, err := os.Create(req.Dir + ".zip")
	if err != nil {
		return AuditPackage{}, err
	}
	defer zf.Close()
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("package.json")
	fmt.Fprintf(w, `{"from":%q,"to":%q,"seed":%q}`, req.From.Format(time.DateOnly), req.To.Format(time.DateOnly), req.Seed)
	if err := zw.Close(); err != nil {
		return AuditPackage{}, err
	}
	req.Progress("done", uint64(len(stages)), uint64(len(stages)))
	return AuditPackage{ID: "pkg-1", Zip: req.Dir + ".zip", Manifest: "3b1f0c9e", Files: 1, Samples: 0}, nil
}

// percent is n of total as 0-100, 0 when total is 0.
func percent(n, total int) float64 {
	if total <= 0 {
		return 0
	}
	return math.Round(float64(n)*1000/float64(total)) / 10
}
