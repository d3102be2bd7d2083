// Package demo seeds a fresh attest with example evidence for every
// capability, so that `attest serve --demo` shows a populated console and
// API without any upstream model provider or real data. All demo data is
// synthetic and lives in its own tenant, "demo".
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/vault"
)

// Tenant is the tenant all demo data belongs to.
const Tenant = "demo"

// Deps are the services the demo drives, through their public APIs only.
type Deps struct {
	Log     *ledger.Log
	Signer  *ledger.Signer
	Access  *access.Service
	Vault   *vault.Vault
	Privacy *privacy.Service
	Records records.Store
	// Steps contributed by other components (gateway traffic, model
	// signing and approval, vendor review, control evaluation).
	Extra []Step
}

// Step seeds one capability and describes what it did.
type Step struct {
	Name string
	Run  func(ctx context.Context, s *Seed) (string, error)
}

// Seed carries state between steps.
type Seed struct {
	Deps
	Admin access.Principal
	// ConsumerToken is a demo consumer key for the gateway quick start.
	ConsumerToken string
}

type marker struct {
	Seeded time.Time `json:"seeded"`
}

// Run seeds the demo once; later starts find the marker and do nothing.
func Run(ctx context.Context, d Deps, out io.Writer) error {
	seen := records.NewTable[marker](d.Records, "demo.marker")
	if _, err := seen.Get(ctx, Tenant, "seeded"); err == nil {
		fmt.Fprintln(out, "demo: already seeded (tenant \"demo\")")
		return nil
	} else if !errors.Is(err, records.ErrNotFound) {
		return err
	}
	s := &Seed{Deps: d, Admin: access.Principal{ID: "demo-seed", Kind: "system", Tenant: Tenant, Role: access.RoleAdmin, ActorKind: ledger.ActorService}}
	steps := append([]Step{
		{"keys", seedKeys},
		{"privacy", seedPrivacy},
	}, d.Extra...)
	fmt.Fprintln(out, "demo: seeding synthetic evidence in tenant \"demo\"")
	for _, st := range steps {
		msg, err := st.Run(ctx, s)
		if err != nil {
			return fmt.Errorf("demo step %s: %w", st.Name, err)
		}
		fmt.Fprintf(out, "  %-10s %s\n", st.Name, msg)
	}
	if _, err := d.Signer.Publish(ctx); err != nil {
		return err
	}
	return seen.Create(ctx, Tenant, "seeded", marker{Seeded: time.Now().UTC()})
}

func seedKeys(ctx context.Context, s *Seed) (string, error) {
	tok, _, err := s.Access.CreateKey(ctx, s.Admin, access.KeyRequest{Tenant: Tenant, Name: "demo-app", Role: access.RoleConsumer, Limits: access.Limits{RPM: 600, TPM: 200000, DailyTokens: 5_000_000}})
	if err != nil {
		return "", err
	}
	s.ConsumerToken = tok
	for _, k := range []struct {
		name string
		role access.Role
		kind ledger.ActorKind
	}{{"ml-engineer", access.RoleEngineer, ledger.ActorHuman}, {"release-approver", access.RoleApprover, ledger.ActorHuman}, {"ci-agent", access.RoleEngineer, ledger.ActorAgent}, {"external-auditor", access.RoleAuditor, ledger.ActorHuman}} {
		if _, _, err := s.Access.CreateKey(ctx, s.Admin, access.KeyRequest{Tenant: Tenant, Name: k.name, Role: k.role, ActorKind: k.kind}); err != nil {
			return "", err
		}
	}
	return "consumer key for the gateway quick start: " + tok, nil
}

func seedPrivacy(ctx context.Context, s *Seed) (string, error) {
	a := s.Admin.Actor()
	p := s.Privacy
	for _, l := range []struct {
		kind, id string
		c        privacy.Class
	}{{"dataset", "support-tickets", privacy.Restricted}, {"prompt", "triage-v2", privacy.Internal}, {"tenant", Tenant, privacy.Confidential}} {
		if _, err := p.Classify(ctx, Tenant, a, l.kind, l.id, l.c); err != nil {
			return "", err
		}
	}
	if _, err := p.SetPolicy(ctx, a, privacy.Policy{Tenant: Tenant, Class: privacy.Restricted, MaxAge: 30 * 24 * time.Hour}); err != nil {
		return "", err
	}
	if err := p.SetRegions(ctx, a, privacy.TenantRegions{Tenant: Tenant, Allowed: []string{"local", "eu-west", "us-east"}}); err != nil {
		return "", err
	}
	if _, err := p.RecordConsent(ctx, Tenant, a, "customer-17", privacy.PurposeTraining, false, "privacy-settings"); err != nil {
		return "", err
	}
	// A subject with retained data that asks to be forgotten.
	sub := p.Pseudonym(Tenant, "customer-42@example.com")
	for _, txt := range []string{"synthetic retained prompt", "synthetic retained answer"} {
		if _, err := s.Vault.Seal(ctx, Tenant, sub, []byte(txt), vault.SealOptions{Kind: "prompt", Class: string(privacy.Confidential)}); err != nil {
			return "", err
		}
	}
	req, err := p.Open(ctx, Tenant, a, "customer-42@example.com", "erasure", 0)
	if err != nil {
		return "", err
	}
	if _, err := p.Erase(ctx, Tenant, a, "customer-42@example.com", req.ID); err != nil {
		return "", err
	}
	if _, err := p.Open(ctx, Tenant, a, "customer-7@example.com", "access", 0); err != nil {
		return "", err
	}
	if _, err := p.RunRetention(ctx, a, "manual"); err != nil {
		return "", err
	}
	return "classified 3 objects, one opt-out, one completed erasure, one open access request, one retention run", nil
}
