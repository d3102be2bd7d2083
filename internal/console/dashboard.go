package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
)

// ledgerHealth is the dashboard's ledger panel. Everything in it comes from
// memory or one indexed read; the ledger is never scanned.
type ledgerHealth struct {
	Size      uint64
	Healthy   bool
	Problem   string
	Pending   bool // entries wait for the next checkpoint
	HasCP     bool
	CPSize    uint64
	CPTime    time.Time
	CPAge     string
	Witnesses int  // configured witnesses
	Witnessed bool // the newest checkpoint carries a quorum of cosignatures
	Cosigs    int
	Quorum    int
}

func (c *Console) ledgerHealth(ctx context.Context) ledgerHealth {
	h := ledgerHealth{Healthy: true, Witnesses: len(c.d.Witnesses)}
	size, err := c.d.Log.Latest(ctx)
	h.Size = size
	if err == nil {
		err = c.d.Log.Healthy()
	}
	if err != nil {
		h.Healthy, h.Problem = false, "The ledger cannot take entries right now; producers fail closed until it recovers."
	}
	cp, err := c.d.Store.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return h
	case err != nil:
		c.d.Logger.Error("console latest checkpoint", "err", err)
		h.Problem = "The newest checkpoint cannot be read."
		return h
	}
	h.HasCP, h.CPSize, h.CPTime = true, cp.Size, cp.Time
	h.CPAge = ago(c.now().Sub(cp.Time))
	h.Pending = cp.Size < h.Size
	h.Quorum = max(c.d.WitnessQuorum, 1)
	if len(c.d.Witnesses) == 0 {
		return h
	}
	ws, err := witness.ParseKeys(c.d.Witnesses)
	if err == nil {
		h.Cosigs, err = witness.Count(cp.Note, c.d.VerifierKey, ws)
	}
	if err != nil {
		c.d.Logger.Warn("console witness cosignatures", "err", err)
	}
	h.Witnessed = h.Cosigs >= h.Quorum
	return h
}

// ago says how long ago something was, in the largest sensible unit.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

type dashboardData struct {
	Ledger      ledgerHealth
	Controls    bool // a controls source is configured
	Passing     int
	Failing     int
	NotApp      int // not applicable: neither passing nor failing
	Failures    []ControlSummary
	Readiness   Readiness
	Trend       chart
	Alerts      []Alert
	Overdue     int
	Unavailable []string // sources that failed to answer
	Missing     []string // sources that are not configured
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, v *viewer) {
	ctx := r.Context()
	tenant := v.User.Tenant
	d := dashboardData{Ledger: c.ledgerHealth(ctx)}
	if cs := c.d.Controls; cs != nil {
		d.Controls = true
		if list, err := cs.Controls(ctx, tenant); err != nil {
			c.sourceError(&d.Unavailable, "controls", err)
		} else {
			for _, k := range list {
				switch {
				case k.Failing():
					d.Failing++
					if len(d.Failures) < 8 {
						d.Failures = append(d.Failures, k)
					}
				case k.NotApplicable():
					d.NotApp++
				default:
					d.Passing++
				}
			}
		}
		if rd, err := cs.Readiness(ctx, tenant); err != nil {
			c.sourceError(&d.Unavailable, "readiness", err)
		} else {
			d.Readiness = rd
		}
		if t, err := cs.Trend(ctx, tenant); err != nil {
			c.sourceError(&d.Unavailable, "control trend", err)
		} else {
			d.Trend = trendChart(t)
		}
	} else {
		d.Missing = append(d.Missing, "controls")
	}
	d.Alerts = c.alerts(ctx, v, &d.Unavailable, &d.Missing)
	now := c.now()
	for _, a := range d.Alerts {
		if a.Overdue(now) {
			d.Overdue++
		}
	}
	c.render(w, r, http.StatusOK, "dashboard", &view{V: v, Title: "Dashboard", Nav: "dashboard", Data: d})
}

func (c *Console) sourceError(into *[]string, what string, err error) {
	c.d.Logger.Error("console source", "source", what, "err", err)
	*into = append(*into, what)
}

// alerts gathers open items from every configured source, overdue first,
// then by deadline.
func (c *Console) alerts(ctx context.Context, v *viewer, unavailable, missing *[]string) []Alert {
	tenant := v.User.Tenant
	now := c.now()
	var out []Alert
	if c.d.Privacy != nil {
		rs, err := c.d.Privacy.Requests(ctx, tenant)
		if err != nil {
			c.sourceError(unavailable, "privacy requests", err)
		}
		for _, q := range rs {
			if q.Status == "completed" {
				continue
			}
			if q.Overdue(now) || q.Due.Sub(now) < 7*24*time.Hour {
				out = append(out, Alert{Source: "privacy", Title: "Data-subject " + q.Type + " request " + q.ID + " is " + q.Status, Since: q.Opened, Due: q.Due, Link: "/privacy"})
			}
		}
	}
	if g := c.d.Gateway; g != nil {
		if s, err := g.Snapshot(ctx, tenant, time.Hour); err != nil {
			c.sourceError(unavailable, "gateway", err)
		} else {
			out = append(out, s.Alerts...)
		}
	} else {
		*missing = append(*missing, "gateway")
	}
	if m := c.d.Models; m != nil {
		if as, err := m.Alerts(ctx, tenant); err != nil {
			c.sourceError(unavailable, "models", err)
		} else {
			out = append(out, as...)
		}
	} else {
		*missing = append(*missing, "models")
	}
	if vs := c.d.Vendors; vs != nil {
		if cal, err := vs.Calendar(ctx, tenant, now); err != nil {
			c.sourceError(unavailable, "vendors", err)
		} else {
			for _, e := range cal {
				if e.Due.Sub(now) < 30*24*time.Hour {
					out = append(out, Alert{Source: "vendor", Title: e.Vendor + ": " + e.What, Due: e.Due, Link: "/vendors"})
				}
			}
		}
	} else {
		*missing = append(*missing, "vendors")
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		ao, bo := a.Overdue(now), b.Overdue(now)
		switch {
		case ao != bo:
			if ao {
				return -1
			}
			return 1
		case a.Due.IsZero() != b.Due.IsZero():
			if b.Due.IsZero() {
				return -1
			}
			return 1
		}
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.Title, b.Title)
	})
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}
