package controls

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var providers = []Component{{Kind: KindProvider, Name: "openai"}, {Kind: KindProvider, Name: "anthropic"}}

func rotated(p string, ago int) ledger.Event {
	return evT("gateway.credential_rotated", "system", days(ago), svc, map[string]any{"provider": p, "generation": 2}, ref("provider", p))
}

func TestCheckCredentialsRotated(t *testing.T) {
	runCheck(t, "provider_credentials_rotated", []checkCase{
		{"both rotated", fixture{components: providers, events: []ledger.Event{rotated("openai", 10), rotated("anthropic", 80)}}, Pass, nil},
		{"one never rotated", fixture{components: providers, events: []ledger.Event{rotated("openai", 10)}}, Fail, []string{"anthropic"}},
		{"one overdue", fixture{components: providers, events: []ledger.Event{rotated("openai", 10), rotated("anthropic", 100)}}, Stale, []string{"anthropic"}},
		{"provider seen in traffic only", fixture{events: []ledger.Event{response("acme", time.Hour, 200, "", false)}}, Fail, []string{"openai"}},
		{"no providers", fixture{}, NoEvidence, nil},
		// A provider configured without a credential has none to rotate.
		{"secretless provider skipped", fixture{components: append([]Component{{Kind: KindProvider, Name: "demo", Secretless: true}}, providers...),
			events: []ledger.Event{rotated("openai", 10), rotated("anthropic", 80)}}, Pass, nil},
		// With every provider secretless there is nothing to rotate; the
		// reason names them, so it is never a silent pass.
		{"only secretless providers", fixture{components: []Component{{Kind: KindProvider, Name: "demo", Secretless: true}, {Kind: KindProvider, Name: "local", Secretless: true}}}, NotApplicable, nil},
		{"secretless and one credentialed never rotated", fixture{components: []Component{{Kind: KindProvider, Name: "demo", Secretless: true}, providers[0]}}, Fail, []string{"openai"}},
		// A provider known only from traffic is assumed to hold a credential.
		{"secretless configured, another seen in traffic", fixture{components: []Component{{Kind: KindProvider, Name: "demo", Secretless: true}},
			events: []ledger.Event{response("acme", time.Hour, 200, "", false)}}, Fail, []string{"openai"}},
	})
}

// TestCredentialsNotApplicableSaysWhy checks that not applicable names the
// secretless providers, so a reader can check the claim against the
// configuration.
func TestCredentialsNotApplicableSaysWhy(t *testing.T) {
	fx := fixture{components: []Component{{Kind: KindProvider, Name: "demo", Secretless: true}, {Kind: KindProvider, Name: "ollama", Secretless: true}}}
	r, _ := Run("provider_credentials_rotated", fx.input(t))
	want := "no provider in scope holds a credential: every provider is secretless (demo, ollama)"
	if r.Status != NotApplicable || r.Reason != want || r.Population != 0 {
		t.Fatalf("%s %q (population %d), want %s %q", r.Status, r.Reason, r.Population, NotApplicable, want)
	}
}

func TestCheckProvidersReviewed(t *testing.T) {
	registered := ev("vendor.registered", days(200), alice, map[string]any{"name": "OpenAI", "providers": []string{"openai"}}, ref("vendor", "openai-inc"))
	reviewed := func(ago int, expires string) ledger.Event {
		b := map[string]any{"opinion": "unqualified"}
		if expires != "" {
			b["expires"] = expires
		}
		return ev("vendor.reviewed", days(ago), alice, b, ref("vendor", "openai-inc"))
	}
	covered := func(ago int, until string) ledger.Event {
		return ev("vendor.reviewed", days(ago), alice, map[string]any{"as_of": now.Add(-days(ago)).Format("2006-01-02"), "verdict": "fast_track", "covered_until": until}, ref("vendor", "openai-inc"))
	}
	anthropic := ev("vendor.reviewed", days(30), alice, map[string]any{"providers": []string{"anthropic"}}, ref("vendor", "anthropic-pbc"))
	runCheck(t, "providers_vendor_reviewed", []checkCase{
		{"both reviewed", fixture{components: providers, events: []ledger.Event{registered, reviewed(100, ""), anthropic}}, Pass, nil},
		{"review by provider subject", fixture{components: providers[:1], events: []ledger.Event{ev("vendor.reviewed", days(3), alice, nil, ref("provider", "openai"))}}, Pass, nil},
		{"one unreviewed", fixture{components: providers, events: []ledger.Event{registered, reviewed(100, "")}}, Fail, []string{"anthropic"}},
		{"review older than a year", fixture{components: providers, events: []ledger.Event{registered, reviewed(400, ""), anthropic}}, Stale, []string{"openai"}},
		{"explicit expiry passed", fixture{components: providers, events: []ledger.Event{registered, reviewed(100, now.Add(-Day).Format("2006-01-02")), anthropic}}, Stale, []string{"openai"}},
		// A review that records its report's coverage counts until then,
		// and one that found no report counts for nothing, however recent.
		{"report coverage current", fixture{components: providers, events: []ledger.Event{registered, covered(100, now.Add(30*Day).Format("2006-01-02")), anthropic}}, Pass, nil},
		{"report coverage ended", fixture{components: providers, events: []ledger.Event{registered, covered(100, now.Add(-Day).Format("2006-01-02")), anthropic}}, Stale, []string{"openai"}},
		{"no report in the packet", fixture{components: providers, events: []ledger.Event{registered, covered(1, ""), anthropic}}, Fail, []string{"openai"}},
		{"no providers", fixture{}, NoEvidence, nil},
	})
}

