package controls

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Evaluation is one recorded control.evaluated event.
type Evaluation struct {
	Index  uint64    `json:"index"`
	Time   time.Time `json:"time"`
	Status Status    `json:"status"`
	Reason string    `json:"reason"`
}

// Exception kinds.
const (
	ExceptionFailing      = "failing"
	ExceptionNotEvaluated = "not_evaluated"
)

// Exception is a stretch of the observation period in which a control did
// not operate as designed: it failed, or nothing evaluated it.
type Exception struct {
	Kind   string    `json:"kind"`
	Status Status    `json:"status"`
	Start  time.Time `json:"start"`
	// End is when the control passed again (or became not applicable);
	// zero while the exception is open.
	End      time.Time     `json:"end,omitzero"`
	Open     bool          `json:"open"`
	Duration time.Duration `json:"duration_ns"`
	Reason   string        `json:"reason"`
	// Evidence are the indexes of the evaluations that opened and closed
	// the exception.
	Evidence    []uint64     `json:"evidence,omitempty"`
	Remediation *Remediation `json:"remediation,omitempty"`
}

// Remediation is how an exception was closed.
type Remediation struct {
	// Index is the evaluation that closed the exception, and Status its
	// outcome: pass, or not_applicable when the population went away.
	Index  uint64    `json:"index"`
	Time   time.Time `json:"time"`
	Status Status    `json:"status,omitempty"`
	// Attestations are remediation records uploaded during the exception.
	Attestations []uint64 `json:"attestations,omitempty"`
}

// ControlHistory is a control's operating history over a period.
type ControlHistory struct {
	Control     string      `json:"control"`
	Title       string      `json:"title"`
	Owner       string      `json:"owner"`
	Frequency   Frequency   `json:"frequency"`
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Evaluations int         `json:"evaluations"`
	Passing     int         `json:"passing"`
	First       time.Time   `json:"first_evaluation,omitzero"`
	Last        *Evaluation `json:"last_evaluation,omitempty"`
	Operated    bool        `json:"operated_throughout"`
	Exceptions  []Exception `json:"exceptions"`

	// NotApplicable counts evaluations that found nothing the control
	// applies to; they are neither passing nor exceptions.
	NotApplicable int `json:"not_applicable,omitempty"`
	// Records are the ledger indexes of the control's evaluations and
	// attestations in the period: the population auditors sample.
	Records []uint64 `json:"-"`
}

// evaluatedEntry is the part of a control.evaluated or control.attested
// entry history reads.
type evaluatedEntry struct {
	Time time.Time `json:"time"`
	Body struct {
		Control string `json:"control"`
		Status  Status `json:"status"`
		Reason  string `json:"reason"`
		Kind    string `json:"kind"`
	} `json:"body"`
}

// History reads every control.evaluated event in [from, to) and reports,
// per catalog control, whether it operated throughout, with each exception
// and its remediation. now bounds an open-ended period.
func History(ctx context.Context, r LedgerReader, cat *Catalog, from, to, now time.Time) ([]ControlHistory, error) {
	evals := map[string][]Evaluation{}
	remediations := map[string][]Evaluation{}
	attested := map[string][]uint64{}
	read := func(typ string, fn func(idx uint64, x *evaluatedEntry)) error {
		q := ledger.Query{Type: typ, From: from, To: to, Limit: feedPage}
		for {
			es, err := r.QueryLedger(ctx, q)
			if err != nil {
				return fmt.Errorf("read %s: %w", typ, err)
			}
			for _, re := range es {
				var x evaluatedEntry
				if err := json.Unmarshal(re.Data, &x); err != nil {
					return fmt.Errorf("entry %d: %w", re.Index, err)
				}
				fn(re.Index, &x)
			}
			if len(es) < q.Limit {
				return nil
			}
			last := es[len(es)-1].Index
			q.After = &last
		}
	}
	if err := read(EventEvaluated, func(idx uint64, x *evaluatedEntry) {
		evals[x.Body.Control] = append(evals[x.Body.Control], Evaluation{Index: idx, Time: x.Time, Status: x.Body.Status, Reason: x.Body.Reason})
	}); err != nil {
		return nil, err
	}
	if err := read(EventAttested, func(idx uint64, x *evaluatedEntry) {
		attested[x.Body.Control] = append(attested[x.Body.Control], idx)
		if x.Body.Kind == AttestRemediation {
			remediations[x.Body.Control] = append(remediations[x.Body.Control], Evaluation{Index: idx, Time: x.Time})
		}
	}); err != nil {
		return nil, err
	}
	end := to
	if end.After(now) {
		end = now
	}
	out := make([]ControlHistory, 0, len(cat.Controls))
	for i := range cat.Controls {
		k := &cat.Controls[i]
		h := operating(k, evals[k.ID], from, end)
		h.To = to
		for _, ev := range evals[k.ID] {
			h.Records = append(h.Records, ev.Index)
		}
		h.Records = append(h.Records, attested[k.ID]...)
		slices.Sort(h.Records)
		attachRemediations(h.Exceptions, remediations[k.ID])
		out = append(out, h)
	}
	return out, nil
}

