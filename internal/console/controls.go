package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"
)

// controlFilter narrows the control list. Empty fields match all.
type controlFilter struct {
	Criterion string // a trust services criterion such as CC6.1
	Status    string // failing, or one status such as not_applicable
	Query     string // a substring of the id or title
}

func (f controlFilter) match(k ControlSummary) bool {
	if f.Criterion != "" && !slices.Contains(k.Criteria, f.Criterion) {
		return false
	}
	switch f.Status {
	case "":
	case "failing":
		if !k.Failing() {
			return false
		}
	default:
		if k.Status != f.Status {
			return false
		}
	}
	if q := strings.ToLower(f.Query); q != "" && !strings.Contains(strings.ToLower(k.ID+" "+k.Title), q) {
		return false
	}
	return true
}

type controlsData struct {
	Configured bool
	Filter     controlFilter
	Criteria   []string
	Statuses   []string
	Controls   []ControlSummary
	Total      int
}

func (c *Console) controlsPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := r.URL.Query()
	d := controlsData{
		Filter:   controlFilter{Criterion: clip(q.Get("criterion"), 32), Status: clip(q.Get("status"), 16), Query: clip(q.Get("q"), 100)},
		Statuses: []string{"failing", "pass", "fail", "stale", "no_evidence", "not_applicable"},
	}
	if c.d.Controls == nil {
		c.render(w, r, http.StatusOK, "controls", &view{V: v, Title: "Controls", Nav: "controls", Data: d})
		return
	}
	d.Configured = true
	all, err := c.d.Controls.Controls(r.Context(), v.User.Tenant)
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	d.Total = len(all)
	seen := map[string]bool{}
	for _, k := range all {
		for _, cr := range k.Criteria {
			if !seen[cr] {
				seen[cr] = true
				d.Criteria = append(d.Criteria, cr)
			}
		}
		if d.Filter.match(k) {
			d.Controls = append(d.Controls, k)
		}
	}
	slices.Sort(d.Criteria)
	c.render(w, r, http.StatusOK, "controls", &view{V: v, Title: "Controls", Nav: "controls", Data: d})
}

func (c *Console) controlPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Controls == nil {
		c.fail(w, r, v, http.StatusNotFound, "The control engine is not configured, so there are no controls to show.")
		return
	}
	k, err := c.d.Controls.Control(r.Context(), v.User.Tenant, r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		c.fail(w, r, v, http.StatusNotFound, "No control "+clip(r.PathValue("id"), 64)+" in the catalog.")
		return
	}
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "control", &view{V: v, Title: k.ID + " " + k.Title, Nav: "controls", Data: k})
}
