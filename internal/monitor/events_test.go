package monitor

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

var svc = ledger.Actor{Kind: ledger.ActorService, ID: "monitor"}

func TestEvalEvent(t *testing.T) {
	g := Gate{Rules: []Rule{{Metric: Accuracy, Min: f(0.9)}}}
	metrics := map[string]float64{Accuracy: 0.8}
	e, err := EvalEvent("acme", svc, EvalBody{
		Suite: "support-v1", Metrics: metrics, Examples: 100,
		PredictionsSHA256: strings.Repeat("a", 64), Gate: g.Evaluate(metrics, nil),
	}, ledger.Ref{Kind: "model_version", ID: "support@3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Canonical(time.Now()); err != nil {
		t.Fatal(err)
	}
	var body EvalBody
	json.Unmarshal(e.Body, &body)
	if e.Type != EventEvalCompleted || body.Gate.Pass || body.Metrics[Accuracy] != 0.8 {
		t.Fatalf("event %s body %+v", e.Type, body)
	}
}

func TestDriftEvents(t *testing.T) {
	d := Detector{Reference: traffic(1, 2000, false), Thresholds: DefaultThresholds}
	cur := traffic(2, 2000, true)
	r, err := d.Compare(cur)
	if err != nil {
		t.Fatal(err)
	}
	e, err := DriftReportEvent("acme", svc, cur, r)
	if err != nil {
		t.Fatal(err)
	}
	data, err := e.Canonical(time.Now())
	if err != nil {
		t.Fatalf("drift.report is not a valid event: %v", err)
	}
	// Histograms only: no descriptor text, no word of the traffic.
	if strings.Contains(string(data), "word") || strings.Contains(string(data), "sorry") {
		t.Fatal("drift report carries text from the traffic")
	}
	alerts, err := DriftAlertEvents("acme", svc, cur, r, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != len(r.Alerts) || len(alerts) == 0 {
		t.Fatalf("%d alert events for %d alerts", len(alerts), len(r.Alerts))
	}
	var body DriftAlertBody
	json.Unmarshal(alerts[0].Body, &body)
	if alerts[0].Type != EventDriftAlert || !body.Deadline.Equal(cur.End.Add(24*time.Hour)) || body.Descriptor == "" {
		t.Fatalf("alert %s %+v", alerts[0].Type, body)
	}
}