// operating walks a control's evaluations in order and finds exceptions:
// runs of failing evaluations, and gaps longer than the control's window.
func operating(k *Control, evs []Evaluation, from, end time.Time) ControlHistory {
	h := ControlHistory{Control: k.ID, Title: k.Title, Owner: k.Owner, Frequency: k.Frequency, From: from, Evaluations: len(evs), Exceptions: []Exception{}}
	window := k.Frequency.Window()
	gap := func(a, b time.Time, open bool) {
		e := Exception{Kind: ExceptionNotEvaluated, Status: NoEvidence, Start: a, Open: open,
			Reason: fmt.Sprintf("no evaluation for %s; the control's window is %s", b.Sub(a).Round(time.Minute), Duration{window})}
		if !open {
			e.End = b
		}
		e.Duration = b.Sub(a)
		h.Exceptions = append(h.Exceptions, e)
	}
	if len(evs) == 0 {
		gap(from, end, true)
		return h
	}
	h.First, h.Last = evs[0].Time, &evs[len(evs)-1]
	if evs[0].Time.Sub(from) > window {
		gap(from, evs[0].Time, false)
	}
	var cur *Exception
	for i, ev := range evs {
		if i > 0 && ev.Time.Sub(evs[i-1].Time) > window {
			gap(evs[i-1].Time, ev.Time, false)
		}
		if !ev.Status.Failing() {
			if ev.Status == NotApplicable {
				h.NotApplicable++
			} else {
				h.Passing++
			}
			if cur != nil {
				cur.End, cur.Open = ev.Time, false
				cur.Duration = ev.Time.Sub(cur.Start)
				cur.Evidence = append(cur.Evidence, ev.Index)
				cur.Remediation = &Remediation{Index: ev.Index, Time: ev.Time, Status: ev.Status}
				h.Exceptions = append(h.Exceptions, *cur)
				cur = nil
			}
			continue
		}
		if cur == nil {
			cur = &Exception{Kind: ExceptionFailing, Status: ev.Status, Start: ev.Time, Open: true, Reason: ev.Reason, Evidence: []uint64{ev.Index}}
		} else if ev.Status.rank() > cur.Status.rank() {
			cur.Status, cur.Reason = ev.Status, ev.Reason
		}
	}
	if cur != nil {
		cur.Duration = end.Sub(cur.Start)
		h.Exceptions = append(h.Exceptions, *cur)
	}
	if last := evs[len(evs)-1]; end.Sub(last.Time) > window {
		gap(last.Time, end, true)
	}
	sortExceptions(h.Exceptions)
	h.Operated = len(h.Exceptions) == 0
	return h
}

func sortExceptions(es []Exception) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Start.Before(es[j].Start) })
}

// attachRemediations links remediation attestations to the exceptions
// they were uploaded during (or within a week after).
func attachRemediations(es []Exception, rs []Evaluation) {
	for i := range es {
		e := &es[i]
		if e.Kind != ExceptionFailing {
			continue
		}
		for _, r := range rs {
			if r.Time.Before(e.Start) || (!e.Open && r.Time.After(e.End.Add(7*Day))) {
				continue
			}
			if e.Remediation == nil {
				e.Remediation = &Remediation{}
			}
			e.Remediation.Attestations = append(e.Remediation.Attestations, r.Index)
		}
	}
}
