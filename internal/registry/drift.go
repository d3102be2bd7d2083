package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
)

// Ledger events of drift monitoring.
const (
	EventDriftReference   = "drift.reference_set"
	EventDriftReport      = monitor.EventDriftReport
	EventDriftAlert       = monitor.EventDriftAlert
	EventDriftAlertClosed = "drift.alert_closed"
)

// Kinds of drift alert.
const (
	AlertDescriptor = "descriptor" // unlabelled drift of traffic descriptors
	AlertReplay     = "replay"     // the locked validation set scored lower
)

// DriftReference is a model's reference window: histograms of prompt and
// response descriptors from a period judged normal. No text is kept.
type DriftReference struct {
	Model  string          `json:"model"`
	Window *monitor.Window `json:"window"`
	SHA256 string          `json:"sha256"`
	Set    time.Time       `json:"set"`
	SetBy  string          `json:"set_by"`
	Index  uint64          `json:"index"`
}

// DriftAlert is one statistic past its threshold, open until closed.
type DriftAlert struct {
	ID           string `json:"id"`
	Tenant       string `json:"tenant"`
	Kind         string `json:"kind"`
	Model        string `json:"model"`
	ModelVersion string `json:"model_version,omitempty"`
	Suite        string `json:"suite,omitempty"`
	monitor.Alert
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	Opened      time.Time `json:"opened"`
	Due         time.Time `json:"due"`
	Index       uint64    `json:"index"`
	Closed      time.Time `json:"closed,omitzero"`
	ClosedBy    string    `json:"closed_by,omitempty"`
	Resolution  string    `json:"resolution,omitempty"`
	ClosedIndex uint64    `json:"closed_index,omitempty"`
}

// Overdue reports whether the alert is open past its deadline: a control
// failure.
func (a *DriftAlert) Overdue(now time.Time) bool { return a.Closed.IsZero() && now.After(a.Due) }

// alertBody is the drift.alert body: the monitor package's fields plus the
// alert id and due date the controls engine reads.
type alertBody struct {
	monitor.DriftAlertBody
	AlertID      string    `json:"alert_id"`
	Due          time.Time `json:"due"`
	Kind         string    `json:"kind"`
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version,omitempty"`
	Suite        string    `json:"suite,omitempty"`
	ReportIndex  uint64    `json:"report_index"`
}

