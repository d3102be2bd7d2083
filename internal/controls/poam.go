package controls

import (
	"fmt"
	"sort"
	"time"
)

// POAMItem is one open exception in the plan of action and milestones:
// what is wrong, who owns the fix and when it is due.
type POAMItem struct {
	ID       string    `json:"id"`
	Control  string    `json:"control"`
	Title    string    `json:"title"`
	Owner    string    `json:"owner"`
	Kind     string    `json:"kind"`
	Status   Status    `json:"status"`
	Weakness string    `json:"weakness"`
	Detected time.Time `json:"detected"`
	Due      time.Time `json:"due"`
	Overdue  bool      `json:"overdue"`
	// Evidence are the ledger indexes of the evaluations that show it.
	Evidence []uint64 `json:"evidence,omitempty"`
	// Remediations are remediation attestations uploaded so far.
	Remediations []uint64 `json:"remediations,omitempty"`
}

// defaultRemediationDays is how long an exception may stay open unless
// the control says otherwise.
const defaultRemediationDays = 30

// POAM lists the open exceptions of the histories, oldest first.
func POAM(cat *Catalog, hist []ControlHistory, now time.Time) []POAMItem {
	var out []POAMItem
	for _, h := range hist {
		k, ok := cat.Control(h.Control)
		if !ok {
			continue
		}
		days := k.RemediationDays
		if days == 0 {
			days = defaultRemediationDays
		}
		for _, e := range h.Exceptions {
			if !e.Open {
				continue
			}
			it := POAMItem{
				ID:      fmt.Sprintf("POAM-%s-%s", k.ID, e.Start.UTC().Format("20060102T1504")),
				Control: k.ID, Title: k.Title, Owner: k.Owner, Kind: e.Kind, Status: e.Status, Weakness: e.Reason,
				Detected: e.Start, Due: e.Start.Add(time.Duration(days) * Day), Evidence: e.Evidence,
			}
			it.Overdue = now.After(it.Due)
			if e.Remediation != nil {
				it.Remediations = e.Remediation.Attestations
			}
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Detected.Before(out[j].Detected) })
	return out
}
