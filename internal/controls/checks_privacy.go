package controls

import (
	"fmt"
	"slices"
	"time"
)

func init() {
	register("zero_retention_no_bodies", "No bodies are retained for zero-retention tenants", checkZeroRetention)
	register("retention_jobs_ran", "Every retention job ran successfully within 36 hours", checkRetentionJobs)
	register("dsr_closed_on_time", "No data subject request is open past its due date", checkDSRs)
	register("guards_enabled_or_excepted", "Guards are on for every tenant, or an unexpired exception is recorded", checkGuards)
}

func checkZeroRetention(in *Input) Result {
	var r Result
	from := in.Now.Add(-Continuous.Window())
	any := false
	for _, t := range sortedKeys(in.Facts.Tenants) {
		tt := in.Facts.Tenants[t]
		if len(tt.Hours) > 0 {
			any = true
		}
		sum := tt.traffic(from, in.Now)
		r.Population += sum.Requests + sum.Responses
		bad, idx := sum.Retained, sum.RetainedIdx
		if slices.Contains(in.Settings.ZeroRetentionTenants, t) {
			bad, idx = sum.Bodies, sum.BodiesIdx
		}
		if bad > 0 {
			r.cite(idx...)
			r.fail(Item{Kind: "tenant", ID: t, Reason: fmt.Sprintf("%d inference entries kept a body while the tenant was on zero retention", bad), Evidence: idx})
		}
	}
	if !any {
		r.Status, r.Reason = NoEvidence, fmt.Sprintf("no inference traffic is recorded in the last %d days", trafficDays)
		return r
	}
	return r.finish("no body was kept for zero-retention traffic in the last 24 hours", "bodies were kept for zero-retention tenants")
}

func checkRetentionJobs(in *Input) Result {
	var r Result
	jobs := sortedKeys(in.Facts.RetentionJobs)
	r.Population = len(jobs)
	if len(jobs) == 0 {
		r.Status, r.Reason = NoEvidence, "no retention.run events: retention has never run"
		return r
	}
	for _, j := range jobs {
		m := in.Facts.RetentionJobs[j]
		r.cite(m.Index)
		ev := []uint64{m.Index}
		switch {
		case !m.OK:
			r.fail(Item{Kind: "retention_job", ID: j, Reason: fmt.Sprintf("the newest run ended with status %q", m.Note), Evidence: ev})
		case in.Now.Sub(m.Time) > in.Settings.RetentionMaxAge:
			r.expire(Item{Kind: "retention_job", ID: j, Reason: fmt.Sprintf("last ran %s ago", in.Now.Sub(m.Time).Round(time.Minute)), Evidence: ev})
		}
	}
	return r.finish("every retention job ran successfully on schedule", "retention jobs failed or did not run on schedule")
}

func checkDSRs(in *Input) Result {
	var r Result
	for _, id := range sortedKeys(in.Facts.DSRs) {
		d := in.Facts.DSRs[id]
		r.Population++
		r.cite(d.Opened.Index)
		if d.Closed == nil && in.Now.After(d.Due) {
			r.fail(Item{Kind: "dsr", ID: id, Reason: fmt.Sprintf("open past its due date %s", d.Due.Format("2006-01-02")), Evidence: []uint64{d.Opened.Index}})
		}
	}
	if r.Population == 0 {
		r.Status, r.Reason = Pass, "no data subject requests were received"
		return r
	}
	return r.finish("no data subject request is overdue", "data subject requests are overdue")
}

func checkGuards(in *Input) Result {
	var r Result
	tenants := in.tenants()
	r.Population = len(tenants)
	if len(tenants) == 0 {
		r.Status, r.Reason = NoEvidence, "no tenant holds a key or sent traffic"
		return r
	}
	defaults := 0
	for _, t := range tenants {
		g := in.Facts.Guards[t]
		if g == nil {
			defaults++ // a tenant that set no policy runs every guard, failing closed
			continue
		}
		r.cite(g.Index)
		if g.Input == "on" && g.Output == "on" {
			continue
		}
		ev := []uint64{g.Index}
		switch {
		case g.ExceptionReason == "":
			r.fail(Item{Kind: "tenant", ID: t, Reason: fmt.Sprintf("guards are off (input %q, output %q) with no exception recorded", g.Input, g.Output), Evidence: ev})
		case g.ExceptionUntil.IsZero():
			r.fail(Item{Kind: "tenant", ID: t, Reason: "the guard exception has no expiry date", Evidence: ev})
		case !g.ExceptionUntil.After(in.Now):
			r.expire(Item{Kind: "tenant", ID: t, Reason: "the guard exception expired on " + g.ExceptionUntil.Format("2006-01-02"), Evidence: ev})
		}
	}
	return r.finish(fmt.Sprintf("guards are on for every tenant or covered by a current exception (%d tenants on the default policy, which turns every guard on)", defaults),
		"tenants run without guards and without a current exception")
}
