package console

import (
	"errors"
	"net/http"
	"strings"
)

type approvalRow struct {
	ApprovalRequest
	Mine     bool // the viewer requested it: separation of duties
	Approved bool // the viewer already approved it
}

type modelsData struct {
	Models         []ModelSummary
	ModelsOK       bool
	Approvals      []approvalRow
	ApprovalsOK    bool
	ApprovalsError string
}

func (c *Console) modelsPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderModels(w, r, v, http.StatusOK, "", "")
}

func (c *Console) renderModels(w http.ResponseWriter, r *http.Request, v *viewer, status int, flash, problem string) {
	ctx := r.Context()
	var d modelsData
	if c.d.Models != nil {
		ms, err := c.d.Models.Models(ctx, v.User.Tenant)
		if err != nil {
			c.internal(w, r, v, err)
			return
		}
		d.Models, d.ModelsOK = ms, true
	}
	if c.d.Approvals != nil {
		ps, err := c.d.Approvals.Pending(ctx, v.User.Tenant)
		if err != nil {
			c.internal(w, r, v, err)
			return
		}
		d.ApprovalsOK = true
		me := v.User.Actor().ID
		for _, p := range ps {
			row := approvalRow{ApprovalRequest: p, Mine: p.RequestedBy == me}
			for _, a := range p.Approvals {
				row.Approved = row.Approved || a == me
			}
			d.Approvals = append(d.Approvals, row)
		}
	}
	c.render(w, r, status, "models", &view{V: v, Title: "Models", Nav: "models", Flash: flash, Error: problem, Data: d})
}

// decideApproval approves or rejects a pending change. The page hides the
// buttons from the requester, but the source decides: its refusal is
// shown as it is.
func (c *Console) decideApproval(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Approvals == nil {
		c.fail(w, r, v, http.StatusNotFound, "The approvals queue is not configured.")
		return
	}
	id, decision := r.PathValue("id"), r.PostFormValue("decision")
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if len(comment) > 4000 {
		c.renderModels(w, r, v, http.StatusBadRequest, "", "The comment is too long; keep it under 4000 characters.")
		return
	}
	var err error
	switch decision {
	case "approve":
		err = c.d.Approvals.Approve(r.Context(), v.User.Tenant, v.User.Actor(), id, comment)
	case "reject":
		err = c.d.Approvals.Reject(r.Context(), v.User.Tenant, v.User.Actor(), id, comment)
	default:
		c.fail(w, r, v, http.StatusNotFound, "A change is approved or rejected, nothing else.")
		return
	}
	if err != nil {
		status := http.StatusConflict
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		c.d.Logger.Info("console approval refused", "change", clip(id, 128), "err", err)
		c.renderModels(w, r, v, status, "", "The "+decision+" was refused: "+err.Error())
		return
	}
	verb := "Approved"
	if decision == "reject" {
		verb = "Rejected"
	}
	c.renderModels(w, r, v, http.StatusOK, verb+" change "+clip(id, 128)+". The decision is recorded in the ledger.", "")
}

type modelData struct {
	Model   ModelDetail
	Lineage lineageSVG
	Evals   []chart
	Drift   []chart
}

func (c *Console) modelPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Models == nil {
		c.fail(w, r, v, http.StatusNotFound, "The model registry is not configured.")
		return
	}
	m, err := c.d.Models.Model(r.Context(), v.User.Tenant, r.PathValue("name"))
	if errors.Is(err, ErrNotFound) {
		c.fail(w, r, v, http.StatusNotFound, "No model named "+clip(r.PathValue("name"), 128)+".")
		return
	}
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	d := modelData{Model: m, Lineage: layoutLineage(m.Lineage)}
	for _, s := range m.Evals {
		d.Evals = append(d.Evals, seriesChart(s.Name, s.Unit, []Series{s}))
	}
	for _, s := range m.Drift {
		d.Drift = append(d.Drift, seriesChart(s.Name, s.Unit, []Series{s}))
	}
	c.render(w, r, http.StatusOK, "model", &view{V: v, Title: m.Name, Nav: "models", Data: d})
}
