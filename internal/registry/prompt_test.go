package registry_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
)

func gateMin(metric string, min float64) monitor.Gate {
	return monitor.Gate{Rules: []monitor.Rule{{Metric: metric, Min: &min}}}
}

func TestTemplateVariables(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"Hello {{name}}, about {{ topic }} and {{name}}", []string{"name", "topic"}, false},
		{"no placeholders", []string{}, false},
		{"open {{name", nil, true},
		{"close name}}", nil, true},
		{"{{two words}}", nil, true},
		{"{{}}", nil, true},
		{"}} {{a}}", nil, true},
	} {
		got, err := registry.TemplateVariables(tc.in)
		if tc.bad != (err != nil) {
			t.Errorf("%q: error %v", tc.in, err)
			continue
		}
		if !tc.bad && !slices.Equal(append([]string{}, got...), tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPromptChangeIsAChangeRequest(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	p, err := f.svc.CreatePrompt(f.ctx, tenant, alice, registry.PromptSpec{
		Name: "triage", Owner: "support-team", Template: "Classify: {{ticket}}", Variables: []string{"ticket"},
	})
	f.must(err)
	if p.Versions[0].Version != "1" || p.Risk != registry.RiskLimited {
		t.Fatalf("prompt: %+v", p)
	}
	_, err = f.svc.AddPromptVersion(f.ctx, tenant, alice, "triage", "Classify {{ticket}} in {{lang}}", []string{"ticket"})
	wantErr(t, err, registry.ErrInvalid, "differ from the template's placeholders")
	pv, err := f.svc.AddPromptVersion(f.ctx, tenant, alice, "triage", "Classify {{ticket}} in {{lang}}", nil)
	f.must(err)
	if pv.Version != "2" || !slices.Equal(pv.Variables, []string{"lang", "ticket"}) {
		t.Fatalf("version 2: %+v", pv)
	}

	_, err = f.svc.PromptFor(f.ctx, tenant, "triage", registry.AliasProduction)
	wantErr(t, err, registry.ErrNotFound, "")

	spec := change
	spec.Target = registry.Target{Kind: registry.KindPrompt, Name: "triage", Version: "2", Alias: registry.AliasProduction}
	c, err := f.svc.RequestChange(f.ctx, tenant, alice, spec)
	f.must(err)
	_, err = f.svc.Approve(f.ctx, tenant, alice, c.ID, "")
	wantErr(t, err, registry.ErrSelfApproval, "")
	_, err = f.svc.Approve(f.ctx, tenant, bob, c.ID, "")
	f.must(err)
	live, err := f.svc.PromptFor(f.ctx, tenant, "triage", registry.AliasProduction)
	f.must(err)
	if live.Version != "2" || live.Template != "Classify {{ticket}} in {{lang}}" {
		t.Fatalf("live prompt: %+v", live)
	}
	// The ledger holds the template's digest, never its text.
	es := f.events(registry.EventPromptVersioned, ledger.Ref{Kind: "prompt_version", ID: "triage@2"})
	if len(es) != 1 || strings.Contains(string(es[0].Event.Body), "Classify") {
		t.Fatalf("prompt.versioned: %s", es[0].Event.Body)
	}
	moves := f.events(registry.EventAliasMoved, ledger.Ref{Kind: "prompt", ID: "triage"})
	if len(moves) != 1 {
		t.Fatalf("want one alias move for the prompt, got %d", len(moves))
	}
}
