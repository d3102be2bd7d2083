package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
)

// demoUnattested is the manual control the demo leaves without evidence,
// to show what a missing attestation looks like.
const demoUnattested = "ORG-11"

// demoNotes are the controls the demo leaves not passing, each with what
// it shows in a few words: AI-SEC-05 is not applicable, the others fail.
// Any other result is reported with the engine's own reason.
var demoNotes = map[string]string{
	"AI-SEC-05":    "the only provider is the built-in demo model, which has no credential to rotate",
	"AI-LED-01":    "checkpoints are signed but not witnessed; see ledger.witnesses and attest witness",
	demoUnattested: "this quarter's backup restore test is not uploaded yet",
}

// seedAttestations attests the built-in manual controls with small
// synthetic evidence files, as a compliance lead would upload them, except
// demoUnattested. Controls an organization added are left alone: demo
// evidence must never stand in for its own.
func (a *App) seedAttestations(ctx context.Context, s *demo.Seed) (string, error) {
	by := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:compliance-lead"}
	n := 0
	for _, k := range a.Controls.Catalog().Controls {
		if k.Automated() || k.Source != "builtin" || k.ID == demoUnattested {
			continue
		}
		doc := fmt.Sprintf("Synthetic evidence for %s, %s.\nOwner: %s.\nAsked for: %s\nWritten by 'attest serve --demo'; it records nothing real.\n",
			k.ID, k.Title, k.Owner, k.Attestation.Instructions)
		if _, err := a.Controls.Attest(ctx, by, controls.AttestRequest{
			Control: k.ID, EvidenceName: strings.ToLower(k.ID) + "-demo.txt", ContentType: "text/plain; charset=utf-8", Evidence: []byte(doc),
		}); err != nil {
			return "", err
		}
		n++
	}
	return fmt.Sprintf("attested %d manual controls with synthetic evidence files; %s is left without one", n, demoUnattested), nil
}

// seedEvaluation evaluates every control and lists those not passing, so
// the first screen of the demo says what an exception and a not
// applicable control look like.
func (a *App) seedEvaluation(ctx context.Context, s *demo.Seed) (string, error) {
	// Sign a checkpoint first, as the running server does on schedule, so
	// the ledger control judges witnessing rather than a missing checkpoint.
	if _, err := s.Signer.Publish(ctx); err != nil {
		return "", err
	}
	run, err := a.Controls.Evaluate(ctx)
	if err != nil {
		return "", err
	}
	pass, na := 0, 0
	var lines []string
	for _, c := range run.Controls {
		switch {
		case c.Status == controls.Pass:
			pass++
			continue
		case c.Status == controls.NotApplicable:
			na++
		}
		why, ok := demoNotes[c.Control]
		if !ok {
			why = c.Reason
		}
		lines = append(lines, fmt.Sprintf("%-11s%-16s%s", c.Control, c.Status, why))
	}
	head := fmt.Sprintf("evaluated %d controls: %d passing, %d not passing, %d not applicable (each result is a control.evaluated event)",
		len(run.Controls), pass, len(lines)-na, na)
	return strings.Join(append([]string{head}, lines...), "\n"), nil
}
