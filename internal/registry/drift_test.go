package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
)

// window builds a window of n exchanges with prompts of promptChars.
func window(start time.Time, n, promptChars int) *monitor.Window {
	w := monitor.NewWindow(start, start.Add(time.Hour))
	for i := range n {
		w.Add(monitor.Descriptors{PromptChars: promptChars + i%7, ResponseChars: 200, PromptTokens: promptChars / 4, ResponseTokens: 50, Script: monitor.ScriptLatin})
	}
	return w
}

func TestDescriptorDriftRaisesAlertsWithADeadline(t *testing.T) {
	f := newFixture(t, registry.Policy{DriftSLA: 24 * time.Hour})
	dir := f.signedVersion("support", "1")
	f.verified("support@1", dir)
	f.suite("triage-v1", "support", 0.5, 0.1)
	f.eval("triage-v1", "support@1", 0.9)
	f.promote("support", "1", registry.AliasProduction)
	t0 := f.clock.now()

	_, err := f.svc.ObserveWindow(f.ctx, tenant, ci, "support", registry.AliasProduction, window(t0, 500, 100))
	wantErr(t, err, registry.ErrNotFound, "no drift reference window")
	_, err = f.svc.SetDriftReference(f.ctx, tenant, alice, "support", window(t0.Add(-24*time.Hour), 500, 100))
	f.must(err)

	calm, err := f.svc.ObserveWindow(f.ctx, tenant, ci, "support", registry.AliasProduction, window(t0, 500, 100))
	f.must(err)
	if len(calm.Alerts) != 0 || !calm.Report.Judged {
		t.Fatalf("the same traffic drifted: %+v", calm.Report)
	}
	shifted, err := f.svc.ObserveWindow(f.ctx, tenant, ci, "support", registry.AliasProduction, window(t0, 500, 3000))
	f.must(err)
	if len(shifted.Alerts) == 0 {
		t.Fatalf("prompts 30 times longer raised no alert: %+v", shifted.Report)
	}
	a := shifted.Alerts[0]
	if a.ModelVersion != "support@1" || !a.Due.Equal(t0.Add(24*time.Hour)) || a.Kind != registry.AlertDescriptor {
		t.Fatalf("alert: %+v", a)
	}

	// The report keeps histograms only; the alert carries what the
	// controls engine reads.
	reports := f.events(registry.EventDriftReport, ledger.Ref{Kind: "model_version", ID: "support@1"})
	if len(reports) != 2 {
		t.Fatalf("want 2 drift reports, got %d", len(reports))
	}
	alerts := f.events(registry.EventDriftAlert, ledger.Ref{Kind: "drift_alert", ID: a.ID})
	var body struct {
		AlertID  string    `json:"alert_id"`
		Due      time.Time `json:"due"`
		Deadline time.Time `json:"deadline"`
	}
	f.must(json.Unmarshal(alerts[0].Event.Body, &body))
	if body.AlertID != a.ID || !body.Due.Equal(a.Due) || !body.Deadline.Equal(a.Due) {
		t.Fatalf("drift.alert body: %+v", body)
	}

	f.clock.advance(25 * time.Hour)
	over, err := f.svc.OverdueAlerts(f.ctx, "", f.clock.now())
	f.must(err)
	if len(over) != len(shifted.Alerts) {
		t.Fatalf("%d overdue alerts, want %d", len(over), len(shifted.Alerts))
	}
	_, err = f.svc.CloseAlert(f.ctx, tenant, alice, a.ID, "")
	wantErr(t, err, registry.ErrInvalid, "resolved")
	// An agent cannot close an alert: the response must be a person's.
	_, err = f.svc.CloseAlert(f.ctx, tenant, robot, a.ID, "looks fine to me")
	wantErr(t, err, registry.ErrForbidden, "human")
	closed, err := f.svc.CloseAlert(f.ctx, tenant, alice, a.ID, "new ticket template explains the longer prompts; reference updated")
	f.must(err)
	if closed.Closed.IsZero() || len(f.events(registry.EventDriftAlertClosed, ledger.Ref{Kind: "drift_alert", ID: a.ID})) != 1 {
		t.Fatal("alert not closed in the ledger")
	}
	over, _ = f.svc.OverdueAlerts(f.ctx, tenant, f.clock.now())
	if len(over) != len(shifted.Alerts)-1 {
		t.Fatalf("closed alert still overdue")
	}
	_, err = f.svc.CloseAlert(f.ctx, tenant, alice, a.ID, "again")
	wantErr(t, err, registry.ErrConflict, "closed already")
}

// answers is a Predictor with fixed answers by input.
type answers map[string]string

func (a answers) Predict(ctx context.Context, input string) (string, error) { return a[input], nil }

func TestReplayAlertsOnADrop(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	dir := f.signedVersion("support", "1")
	f.verified("support@1", dir)
	f.suite("triage-v1", "support", 0.5, 0.1)
	f.eval("triage-v1", "support@1", 1.0)
	f.promote("support", "1", registry.AliasProduction)
	set, err := registry.ReadValidationSet(bytes.NewReader(validation))
	f.must(err)

	good := answers{"refund please": "billing", "app crashes": "bug", "invoice wrong": "billing", "cannot log in": "access"}
	out, err := f.svc.Replay(f.ctx, tenant, ci, "triage-v1", registry.AliasProduction, set, good)
	f.must(err)
	if len(out.Alerts) != 0 || out.Metrics["accuracy"] != 1 {
		t.Fatalf("a perfect replay alerted: %+v", out)
	}
	worse := answers{"refund please": "billing", "app crashes": "billing", "invoice wrong": "billing", "cannot log in": "access"}
	out, err = f.svc.Replay(f.ctx, tenant, ci, "triage-v1", registry.AliasProduction, set, worse)
	f.must(err)
	if len(out.Alerts) != 1 || out.Alerts[0].Descriptor != "accuracy" || out.Alerts[0].Statistic != "replay_drop" || out.Drops["accuracy"] != 0.25 {
		t.Fatalf("a 0.25 drop past 0.1 should alert once: %+v", out)
	}

	other, err := registry.ReadValidationSet(strings.NewReader(`{"id":"1","input":"x","expected":"y"}`))
	f.must(err)
	_, err = f.svc.Replay(f.ctx, tenant, ci, "triage-v1", registry.AliasProduction, other, good)
	wantErr(t, err, registry.ErrConflict, "locked to")
}
