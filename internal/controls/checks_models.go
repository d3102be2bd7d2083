package controls

import (
	"fmt"

	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	register("model_versions_signed_and_approved", "Production model versions are signed and approved by someone other than the requester", checkSignedAndApproved)
	register("models_verified_at_deploy", "Production model versions were verified before deployment", checkVerifiedAtDeploy)
	register("eval_gate_passed", "Production model versions passed evaluation before deployment", checkEvalGate)
	register("lineage_recorded", "Production model versions name their datasets or lineage run", checkLineage)
	register("agent_changes_human_approved", "Changes proposed by agents are approved by a human; agents never approve", checkAgentChanges)
	register("emergency_changes_reviewed", "Emergency changes are reviewed by another human within seven days", checkEmergencyChanges)
	register("drift_alerts_not_overdue", "Production models have fresh drift reports and no overdue alert", checkDrift)
}

const noProduction = "no production deployment is recorded (deploy.alias_moved with environment or alias \"production\")"

// forProduction runs fn for each production model version, with the
// population set and the no-evidence case handled.
func forProduction(in *Input, r *Result, fn func(a *AliasFacts, v *VersionFacts)) bool {
	prod := in.productionVersions()
	r.Population = len(prod)
	if len(prod) == 0 {
		r.Status, r.Reason = NoEvidence, noProduction
		return false
	}
	for _, a := range prod {
		r.cite(a.Index)
		v := in.Facts.Versions[a.Version]
		if v == nil {
			v = &VersionFacts{}
		}
		fn(a, v)
	}
	return true
}

// independentApproval returns the evidence that a human other than the
// requester approved (or, for an emergency change, reviewed) a change to
// the version, or nil.
func independentApproval(f *Facts, v *VersionFacts) *Mark {
	for _, id := range v.Changes {
		c := f.Changes[id]
		if c == nil || c.Requested == nil {
			continue
		}
		for i := len(c.Approvals) - 1; i >= 0; i-- {
			a := c.Approvals[i]
			if a.Actor.Kind != ledger.ActorHuman || f.person(a.Actor) == f.person(c.Requester) {
				continue
			}
			if c.Rejected != nil && c.Rejected.Index > a.Index {
				continue
			}
			return &a.Mark
		}
		if c.Emergency != nil && c.Reviewed != nil && c.Reviewer.Kind == ledger.ActorHuman && f.person(c.Reviewer) != f.person(c.Requester) {
			return c.Reviewed
		}
	}
	return nil
}

func checkSignedAndApproved(in *Input) Result {
	var r Result
	if !forProduction(in, &r, func(a *AliasFacts, v *VersionFacts) {
		ev := []uint64{a.Index}
		switch {
		case v.Signed == nil:
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "no model.signed event: the artifact was never signed", Evidence: ev})
			return
		case v.Verified != nil && !v.Verified.OK:
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "the newest signature verification failed", Evidence: append(ev, v.Verified.Index)})
			return
		}
		r.cite(v.Signed.Index)
		ap := independentApproval(in.Facts, v)
		if ap == nil {
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "no change approval by a human other than the requester", Evidence: append(ev, v.Signed.Index)})
			return
		}
		r.cite(ap.Index)
	}) {
		return r
	}
	return r.finish("every production model version is signed and independently approved", "production model versions lack a signature or an independent approval")
}

func checkVerifiedAtDeploy(in *Input) Result {
	var r Result
	if !forProduction(in, &r, func(a *AliasFacts, v *VersionFacts) {
		if v.Verified == nil || !v.Verified.OK || v.Verified.Index > a.Index {
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "no successful model.verified before the production deployment", Evidence: []uint64{a.Index}})
			return
		}
		r.cite(v.Verified.Index)
	}) {
		return r
	}
	return r.finish("every production model version was verified before deployment", "production model versions were deployed unverified")
}

func checkEvalGate(in *Input) Result {
	var r Result
	if !forProduction(in, &r, func(a *AliasFacts, v *VersionFacts) {
		if v.Evals == nil || !v.Evals.OK || v.Evals.Index > a.Index {
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "no passing eval.completed before the production deployment", Evidence: []uint64{a.Index}})
			return
		}
		r.cite(v.Evals.Index)
	}) {
		return r
	}
	return r.finish("every production model version passed its evaluation gate", "production model versions skipped or failed their evaluation gate")
}

func checkLineage(in *Input) Result {
	var r Result
	if !forProduction(in, &r, func(a *AliasFacts, v *VersionFacts) {
		if v.Lineage == nil {
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "no lineage: the version's registration names no datasets or lineage run", Evidence: []uint64{a.Index}})
			return
		}
		r.cite(v.Lineage.Index)
	}) {
		return r
	}
	return r.finish("every production model version has recorded lineage", "production model versions lack lineage")
}

