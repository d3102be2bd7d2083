package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/privacy"
)

type dsrRow struct {
	privacy.Request
	Overdue bool
	DueIn   string
}

type privacyData struct {
	Configured bool
	Requests   []dsrRow
	Open       int
	Overdue    int
	Policies   []privacy.Policy
	Runs       []privacy.Run
	Consents   []privacy.Consent
	Opened     *privacy.Request
}

// Display bounds: the newest runs and consents; every open request.
const (
	maxRuns     = 20
	maxConsents = 100
)

func (c *Console) privacyPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderPrivacy(w, r, v, http.StatusOK, nil, "", "")
}

func (c *Console) renderPrivacy(w http.ResponseWriter, r *http.Request, v *viewer, status int, opened *privacy.Request, flash, problem string) {
	d := privacyData{Opened: opened}
	p := c.d.Privacy
	if p == nil {
		c.render(w, r, status, "privacy", &view{V: v, Title: "Privacy", Nav: "privacy", Data: d})
		return
	}
	d.Configured = true
	ctx, tenant, now := r.Context(), v.User.Tenant, c.now()
	rs, err := p.Requests(ctx, tenant)
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	for i := len(rs) - 1; i >= 0; i-- {
		q := rs[i]
		row := dsrRow{Request: q, Overdue: q.Overdue(now)}
		if q.Status != "completed" {
			d.Open++
			if row.Overdue {
				d.Overdue++
				row.DueIn = "overdue by " + strings.TrimSuffix(ago(now.Sub(q.Due)), " ago")
			} else {
				row.DueIn = "due in " + strings.TrimSuffix(ago(q.Due.Sub(now)), " ago")
			}
		}
		d.Requests = append(d.Requests, row)
	}
	// Open requests first, the most urgent on top.
	slices.SortStableFunc(d.Requests, func(a, b dsrRow) int {
		ac, bc := a.Status == "completed", b.Status == "completed"
		if ac != bc {
			if bc {
				return -1
			}
			return 1
		}
		if !ac {
			return a.Due.Compare(b.Due)
		}
		return 0
	})
	if d.Policies, err = p.Policies(ctx); err != nil {
		c.internal(w, r, v, err)
		return
	}
	runs, err := p.Runs(ctx)
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	for i := len(runs) - 1; i >= 0 && len(d.Runs) < maxRuns; i-- {
		d.Runs = append(d.Runs, runs[i])
	}
	cs, err := p.Consents(ctx, tenant)
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	slices.SortStableFunc(cs, func(a, b privacy.Consent) int { return b.Time.Compare(a.Time) })
	d.Consents = cs[:min(len(cs), maxConsents)]
	c.render(w, r, status, "privacy", &view{V: v, Title: "Privacy", Nav: "privacy", Flash: flash, Error: problem, Data: d})
}

// openRequest opens a data-subject request. The subject identifier is
// pseudonymised by the privacy service at once and never logged.
func (c *Console) openRequest(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Privacy == nil {
		c.fail(w, r, v, http.StatusNotFound, "Privacy is not configured.")
		return
	}
	subject := strings.TrimSpace(r.PostFormValue("subject"))
	typ := r.PostFormValue("type")
	days, err := strconv.Atoi(r.PostFormValue("days"))
	switch {
	case subject == "" || len(subject) > 256:
		c.renderPrivacy(w, r, v, http.StatusBadRequest, nil, "", "Enter the subject's identifier as your product knows it (up to 256 characters).")
		return
	case err != nil || days < 1 || days > 90:
		c.renderPrivacy(w, r, v, http.StatusBadRequest, nil, "", "The deadline is a number of days between 1 and 90.")
		return
	}
	q, err := c.d.Privacy.Open(r.Context(), v.User.Tenant, v.User.Actor(), subject, typ, time.Duration(days)*24*time.Hour)
	if errors.Is(err, privacy.ErrInvalid) {
		c.renderPrivacy(w, r, v, http.StatusBadRequest, nil, "", err.Error())
		return
	}
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	c.renderPrivacy(w, r, v, http.StatusOK, &q, "Opened "+q.Type+" request "+q.ID+", due "+q.Due.UTC().Format("2006-01-02")+".", "")
}

func (c *Console) runRetention(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Privacy == nil {
		c.fail(w, r, v, http.StatusNotFound, "Privacy is not configured.")
		return
	}
	run, err := c.d.Privacy.RunRetention(r.Context(), v.User.Actor(), "manual")
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	deleted := 0
	for _, x := range run.Results {
		deleted += x.Deleted + x.Expired
	}
	c.renderPrivacy(w, r, v, http.StatusOK, nil, "Retention run "+run.ID+" finished ("+run.Status+"): "+strconv.Itoa(deleted)+" payloads deleted.", "")
}
