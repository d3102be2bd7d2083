package controls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/attest-ai/attest/internal/witness"
)

func init() {
	register("provider_credentials_rotated", "Every provider credential was rotated within 90 days", checkCredentialsRotated)
	register("providers_vendor_reviewed", "Every gateway provider has a current vendor review", checkProvidersReviewed)
	register("inference_error_rate", "Failed inference requests stay under the daily limit", checkErrorRate)
	register("no_fail_open_requests", "No inference was served fail-open without evidence", checkFailOpen)
	register("ledger_checkpoint_fresh", "A signed checkpoint covers the ledger within the hour", checkCheckpointFresh)
	register("ledger_witnessed", "The newest checkpoint carries a quorum of witness cosignatures", checkWitnessed)
}

// providers are the gateway providers in scope: configured ones and any
// that served traffic in the last trafficDays days.
func (in *Input) providers() []string {
	var out []string
	for _, c := range in.Components {
		if c.Kind == KindProvider && !slices.Contains(out, c.Name) {
			out = append(out, c.Name)
		}
	}
	horizon := in.Now.Add(-trafficDays * Day)
	for name, p := range in.Facts.Providers {
		if p.LastSeen != nil && p.LastSeen.Time.After(horizon) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// secretless reports whether the configured component of that kind and
// name has no credential. A provider known only from traffic is assumed
// to have one.
func (in *Input) secretless(kind, name string) bool {
	for _, c := range in.Components {
		if c.Kind == kind && c.Name == name {
			return c.Secretless
		}
	}
	return false
}

func checkCredentialsRotated(in *Input) Result {
	var r Result
	all := in.providers()
	if len(all) == 0 {
		r.Status, r.Reason = NoEvidence, "no gateway provider is configured or served traffic"
		return r
	}
	var provs, secretless []string
	for _, p := range all {
		if in.secretless(KindProvider, p) {
			secretless = append(secretless, p)
			continue
		}
		provs = append(provs, p)
	}
	r.Population = len(provs)
	if len(provs) == 0 {
		// The configuration has no field for a key itself, so a provider
		// configured without a credential source holds none to rotate.
		r.Status = NotApplicable
		r.Reason = "no provider in scope holds a credential: every provider is secretless (" + strings.Join(secretless, ", ") + ")"
		return r
	}
	for _, p := range provs {
		pf := in.Facts.Providers[p]
		if pf == nil || pf.Rotated == nil {
			r.fail(Item{Kind: "provider", ID: p, Reason: "no gateway.credential_rotated event for this provider"})
			continue
		}
		r.cite(pf.Rotated.Index)
		if age := in.Now.Sub(pf.Rotated.Time); age > in.Settings.RotationMaxAge {
			r.expire(Item{Kind: "provider", ID: p, Reason: fmt.Sprintf("credential last rotated %d days ago", int(age/Day)), Evidence: []uint64{pf.Rotated.Index}})
		}
	}
	return r.finish("every provider credential was rotated on time", "provider credentials are overdue for rotation")
}

func checkProvidersReviewed(in *Input) Result {
	var r Result
	provs := in.providers()
	r.Population = len(provs)
	if len(provs) == 0 {
		r.Status, r.Reason = NoEvidence, "no gateway provider is configured or served traffic"
		return r
	}
	for _, p := range provs {
		pf := in.Facts.Providers[p]
		if pf == nil || pf.Review == nil {
			r.fail(Item{Kind: "provider", ID: p, Reason: "no vendor.reviewed event covers this provider"})
			continue
		}
		r.cite(pf.Review.Index)
		if pf.ReviewExpires.IsZero() {
			r.fail(Item{Kind: "provider", ID: p, Reason: "the latest vendor review found no SOC 2 or SOC 3 report to cover this provider", Evidence: []uint64{pf.Review.Index}})
			continue
		}
		if !pf.ReviewExpires.After(in.Now) {
			r.expire(Item{Kind: "provider", ID: p, Reason: "the vendor review expired on " + pf.ReviewExpires.Format("2006-01-02"), Evidence: []uint64{pf.Review.Index}})
		}
	}
	return r.finish("every provider has a current vendor review", "providers lack a current vendor review")
}

func checkErrorRate(in *Input) Result {
	var r Result
	from := in.Now.Add(-Day)
	var total, errs int
	for _, t := range sortedKeys(in.Facts.Tenants) {
		sum := in.Facts.Tenants[t].traffic(from, in.Now)
		total += sum.Responses
		errs += sum.Errors
		if sum.Responses > 0 && float64(sum.Errors) > in.Settings.ErrorRateMax*float64(sum.Responses) {
			r.fail(Item{Kind: "tenant", ID: t, Reason: fmt.Sprintf("%d of %d requests failed in the last 24 hours", sum.Errors, sum.Responses)})
		}
	}
	r.Population = total
	if total == 0 {
		r.Status, r.Reason = NoEvidence, "no inference responses in the last 24 hours"
		return r
	}
	rate := float64(errs) / float64(total)
	if rate > in.Settings.ErrorRateMax {
		r.Status = Fail
		r.Reason = fmt.Sprintf("%.1f%% of %d requests failed in the last 24 hours; the limit is %.1f%%", 100*rate, total, 100*in.Settings.ErrorRateMax)
		return r
	}
	// One tenant's bad day does not fail availability overall.
	r.Failing, r.FailingCount = nil, 0
	return r.finish(fmt.Sprintf("%.2f%% of %d requests failed in the last 24 hours", 100*rate, total), "")
}

func checkFailOpen(in *Input) Result {
	var r Result
	from := in.Now.Add(-Day)
	any := false
	for _, t := range sortedKeys(in.Facts.Tenants) {
		tt := in.Facts.Tenants[t]
		if len(tt.Hours) > 0 {
			any = true
		}
		sum := tt.traffic(from, in.Now)
		r.Population += sum.Responses
		if sum.FailOpen > 0 {
			r.cite(sum.FailOpenIdx...)
			r.fail(Item{Kind: "tenant", ID: t, Reason: fmt.Sprintf("%d responses were served fail-open while the ledger was unavailable", sum.FailOpen), Evidence: sum.FailOpenIdx})
		}
	}
	if !any {
		r.Status, r.Reason = NoEvidence, fmt.Sprintf("no inference traffic is recorded in the last %d days", trafficDays)
		return r
	}
	return r.finish("every response in the last 24 hours was recorded before it was served", "responses were served fail-open")
}

func checkCheckpointFresh(in *Input) Result {
	var r Result
	cp := in.Checkpoint
	if cp == nil {
		r.Status, r.Reason = NoEvidence, "no signed checkpoint has been published; run 'attest ledger checkpoint'"
		return r
	}
	r.Population = 1
	age := in.Now.Sub(cp.Time)
	if in.Head > cp.Size && age > in.Settings.CheckpointMaxAge {
		r.expire(Item{Kind: "checkpoint", ID: fmt.Sprint(cp.Size), Reason: fmt.Sprintf("%d entries have waited %s for a checkpoint", in.Head-cp.Size, age.Round(1e9))})
		return r.finish("", "the newest checkpoint is older than allowed while entries wait")
	}
	return r.finish(fmt.Sprintf("checkpoint of size %d covers the ledger", cp.Size), "")
}

func checkWitnessed(in *Input) Result {
	var r Result
	cp := in.Checkpoint
	switch {
	case len(in.Settings.Witnesses) == 0:
		r.Status, r.Reason = NoEvidence, "no witness is configured; add witnesses under ledger.witnesses in the config file (docs/CONFIG.md)"
		return r
	case cp == nil:
		r.Status, r.Reason = NoEvidence, "no signed checkpoint has been published"
		return r
	}
	r.Population = 1
	ws, err := witness.ParseKeys(in.Settings.Witnesses)
	if err != nil {
		r.Status, r.Reason = Fail, err.Error()+"; fix ledger.witnesses in the config file"
		return r
	}
	quorum := in.Settings.WitnessQuorum
	n, err := witness.Count(cp.Note, in.LogKey, ws)
	switch {
	case err != nil:
		r.fail(Item{Kind: "checkpoint", ID: fmt.Sprint(cp.Size), Reason: "the newest checkpoint does not verify: " + err.Error()})
	case n < quorum:
		r.fail(Item{Kind: "checkpoint", ID: fmt.Sprint(cp.Size), Reason: fmt.Sprintf("the newest checkpoint carries %d of the %d witness cosignatures required", n, quorum)})
	}
	return r.finish(fmt.Sprintf("the newest checkpoint carries %d witness cosignatures (quorum %d)", n, quorum), "the newest checkpoint is not witnessed")
}
