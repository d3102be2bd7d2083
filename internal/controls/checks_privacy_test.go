package controls

import (
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

func request(tenant string, ago time.Duration, retention, payload string) ledger.Event {
	b := map[string]any{"request_id": "r", "key_id": "k1", "retention": retention, "prompt_hmac": "00"}
	if payload != "" {
		b["payload_ref"] = payload
	}
	return evT("inference.request", tenant, ago, svc, b, ref("api_key", "k1"))
}

func response(tenant string, ago time.Duration, status int, payload string, failOpen bool) ledger.Event {
	b := map[string]any{"request_id": "r", "key_id": "k1", "status": status, "provider": "openai"}
	if payload != "" {
		b["payload_ref"] = payload
	}
	if failOpen {
		b["fail_open"] = true
	}
	return evT("inference.response", tenant, ago, svc, b, ref("api_key", "k1"))
}

func TestCheckZeroRetention(t *testing.T) {
	h := time.Hour
	runCheck(t, "zero_retention_no_bodies", []checkCase{
		{"zero retention keeps nothing", fixture{events: []ledger.Event{
			request("acme", h, "zero", ""), response("acme", h, 200, "", false),
			request("beta", h, "full", "p1"), response("beta", h, 200, "p2", false), // beta chose full retention
		}}, Pass, nil},
		{"body kept on a zero request", fixture{events: []ledger.Event{
			request("acme", h, "zero", "p1"), response("acme", h, 200, "", false),
		}}, Fail, []string{"acme"}},
		{"response body kept after a zero request", fixture{events: []ledger.Event{
			request("acme", h, "zero", ""), response("acme", h, 200, "p2", false),
		}}, Fail, []string{"acme"}},
		{"configured zero tenant served with retention", fixture{settings: Settings{ZeroRetentionTenants: []string{"beta"}}, events: []ledger.Event{
			request("beta", h, "full", "p1"),
		}}, Fail, []string{"beta"}},
		{"violation older than a day", fixture{events: []ledger.Event{
			request("acme", 3*Day, "zero", "p1"), request("acme", h, "zero", ""),
		}}, Pass, nil},
		{"no traffic", fixture{}, NoEvidence, nil},
	})
}

func TestCheckRetentionJobs(t *testing.T) {
	run := func(job string, ago time.Duration, status string) ledger.Event {
		return evT("retention.run", "system", ago, svc, map[string]any{"job": job, "status": status, "deleted": 3})
	}
	runCheck(t, "retention_jobs_ran", []checkCase{
		{"daily runs", fixture{events: []ledger.Event{run("payloads", 20*time.Hour, "ok"), run("logs", 2*time.Hour, "ok")}}, Pass, nil},
		{"newest run failed", fixture{events: []ledger.Event{run("payloads", 40*time.Hour, "ok"), run("payloads", 2*time.Hour, "failed")}}, Fail, []string{"payloads"}},
		{"not run for two days", fixture{events: []ledger.Event{run("payloads", 48*time.Hour, "ok")}}, Stale, []string{"payloads"}},
		{"never ran", fixture{}, NoEvidence, nil},
	})
}

func TestCheckDSRs(t *testing.T) {
	open := func(id string, ago int) ledger.Event {
		return ev("dsr.opened", days(ago), alice, map[string]any{"kind": "erasure"}, ref("dsr", id))
	}
	runCheck(t, "dsr_closed_on_time", []checkCase{
		{"none received", fixture{}, Pass, nil},
		{"closed", fixture{events: []ledger.Event{open("d1", 40), ev("dsr.closed", days(20), alice, nil, ref("dsr", "d1"))}}, Pass, nil},
		{"open within 30 days", fixture{events: []ledger.Event{open("d1", 10)}}, Pass, nil},
		{"open past due", fixture{events: []ledger.Event{open("d1", 31), open("d2", 5)}}, Fail, []string{"d1"}},
		{"explicit due date passed", fixture{events: []ledger.Event{ev("dsr.opened", days(5), alice, map[string]any{"due": now.Add(-Day).Format(time.RFC3339)}, ref("dsr", "d3"))}}, Fail, []string{"d3"}},
	})
}

func TestCheckGuards(t *testing.T) {
	keys := []access.Key{
		key("k1", "acme", access.RoleConsumer, ledger.ActorService, limited),
		key("k2", "beta", access.RoleConsumer, ledger.ActorService, limited),
	}
	// The body is the guard package's policy summary: an absent section
	// is a guard turned off.
	policy := func(tenant, in, out string, exc map[string]any) ledger.Event {
		b := map[string]any{"canary": true, "fail_open": false, "timeout_ms": 250, "policy_sha256": "00"}
		if in == "on" {
			b["pii"] = map[string]string{"EMAIL_ADDRESS": "redact"}
			b["injection"] = map[string]float64{"block": 0.9, "flag": 0.5}
		}
		if out == "on" {
			b["output"] = map[string]string{"on_canary": "block"}
		}
		if exc != nil {
			b["exception"] = exc
		}
		return evT("guard.policy_set", tenant, days(3), alice, b)
	}
	runCheck(t, "guards_enabled_or_excepted", []checkCase{
		{"both tenants guarded", fixture{keys: keys, events: []ledger.Event{policy("acme", "on", "on", nil), policy("beta", "on", "on", nil)}}, Pass, nil},
		{"off with a current exception", fixture{keys: keys, events: []ledger.Event{policy("acme", "on", "on", nil),
			policy("beta", "off", "off", map[string]any{"reason": "latency trial", "expires": now.Add(10 * Day).Format("2006-01-02")})}}, Pass, nil},
		{"off without exception", fixture{keys: keys, events: []ledger.Event{policy("acme", "on", "on", nil), policy("beta", "off", "on", nil)}}, Fail, []string{"beta"}},
		{"exception expired", fixture{keys: keys, events: []ledger.Event{policy("acme", "on", "on", nil),
			policy("beta", "off", "off", map[string]any{"reason": "trial", "expires": now.Add(-Day).Format(time.RFC3339)})}}, Stale, []string{"beta"}},
		{"tenant on the default policy", fixture{keys: keys, events: []ledger.Event{policy("acme", "on", "on", nil)}}, Pass, nil},
		{"output guard off", fixture{keys: keys, events: []ledger.Event{policy("acme", "on", "off", nil)}}, Fail, []string{"acme"}},
		{"no tenants", fixture{}, NoEvidence, nil},
	})
}
