package controls

import (
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
)

func TestPrune(t *testing.T) {
	old, recent := days(500), days(10)
	evs := []ledger.Event{
		// An old version still in production keeps its facts and change.
		ev("model.signed", old, alice, nil, ref("model_version", "prod@1")),
		ev("change.requested", old, alice, nil, ref("change", "c-prod"), ref("model_version", "prod@1")),
		ev("deploy.alias_moved", old, svc, map[string]any{"model": "prod", "alias": "production"}, ref("model_version", "prod@1")),
		// An old version never deployed, and its settled change, go.
		ev("model.signed", old, alice, nil, ref("model_version", "gone@1")),
		ev("change.requested", old, alice, nil, ref("change", "c-gone"), ref("model_version", "gone@1")),
		ev("change.approved", old, bob, nil, ref("change", "c-gone")),
		// An unreviewed emergency stays, however old: it still fails.
		ev("change.emergency", old, alice, nil, ref("change", "c-emergency")),
		// Recent facts stay.
		ev("model.signed", recent, alice, nil, ref("model_version", "new@1")),
		ev("drift.alert", old, svc, nil, ref("drift_alert", "d-closed")),
		ev("drift.alert_closed", days(450), bob, nil, ref("drift_alert", "d-closed")),
		ev("drift.alert", old, svc, nil, ref("drift_alert", "d-open")),
		request("acme", old, "zero", ""),
	}
	in := fixture{events: evs}.input(t)
	in.Facts.KeysSeen["k-old"] = &Mark{Time: now.Add(-old)}
	in.Facts.prune(now)
	f := in.Facts
	for _, id := range []string{"prod@1", "new@1"} {
		if f.Versions[id] == nil {
			t.Errorf("version %s was pruned", id)
		}
	}
	if f.Versions["gone@1"] != nil || f.Changes["c-gone"] != nil {
		t.Error("settled old facts were kept")
	}
	if f.Changes["c-prod"] == nil || f.Changes["c-emergency"] == nil {
		t.Error("facts that can still fail a check were pruned")
	}
	if f.DriftAlerts["d-closed"] != nil || f.DriftAlerts["d-open"] == nil {
		t.Error("drift alerts pruned wrongly")
	}
	if f.KeysSeen["k-old"] != nil {
		t.Error("old key sightings were kept")
	}
	if len(f.Tenants) != 0 {
		t.Errorf("old traffic was kept: %v", f.Tenants)
	}
}