func TestCheckErrorRate(t *testing.T) {
	traffic := func(ok, failed int) []ledger.Event {
		var out []ledger.Event
		for i := 0; i < ok; i++ {
			out = append(out, response("acme", time.Hour, 200, "", false))
		}
		for i := 0; i < failed; i++ {
			out = append(out, response("acme", time.Hour, 502, "", false))
		}
		return out
	}
	runCheck(t, "inference_error_rate", []checkCase{
		{"1 in 50 failed", fixture{events: traffic(49, 1)}, Pass, nil},
		{"1 in 10 failed", fixture{events: traffic(9, 1)}, Fail, []string{"acme"}},
		{"no traffic", fixture{}, NoEvidence, nil},
	})
}

func TestCheckFailOpen(t *testing.T) {
	runCheck(t, "no_fail_open_requests", []checkCase{
		{"all recorded", fixture{events: []ledger.Event{response("acme", time.Hour, 200, "", false)}}, Pass, nil},
		{"fail-open response", fixture{events: []ledger.Event{response("acme", time.Hour, 200, "", false), response("beta", time.Hour, 200, "", true)}}, Fail, []string{"beta"}},
		{"quiet day after traffic", fixture{events: []ledger.Event{response("acme", 3*Day, 200, "", false)}}, Pass, nil},
		{"no traffic", fixture{}, NoEvidence, nil},
	})
}

func TestCheckCheckpointFresh(t *testing.T) {
	cp := func(size uint64, ago time.Duration) *ledger.Checkpoint {
		return &ledger.Checkpoint{Size: size, Time: now.Add(-ago)}
	}
	runCheck(t, "ledger_checkpoint_fresh", []checkCase{
		{"recent", fixture{checkpoint: cp(100, 10*time.Minute), head: 120}, Pass, nil},
		{"old but nothing new", fixture{checkpoint: cp(100, 5*time.Hour), head: 100}, Pass, nil},
		{"old with entries waiting", fixture{checkpoint: cp(100, 5*time.Hour), head: 150}, Stale, []string{"100"}},
		{"never published", fixture{head: 10}, NoEvidence, nil},
	})
}

func TestCheckWitnessed(t *testing.T) {
	logS, logV := newNoteKey(t, "example.com/log")
	witS, witV := newCosigner(t, "witness.example")
	wit2S, wit2V := newCosigner(t, "witness2.example")
	_, otherV := newCosigner(t, "other.example")
	text := ledger.FormatCheckpoint("example.com/log", 10, tlog.Hash{})
	sign := func(signers ...note.Signer) []byte {
		b, err := note.Sign(&note.Note{Text: text}, append([]note.Signer{logS}, signers...)...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signed, cosigned, both := sign(), sign(witS), sign(witS, wit2S)
	// A line with the witness's key ID but a signature that is not its.
	i := bytes.LastIndexByte(cosigned, ' ') + 1
	raw, _ := base64.StdEncoding.DecodeString(string(cosigned[i : len(cosigned)-1]))
	raw[len(raw)-1] ^= 1
	forged := append(bytes.Clone(cosigned[:i]), base64.StdEncoding.EncodeToString(raw)+"\n"...)
	cp := func(n []byte) *ledger.Checkpoint { return &ledger.Checkpoint{Size: 10, Note: n, Time: now} }
	one := Settings{Witnesses: []string{witV}}
	two := Settings{Witnesses: []string{witV, wit2V}, WitnessQuorum: 2}
	runCheck(t, "ledger_witnessed", []checkCase{
		{"cosigned", fixture{logKey: logV, checkpoint: cp(cosigned), settings: one}, Pass, nil},
		{"log signature only", fixture{logKey: logV, checkpoint: cp(signed), settings: one}, Fail, []string{"10"}},
		{"cosigned by an unknown witness", fixture{logKey: logV, checkpoint: cp(cosigned), settings: Settings{Witnesses: []string{otherV}}}, Fail, []string{"10"}},
		{"forged cosignature", fixture{logKey: logV, checkpoint: cp(forged), settings: one}, Fail, []string{"10"}},
		{"quorum of two met", fixture{logKey: logV, checkpoint: cp(both), settings: two}, Pass, nil},
		{"quorum of two missed", fixture{logKey: logV, checkpoint: cp(cosigned), settings: two}, Fail, []string{"10"}},
		{"no witness configured", fixture{logKey: logV, checkpoint: cp(cosigned)}, NoEvidence, nil},
		{"bad witness key", fixture{logKey: logV, checkpoint: cp(cosigned), settings: Settings{Witnesses: []string{"nonsense"}}}, Fail, nil},
	})
	r := checkWitnessed(&Input{Settings: Settings{}})
	if !strings.Contains(r.Reason, "ledger.witnesses") || !strings.Contains(r.Reason, "docs/CONFIG.md") {
		t.Errorf("the no-witness reason must name the setting: %q", r.Reason)
	}
}

// newCosigner is a witness's cosignature/v1 key.
func newCosigner(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func newNoteKey(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}