func checkAgentChanges(in *Input) Result {
	var r Result
	if len(in.Facts.Changes) == 0 {
		r.Status, r.Reason = NoEvidence, "no change events are recorded (change.requested, change.approved)"
		return r
	}
	for _, id := range sortedKeys(in.Facts.Changes) {
		c := in.Facts.Changes[id]
		for _, a := range c.Approvals {
			if a.Actor.Kind == ledger.ActorAgent {
				r.fail(Item{Kind: "change", ID: id, Reason: "approved by an agent (" + a.Actor.ID + "); only humans may approve", Evidence: []uint64{a.Index}})
			}
		}
		if c.Requester.Kind != ledger.ActorAgent || c.Requested == nil {
			continue
		}
		r.Population++
		r.cite(c.Requested.Index)
		if deployedAfter(in.Facts, c) == nil {
			continue // still pending: nothing reached production without review
		}
		if ap := independentApproval(in.Facts, &VersionFacts{Changes: []string{id}}); ap == nil {
			r.fail(Item{Kind: "change", ID: id, Reason: "proposed by agent " + c.Requester.ID + " and deployed without a human approval", Evidence: []uint64{c.Requested.Index}})
		}
	}
	return r.finish("every agent-proposed change that reached production was approved by a human", "agent-proposed changes reached production without human approval, or agents approved changes")
}

// deployedAfter returns the production deployment of one of the change's
// versions that followed the request, or nil.
func deployedAfter(f *Facts, c *ChangeFacts) *Mark {
	for _, v := range c.Versions {
		if vf := f.Versions[v]; vf != nil && vf.Deployed != nil && vf.Deployed.Index > c.Requested.Index {
			return vf.Deployed
		}
	}
	return nil
}

func checkEmergencyChanges(in *Input) Result {
	var r Result
	within := in.Settings.EmergencyReviewWithin
	for _, id := range sortedKeys(in.Facts.Changes) {
		c := in.Facts.Changes[id]
		if c.Emergency == nil {
			continue
		}
		r.Population++
		r.cite(c.Emergency.Index)
		ev := []uint64{c.Emergency.Index}
		switch {
		case c.Reviewed == nil:
			if in.Now.Sub(c.Emergency.Time) > within {
				r.fail(Item{Kind: "change", ID: id, Reason: fmt.Sprintf("emergency change not reviewed within %d days", int(within/Day)), Evidence: ev})
			}
		case c.Reviewer.Kind != ledger.ActorHuman || in.Facts.person(c.Reviewer) == in.Facts.person(c.Requester):
			r.fail(Item{Kind: "change", ID: id, Reason: "reviewed by the requester or by a non-human", Evidence: append(ev, c.Reviewed.Index)})
		case c.Reviewed.Time.Sub(c.Emergency.Time) > within:
			r.fail(Item{Kind: "change", ID: id, Reason: fmt.Sprintf("reviewed %d days after the emergency change", int(c.Reviewed.Time.Sub(c.Emergency.Time)/Day)), Evidence: append(ev, c.Reviewed.Index)})
		default:
			r.cite(c.Reviewed.Index)
		}
	}
	if r.Population == 0 {
		r.Status, r.Reason = Pass, "no emergency changes were made"
		return r
	}
	return r.finish("every emergency change was reviewed in time by another human", "emergency changes were not reviewed in time")
}

func checkDrift(in *Input) Result {
	var r Result
	if len(in.Facts.DriftReports) == 0 {
		r.Status, r.Reason = NoEvidence, "no drift.report events: drift monitoring has not run"
		return r
	}
	if !forProduction(in, &r, func(a *AliasFacts, v *VersionFacts) {
		m := in.Facts.DriftReports[a.Version]
		if m == nil {
			m = in.Facts.DriftReports["*"]
		}
		if m == nil {
			r.fail(Item{Kind: "model_version", ID: a.Version, Reason: "no drift report for this version", Evidence: []uint64{a.Index}})
			return
		}
		if in.Now.Sub(m.Time) > in.Settings.DriftReportMaxAge {
			r.expire(Item{Kind: "model_version", ID: a.Version, Reason: fmt.Sprintf("no drift report in the last %d days", int(in.Settings.DriftReportMaxAge/Day)), Evidence: []uint64{a.Index}})
			return
		}
		r.cite(m.Index)
	}) {
		return r
	}
	for _, id := range sortedKeys(in.Facts.DriftAlerts) {
		al := in.Facts.DriftAlerts[id]
		r.Population++
		r.cite(al.Opened.Index)
		if al.Closed == nil && in.Now.After(al.Due) {
			r.fail(Item{Kind: "drift_alert", ID: id, Reason: fmt.Sprintf("open and overdue since %s", al.Due.Format("2006-01-02")), Evidence: []uint64{al.Opened.Index}})
		}
	}
	return r.finish("drift reports are current and no drift alert is overdue", "drift reports are missing or drift alerts are overdue")
}
