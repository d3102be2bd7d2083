package controls

import (
	"slices"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// now is the fixed evaluation time of every fixture.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	alice = ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}
	bob   = ledger.Actor{Kind: ledger.ActorHuman, ID: "user:bob"}
	bot   = ledger.Actor{Kind: ledger.ActorAgent, ID: "key:agent1"}
	svc   = ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}
)

// ev builds an event stamped ago before now.
func ev(typ string, ago time.Duration, actor ledger.Actor, body map[string]any, subjects ...ledger.Ref) ledger.Event {
	return evT(typ, "acme", ago, actor, body, subjects...)
}

func evT(typ, tenant string, ago time.Duration, actor ledger.Actor, body map[string]any, subjects ...ledger.Ref) ledger.Event {
	var b any
	if body != nil {
		b = body
	}
	e := ledger.MustEvent(typ, tenant, actor, b, subjects...)
	e.Time = now.Add(-ago)
	return e
}

func ref(kind, id string) ledger.Ref { return ledger.Ref{Kind: kind, ID: id} }

// fixture is the evidence one check case runs on.
type fixture struct {
	events     []ledger.Event
	keys       []access.Key
	settings   Settings
	checkpoint *ledger.Checkpoint
	head       uint64
	logKey     string
	components []Component
}

// input folds the fixture's events through the same decoding path as the
// engine (canonical bytes, then foldRaw) and returns the check input.
func (fx fixture) input(t *testing.T) *Input {
	t.Helper()
	f := NewFacts()
	horizon := now.Add(-trafficDays * Day)
	for i, e := range fx.events {
		data, err := e.Canonical(now)
		if err != nil {
			t.Fatalf("fixture event %d: %v", i, err)
		}
		re := ledger.RawEntry{Index: uint64(i), Data: data}
		if fold := folds[e.Type]; fold != nil {
			parsed, err := ledger.ParseEntryData(data)
			if err != nil {
				t.Fatal(err)
			}
			fold(f, re.Index, &parsed)
		} else if err := f.foldTraffic(&scanner{}, re, horizon); err != nil {
			t.Fatalf("fold event %d: %v", i, err)
		}
	}
	return &Input{Now: now, Facts: f, Keys: fx.keys, Checkpoint: fx.checkpoint, Head: fx.head, LogKey: fx.logKey, Components: fx.components, Settings: fx.settings}
}

// checkCase is one table row of a check test.
type checkCase struct {
	name    string
	fx      fixture
	want    Status
	failing []string // ids of failing items, in order
}

// runCheck runs a table of cases against one check, and requires that the
// table has at least one passing and one failing case.
func runCheck(t *testing.T, check string, cases []checkCase) {
	t.Helper()
	var pass, fail bool
	for _, c := range cases {
		pass = pass || c.want == Pass
		fail = fail || c.want.Failing()
		t.Run(c.name, func(t *testing.T) {
			r, ok := Run(check, c.fx.input(t))
			if !ok {
				t.Fatalf("check %s is not registered", check)
			}
			if r.Status != c.want {
				t.Fatalf("status %s (%s), want %s", r.Status, r.Reason, c.want)
			}
			if r.Reason == "" {
				t.Fatal("result has no reason")
			}
			var ids []string
			for _, it := range r.Failing {
				ids = append(ids, it.ID)
				if it.Reason == "" {
					t.Fatalf("failing item %s has no reason", it.ID)
				}
			}
			if !slices.Equal(ids, c.failing) {
				t.Fatalf("failing items %v, want %v", ids, c.failing)
			}
			if r.FailingCount != len(r.Failing) && len(r.Failing) < maxItems {
				t.Fatalf("failing count %d but %d items", r.FailingCount, len(r.Failing))
			}
		})
	}
	if !pass || !fail {
		t.Fatalf("the table for %s must hold a passing and a failing case", check)
	}
}

func key(id, tenant string, role access.Role, kind ledger.ActorKind, limits access.Limits) access.Key {
	return access.Key{ID: id, Tenant: tenant, Name: "k-" + id, Role: role, ActorKind: kind, Limits: limits, Created: now.Add(-30 * Day)}
}

func TestEveryCheckIsTested(t *testing.T) {
	tested := []string{
		"agent_keys_least_privilege", "keys_have_limits", "access_review_recent", "revoked_keys_unused",
		"model_versions_signed_and_approved", "models_verified_at_deploy", "eval_gate_passed", "lineage_recorded",
		"agent_changes_human_approved", "emergency_changes_reviewed", "drift_alerts_not_overdue",
		"zero_retention_no_bodies", "retention_jobs_ran", "dsr_closed_on_time", "guards_enabled_or_excepted",
		"provider_credentials_rotated", "providers_vendor_reviewed", "inference_error_rate", "no_fail_open_requests",
		"ledger_checkpoint_fresh", "ledger_witnessed",
	}
	for _, c := range Checks() {
		if !slices.Contains(tested, c.Name) {
			t.Errorf("check %s has no table test; add one and list it here", c.Name)
		}
	}
	if len(Checks()) != len(tested) {
		t.Errorf("%d checks registered, %d tested", len(Checks()), len(tested))
	}
}

func days(n int) time.Duration { return time.Duration(n) * Day }
