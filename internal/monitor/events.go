package monitor

import (
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Ledger event types this package describes.
const (
	EventEvalCompleted = "eval.completed"
	EventDriftReport   = "drift.report"
	EventDriftAlert    = "drift.alert"
)

// EvalBody is the body of an eval.completed event.
type EvalBody struct {
	Suite             string             `json:"suite"`
	Metrics           map[string]float64 `json:"metrics"`
	Examples          int                `json:"examples"`
	PredictionsSHA256 string             `json:"predictions_sha256"`
	Gate              *Decision          `json:"gate,omitempty"`
	// Signature is the base64 DSSE signature over the signed results,
	// when the caller signed them.
	Signature string `json:"signature,omitempty"`
}

// EvalEvent describes a finished evaluation. subjects usually name the
// model version and the evaluation suite.
func EvalEvent(tenant string, actor ledger.Actor, body EvalBody, subjects ...ledger.Ref) (ledger.Event, error) {
	return ledger.NewEvent(EventEvalCompleted, tenant, actor, body, subjects...)
}

// DriftReportBody is the body of a drift.report event: the statistics and
// the current window's histograms, which hold counts only.
type DriftReportBody struct {
	WindowStart time.Time             `json:"window_start"`
	WindowEnd   time.Time             `json:"window_end"`
	Report      *Report               `json:"report"`
	Histograms  map[string]*Histogram `json:"histograms"`
}

// DriftReportEvent describes one comparison of a window with the reference.
func DriftReportEvent(tenant string, actor ledger.Actor, current *Window, r *Report, subjects ...ledger.Ref) (ledger.Event, error) {
	return ledger.NewEvent(EventDriftReport, tenant, actor, DriftReportBody{
		WindowStart: current.Start,
		WindowEnd:   current.End,
		Report:      r,
		Histograms:  current.Histograms,
	}, subjects...)
}

// DriftAlertBody is the body of a drift.alert event.
type DriftAlertBody struct {
	Alert
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Deadline is when the alert must be closed; an alert still open
	// after it is a control failure.
	Deadline time.Time `json:"deadline"`
}

// DriftAlertEvents describes each alert of a report as its own event, so
// each can be closed (drift.alert_closed) on its own.
func DriftAlertEvents(tenant string, actor ledger.Actor, current *Window, r *Report, sla time.Duration, subjects ...ledger.Ref) ([]ledger.Event, error) {
	var out []ledger.Event
	for _, a := range r.Alerts {
		e, err := ledger.NewEvent(EventDriftAlert, tenant, actor, DriftAlertBody{
			Alert:       a,
			WindowStart: current.Start,
			WindowEnd:   current.End,
			Deadline:    current.End.Add(sla),
		}, subjects...)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