// SetDriftReference replaces a model's reference window.
func (s *Service) SetDriftReference(ctx context.Context, tenant string, actor ledger.Actor, model string, w *monitor.Window) (DriftReference, error) {
	if _, err := s.Model(ctx, tenant, model); err != nil {
		return DriftReference{}, err
	}
	if w == nil {
		return DriftReference{}, fmt.Errorf("%w: a reference window is required", ErrInvalid)
	}
	if err := w.Validate(); err != nil {
		return DriftReference{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	b, _ := json.Marshal(w)
	ref := DriftReference{Model: model, Window: w, SHA256: sha256Hex(b), Set: s.now(), SetBy: actor.ID}
	var err error
	ref.Index, err = s.record(ctx, EventDriftReference, tenant, actor, map[string]any{
		"model": model, "window_start": w.Start, "window_end": w.End, "samples": w.Samples, "window_sha256": ref.SHA256,
	}, modelRef(model))
	if err != nil {
		return DriftReference{}, err
	}
	if _, err := s.driftRefs.Mutate(ctx, tenant, model, func(x *DriftReference) error { *x = ref; return nil }); err != nil {
		if err := s.driftRefs.Create(ctx, tenant, model, ref); err != nil {
			return DriftReference{}, err
		}
	}
	return ref, nil
}

// DriftOutcome is what one comparison found.
type DriftOutcome struct {
	ReportIndex uint64          `json:"report_index"`
	Report      *monitor.Report `json:"report"`
	Alerts      []DriftAlert    `json:"alerts"`
}

// ObserveWindow compares a window of the traffic an alias served with the
// model's reference window. It records drift.report with the window's
// histograms and a drift.alert, due within the drift SLA, for each
// statistic past its threshold.
func (s *Service) ObserveWindow(ctx context.Context, tenant string, actor ledger.Actor, model, alias string, w *monitor.Window) (DriftOutcome, error) {
	ref, err := s.driftRefs.Get(ctx, tenant, model)
	if err != nil {
		return DriftOutcome{}, notFound(err, "model %s has no drift reference window; set one first", model)
	}
	if w == nil {
		return DriftOutcome{}, fmt.Errorf("%w: a window is required", ErrInvalid)
	}
	if err := w.Validate(); err != nil {
		return DriftOutcome{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	d := monitor.Detector{Reference: ref.Window, Thresholds: s.d.Policy.Thresholds}
	rep, err := d.Compare(w)
	if err != nil {
		return DriftOutcome{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	version := ""
	refs := []ledger.Ref{modelRef(model)}
	if a, err := s.aliases.Get(ctx, tenant, aliasID(KindModel, model, alias)); err == nil && a.Version != "" {
		version = model + "@" + a.Version
		refs = append([]ledger.Ref{versionRef(version)}, refs...)
	}
	e, err := monitor.DriftReportEvent(tenant, actor, w, rep, refs...)
	if err != nil {
		return DriftOutcome{}, err
	}
	out := DriftOutcome{Report: rep, Alerts: []DriftAlert{}}
	if out.ReportIndex, err = s.append(ctx, e); err != nil {
		return out, err
	}
	for _, al := range rep.Alerts {
		a := DriftAlert{Kind: AlertDescriptor, Model: model, ModelVersion: version, Alert: al, WindowStart: w.Start, WindowEnd: w.End}
		if a, err = s.openAlert(ctx, tenant, actor, a, out.ReportIndex); err != nil {
			return out, err
		}
		out.Alerts = append(out.Alerts, a)
	}
	return out, nil
}

func (s *Service) openAlert(ctx context.Context, tenant string, actor ledger.Actor, a DriftAlert, report uint64) (DriftAlert, error) {
	now := s.now()
	a.ID, a.Tenant, a.Opened, a.Due = newID("da_"), tenant, now, now.Add(s.d.Policy.DriftSLA)
	body := alertBody{
		DriftAlertBody: monitor.DriftAlertBody{Alert: a.Alert, WindowStart: a.WindowStart, WindowEnd: a.WindowEnd, Deadline: a.Due},
		AlertID:        a.ID, Due: a.Due, Kind: a.Kind, Model: a.Model, ModelVersion: a.ModelVersion, Suite: a.Suite, ReportIndex: report,
	}
	refs := []ledger.Ref{alertRef(a.ID), modelRef(a.Model)}
	if a.ModelVersion != "" {
		refs = append(refs, versionRef(a.ModelVersion))
	}
	if a.Suite != "" {
		refs = append(refs, suiteRef(a.Suite))
	}
	var err error
	if a.Index, err = s.record(ctx, EventDriftAlert, tenant, actor, body, refs...); err != nil {
		return a, err
	}
	return a, s.alerts.Create(ctx, tenant, a.ID, a)
}

// ReplayOutcome is what a replay of a locked validation set found.
type ReplayOutcome struct {
	ReportIndex uint64             `json:"report_index"`
	Metrics     map[string]float64 `json:"metrics"`
	Baseline    map[string]float64 `json:"baseline"`
	Drops       map[string]float64 `json:"drops"`
	Alerts      []DriftAlert       `json:"alerts"`
}

// replayBody is the drift.report body of a replay.
type replayBody struct {
	Kind              string             `json:"kind"`
	Suite             string             `json:"suite"`
	ModelVersion      string             `json:"model_version"`
	Metrics           map[string]float64 `json:"metrics"`
	Baseline          map[string]float64 `json:"baseline"`
	BaselineResult    string             `json:"baseline_result"`
	Drops             map[string]float64 `json:"drops"`
	MaxDrop           float64            `json:"max_drop"`
	Examples          int                `json:"examples"`
	PredictionsSHA256 string             `json:"predictions_sha256"`
	Alerts            int                `json:"alerts"`
}

// RecordReplay compares a replay of a suite's locked validation set with
// the version's own gate result on it and raises a drift alert for each
// gated metric that fell by more than the suite's replay_drop.
func (s *Service) RecordReplay(ctx context.Context, tenant string, actor ledger.Actor, suiteName, versionID string, metrics map[string]float64, examples int, predictionsSHA256 string) (ReplayOutcome, error) {
	su, err := s.Suite(ctx, tenant, suiteName)
	if err != nil {
		return ReplayOutcome{}, err
	}
	v, err := s.Version(ctx, tenant, versionID)
	if err != nil {
		return ReplayOutcome{}, err
	}
	base := v.Evals[su.Name]
	if base == nil {
		return ReplayOutcome{}, fmt.Errorf("%w: %s has no gate result on suite %s to compare a replay with", ErrConflict, versionID, su.Name)
	}
	out := ReplayOutcome{Metrics: metrics, Baseline: base.Metrics, Drops: map[string]float64{}, Alerts: []DriftAlert{}}
	body := replayBody{Kind: AlertReplay, Suite: su.Name, ModelVersion: versionID, Metrics: metrics, Baseline: base.Metrics,
		BaselineResult: base.ID, Drops: out.Drops, Examples: examples, PredictionsSHA256: predictionsSHA256}
	var alerts []monitor.Alert
	for _, m := range su.Gate.Metrics() {
		cur, ok1 := metrics[m]
		was, ok2 := base.Metrics[m]
		if !ok1 || !ok2 || !finite(cur) {
			continue
		}
		drop := was - cur
		if slices.ContainsFunc(su.Gate.Rules, func(r monitor.Rule) bool { return r.Metric == m && r.LowerIsBetter }) {
			drop = cur - was
		}
		out.Drops[m] = drop
		body.MaxDrop = max(body.MaxDrop, drop)
		if drop > su.ReplayDrop+1e-9 {
			alerts = append(alerts, monitor.Alert{Descriptor: m, Statistic: "replay_drop", Value: drop, Threshold: su.ReplayDrop})
		}
	}
	body.Alerts = len(alerts)
	if out.ReportIndex, err = s.record(ctx, EventDriftReport, tenant, actor, body, versionRef(versionID), suiteRef(su.Name), modelRef(v.Model)); err != nil {
		return out, err
	}
	for _, al := range alerts {
		a := DriftAlert{Kind: AlertReplay, Model: v.Model, ModelVersion: versionID, Suite: su.Name, Alert: al}
		if a, err = s.openAlert(ctx, tenant, actor, a, out.ReportIndex); err != nil {
			return out, err
		}
		out.Alerts = append(out.Alerts, a)
	}
	return out, nil
}

// CloseAlert closes a drift alert with its resolution.
func (s *Service) CloseAlert(ctx context.Context, tenant string, actor ledger.Actor, id, resolution string) (DriftAlert, error) {
	a, err := s.alerts.Get(ctx, tenant, id)
	if err != nil {
		return a, notFound(err, "no drift alert %q", id)
	}
	if !a.Closed.IsZero() {
		return a, fmt.Errorf("%w: alert %s was closed already", ErrConflict, id)
	}
	// Closing is the response the drift control counts; an automated
	// caller closing its own alerts would make that response unattended.
	if actor.Kind != ledger.ActorHuman {
		return a, ErrAgentAlertClose
	}
	if resolution == "" {
		return a, fmt.Errorf("%w: say how the alert was resolved", ErrInvalid)
	}
	if err := limitText("resolution", resolution, 1000); err != nil {
		return a, err
	}
	now := s.now()
	refs := []ledger.Ref{alertRef(id), modelRef(a.Model)}
	if a.ModelVersion != "" {
		refs = append(refs, versionRef(a.ModelVersion))
	}
	idx, err := s.record(ctx, EventDriftAlertClosed, tenant, actor, map[string]any{
		"alert_id": id, "resolution": resolution, "due": a.Due, "overdue": now.After(a.Due), "opened_index": a.Index,
	}, refs...)
	if err != nil {
		return a, err
	}
	return s.alerts.Mutate(ctx, tenant, id, func(a *DriftAlert) error {
		a.Closed, a.ClosedBy, a.Resolution, a.ClosedIndex = now, actor.ID, resolution, idx
		return nil
	})
}

// DriftAlerts lists a tenant's alerts ("" for all tenants), oldest first.
func (s *Service) DriftAlerts(ctx context.Context, tenant string) ([]DriftAlert, error) {
	as, err := s.alerts.List(ctx, tenant)
	slices.SortFunc(as, func(a, b DriftAlert) int { return a.Opened.Compare(b.Opened) })
	return as, err
}

// OverdueAlerts lists alerts open past their deadline, for the controls
// engine; tenant "" lists all tenants.
func (s *Service) OverdueAlerts(ctx context.Context, tenant string, now time.Time) ([]DriftAlert, error) {
	as, err := s.DriftAlerts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []DriftAlert
	for _, a := range as {
		if a.Overdue(now) {
			out = append(out, a)
		}
	}
	return out, nil
}
