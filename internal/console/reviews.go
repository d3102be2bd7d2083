package console

import (
	"errors"
	"net/http"
	"strings"
)

type reviewsData struct {
	Configured bool
	Campaigns  []Campaign
}

func (c *Console) reviewsPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := reviewsData{}
	if c.d.Reviews != nil {
		cs, err := c.d.Reviews.Campaigns(r.Context(), v.principal())
		if err != nil {
			c.internal(w, r, v, err)
			return
		}
		d.Configured, d.Campaigns = true, cs
	}
	c.render(w, r, http.StatusOK, "reviews", &view{V: v, Title: "Access reviews", Nav: "reviews", Data: d})
}

type reviewData struct {
	Campaign Campaign
	Items    []CampaignItem
}

func (c *Console) reviewPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderReview(w, r, v, http.StatusOK, "", "")
}

func (c *Console) renderReview(w http.ResponseWriter, r *http.Request, v *viewer, status int, flash, problem string) {
	if c.d.Reviews == nil {
		c.fail(w, r, v, http.StatusNotFound, "Access reviews are not configured.")
		return
	}
	cp, items, err := c.d.Reviews.Campaign(r.Context(), v.principal(), r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		c.fail(w, r, v, http.StatusNotFound, "No such access review.")
		return
	}
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	c.render(w, r, status, "review", &view{V: v, Title: "Access review " + cp.ID, Nav: "reviews", Flash: flash, Error: problem, Data: reviewData{Campaign: cp, Items: items}})
}

func (c *Console) decideItem(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Reviews == nil {
		c.fail(w, r, v, http.StatusNotFound, "Access reviews are not configured.")
		return
	}
	decision := r.PostFormValue("decision")
	if decision != "keep" && decision != "revoke" {
		c.renderReview(w, r, v, http.StatusBadRequest, "", "Choose keep or revoke.")
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len(note) > 2000 {
		c.renderReview(w, r, v, http.StatusBadRequest, "", "Keep the note under 2000 characters.")
		return
	}
	item := r.PathValue("item")
	err := c.d.Reviews.Decide(r.Context(), v.principal(), r.PathValue("id"), item, decision, note)
	var ce *CompletionError
	if errors.As(err, &ce) {
		c.renderReview(w, r, v, http.StatusConflict, "", "Recorded "+decision+" for "+clip(item, 128)+", but the review could not be completed: "+ce.Err.Error()+". Change a decision, then complete the review.")
		return
	}
	if err != nil {
		c.renderReview(w, r, v, http.StatusConflict, "", "The decision was refused: "+err.Error())
		return
	}
	c.renderReview(w, r, v, http.StatusOK, "Recorded "+decision+" for "+clip(item, 128)+".", "")
}

// completeReview applies a fully decided campaign, for when the reviewer
// who made the last decision could not apply its revocations.
func (c *Console) completeReview(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Reviews == nil {
		c.fail(w, r, v, http.StatusNotFound, "Access reviews are not configured.")
		return
	}
	if err := c.d.Reviews.Complete(r.Context(), v.principal(), r.PathValue("id")); err != nil {
		c.renderReview(w, r, v, http.StatusConflict, "", "The review could not be completed: "+err.Error())
		return
	}
	c.renderReview(w, r, v, http.StatusOK, "Review completed; its revocations are applied.", "")
}
