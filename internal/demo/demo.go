// Package demo seeds a fresh attest with example evidence for every
// capability, so that `attest serve --demo` shows a populated console and
// API without any upstream model provider or real data. All demo data is
// synthetic and lives in its own tenant, "demo".
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
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
	Reviews *access.Reviews
	// Fresh is set when this start created the data directory. The demo
	// seeds only a new one: its synthetic evidence, attestations of
	// manual controls included, would count in an instance's real control
	// picture.
	Fresh bool
	// Steps contributed by other components (vendor review, the model
	// lifecycle, gateway traffic, attestations, control evaluation), in
	// the order they run.
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

// ErrNotFresh refuses to seed an instance that already holds evidence.
var ErrNotFresh = errors.New("this data directory already holds evidence, and demo evidence would count in its control picture; " +
	"run the demo on a new one (--data DIR, or a new database) or start without --demo")

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
	if !d.Fresh {
		return ErrNotFresh
	}
	s := &Seed{Deps: d, Admin: access.Principal{ID: "demo-seed", Kind: "system", Tenant: Tenant, Role: access.RoleAdmin, ActorKind: ledger.ActorService}}
	steps := append([]Step{
		{"keys", seedKeys},
		{"privacy", seedPrivacy},
		{"access", seedAccessReview},
	}, d.Extra...)
	// The summary is written in one piece once the steps have run (or one
	// has failed): the gateway logs the demo's requests as it serves them,
	// and on a terminal those lines would otherwise cut the summary apart.
	var sum bytes.Buffer
	defer func() { out.Write(sum.Bytes()) }()
	fmt.Fprintln(&sum, "demo: seeding synthetic evidence in tenant \"demo\"")
	for _, st := range steps {
		msg, err := st.Run(ctx, s)
		if err != nil {
			return fmt.Errorf("demo step %s: %w", st.Name, err)
		}
		// A message's further lines line up under its first, after the
		// indent and the padded step name.
		msg = strings.ReplaceAll(msg, "\n", "\n"+strings.Repeat(" ", 2+10+1))
		fmt.Fprintf(&sum, "  %-10s %s\n", st.Name, msg)
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
	// Every key that can call models gets limits (AI-SEC-03). The former
	// contractor's key is revoked by the access review.
	engineer := access.Limits{RPM: 60, TPM: 50000, DailyTokens: 1_000_000}
	for _, k := range []struct {
		name   string
		role   access.Role
		kind   ledger.ActorKind
		limits access.Limits
	}{
		{"ml-engineer", access.RoleEngineer, ledger.ActorHuman, engineer},
		{"release-approver", access.RoleApprover, ledger.ActorHuman, access.Limits{}},
		{"compliance-lead", access.RoleCompliance, ledger.ActorHuman, access.Limits{}},
		{"ci-agent", access.RoleEngineer, ledger.ActorAgent, engineer},
		{"external-auditor", access.RoleAuditor, ledger.ActorHuman, access.Limits{}},
		{formerContractor, access.RoleEngineer, ledger.ActorHuman, engineer},
	} {
		if _, _, err := s.Access.CreateKey(ctx, s.Admin, access.KeyRequest{Tenant: Tenant, Name: k.name, Role: k.role, ActorKind: k.kind, Limits: k.limits}); err != nil {
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
	// The gateway's demo end users agreed to AI processing at sign-up; one
	// other customer opted out of training.
	for _, c := range []string{"customer-7", "customer-8", "customer-9"} {
		if _, err := p.RecordConsent(ctx, Tenant, a, c, privacy.PurposeAI, true, "signup-form"); err != nil {
			return "", err
		}
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
	return "classified 3 objects, 3 consents and one opt-out, one completed erasure, one open access request, one retention run", nil
}
