package controls

import (
	"slices"
	"strings"
	"time"
)

// Status is the outcome of a check or the state of a control. Anything but
// Pass and NotApplicable is failing: stale evidence and missing evidence
// fail as surely as a finding does.
type Status string

// Statuses.
const (
	Pass       Status = "pass"
	Fail       Status = "fail"
	Stale      Status = "stale"
	NoEvidence Status = "no_evidence"
	// NotApplicable means the scope shows the check's population cannot
	// exist, such as credentials to rotate when every provider is
	// configured without one. It never stands for missing evidence, which
	// is NoEvidence, and its reason always says why nothing applies.
	NotApplicable Status = "not_applicable"
)

// Failing reports whether the status counts against the control.
func (s Status) Failing() bool { return s != Pass && s != NotApplicable }

// rank orders statuses from best to worst, for combining checks. An
// unknown status ranks with Fail, so it can never hide a failure.
func (s Status) rank() int {
	switch s {
	case NotApplicable:
		return 0
	case Pass:
		return 1
	case Stale:
		return 2
	case NoEvidence:
		return 3
	default:
		return 4
	}
}

// Item is one member of a check's population that failed it.
type Item struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
	// Evidence are the ledger indexes that show the failure.
	Evidence []uint64 `json:"evidence,omitempty"`
}

// Result is the outcome of one check.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Reason explains the status in one sentence.
	Reason string `json:"reason"`
	// Population is how many things the check looked at.
	Population int `json:"population"`
	// Failing lists failed items, at most maxItems of them; FailingCount
	// is the full count.
	Failing      []Item `json:"failing,omitempty"`
	FailingCount int    `json:"failing_count"`
	// Evidence are ledger indexes the result rests on, at most maxEvidence.
	Evidence []uint64 `json:"evidence,omitempty"`

	// stale counts failing items whose only fault is old evidence.
	stale int
}

// Bounds that keep one control.evaluated event far below the ledger's event
// size limit.
const (
	maxItems    = 20
	maxEvidence = 50
)

// fail adds a failing item, keeping at most maxItems.
func (r *Result) fail(it Item) {
	r.FailingCount++
	if len(r.Failing) < maxItems {
		if len(it.Evidence) > 5 {
			it.Evidence = it.Evidence[len(it.Evidence)-5:]
		}
		r.Failing = append(r.Failing, it)
	}
}

// expire adds a failing item whose evidence exists but is too old. If all
// failures are of this kind the check is Stale rather than Fail.
func (r *Result) expire(it Item) {
	r.stale++
	r.fail(it)
}

// cite records evidence indexes, keeping at most maxEvidence distinct ones.
func (r *Result) cite(idx ...uint64) {
	for _, i := range idx {
		if len(r.Evidence) >= maxEvidence {
			return
		}
		if !slices.Contains(r.Evidence, i) {
			r.Evidence = append(r.Evidence, i)
		}
	}
}

// finish sets the status from the failing items if none was set, and sorts
// evidence so results are deterministic.
func (r *Result) finish(passReason, failReason string) Result {
	slices.Sort(r.Evidence)
	if r.Status == "" {
		switch {
		case r.FailingCount > 0 && r.stale == r.FailingCount:
			r.Status, r.Reason = Stale, failReason
		case r.FailingCount > 0:
			r.Status, r.Reason = Fail, failReason
		default:
			r.Status, r.Reason = Pass, passReason
		}
	}
	return *r
}

// ControlResult is the state of one control after an evaluation.
type ControlResult struct {
	Control string    `json:"control"`
	Status  Status    `json:"status"`
	Reason  string    `json:"reason"`
	Time    time.Time `json:"time"`
	// Checks are the results of the control's automated checks.
	Checks []Result `json:"checks,omitempty"`
	// Attestation is the newest manual attestation, for manual controls.
	Attestation *AttestationRef `json:"attestation,omitempty"`
	// Index is the ledger index of the control.evaluated event, once
	// recorded.
	Index uint64 `json:"index,omitempty"`
}

// AttestationRef points at a control.attested event.
type AttestationRef struct {
	Index    uint64    `json:"index"`
	Time     time.Time `json:"time"`
	Expires  time.Time `json:"expires"`
	Actor    string    `json:"actor"`
	Evidence string    `json:"evidence_sha256,omitempty"`
}

// combine folds check results into one control status: the worst status
// wins, and its reason is reported. A control is NotApplicable only if
// every check is; a passing check among not applicable ones makes it pass,
// with the reasons nothing applied kept in its reason.
func combine(rs []Result) (Status, string) {
	st, reason := Pass, "every check passed"
	var na []string
	for _, r := range rs {
		if r.Status == NotApplicable {
			na = append(na, r.Check+": "+r.Reason)
			continue
		}
		if r.Status.rank() > st.rank() {
			st, reason = r.Status, r.Check+": "+r.Reason
		}
	}
	switch {
	case len(rs) > 0 && len(na) == len(rs):
		return NotApplicable, strings.Join(na, "; ")
	case st == Pass && len(na) > 0:
		return Pass, "every applicable check passed; not applicable: " + strings.Join(na, "; ")
	}
	return st, reason
}
