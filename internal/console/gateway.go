package console

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/access"
)

var windows = []struct {
	Name string
	D    time.Duration
}{{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}

type keyRow struct {
	access.Key
	State string // active, rotating, expired or revoked
}

type gatewayData struct {
	Window     string
	Windows    []string
	Configured bool
	Requests   chart
	Latency    chart
	Blocked    []Count
	BlockedMax int64
	Fallbacks  []Count
	Alerts     []Alert
	Keys       []keyRow
	KeysOK     bool // the viewer may list keys
	NewToken   string
	NewKeyID   string
}

func (c *Console) gatewayPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderGateway(w, r, v, http.StatusOK, gatewayData{}, "", "")
}

func (c *Console) renderGateway(w http.ResponseWriter, r *http.Request, v *viewer, status int, d gatewayData, flash, problem string) {
	ctx := r.Context()
	win := windows[0]
	for _, x := range windows {
		d.Windows = append(d.Windows, x.Name)
		if x.Name == r.URL.Query().Get("window") {
			win = x
		}
	}
	d.Window = win.Name
	if g := c.d.Gateway; g != nil {
		s, err := g.Snapshot(ctx, v.User.Tenant, win.D)
		if err != nil {
			c.internal(w, r, v, err)
			return
		}
		d.Configured = true
		d.Requests = seriesChart("Requests per minute", "req/min", []Series{s.RequestsPerMinute})
		d.Latency = seriesChart("Latency percentiles", "ms", s.Latency)
		d.Blocked, d.Fallbacks, d.Alerts = s.Blocked, s.Fallbacks, s.Alerts
		slices.SortFunc(d.Blocked, func(a, b Count) int { return int(b.N - a.N) })
		for _, b := range d.Blocked {
			d.BlockedMax = max(d.BlockedMax, b.N)
		}
	}
	// Keys are read straight from the access service, which scopes them to
	// what the viewer's role may see.
	if v.User.Role.Can(access.PermKeys) || v.User.Role == access.RoleAuditor {
		ks, err := c.d.Access.Keys(ctx, v.principal(), "")
		if err != nil {
			c.internal(w, r, v, err)
			return
		}
		now := c.now()
		for _, k := range ks {
			row := keyRow{Key: k, State: "active"}
			switch {
			case !k.Revoked.IsZero():
				row.State = "revoked"
			case k.Active(now) != nil:
				row.State = "expired"
			case k.ReplacedBy != "":
				row.State = "rotating"
			}
			d.Keys = append(d.Keys, row)
		}
		slices.SortStableFunc(d.Keys, func(a, b keyRow) int { return b.Created.Compare(a.Created) })
		d.KeysOK = true
	}
	c.render(w, r, status, "gateway", &view{V: v, Title: "Gateway", Nav: "gateway", Flash: flash, Error: problem, Data: d})
}

// keyProblem maps the access service's errors to a status and a message.
func keyProblem(err error) (int, string) {
	switch {
	case errors.Is(err, access.ErrNotFound):
		return http.StatusNotFound, "No such key."
	case errors.Is(err, access.ErrForbidden):
		return http.StatusForbidden, "Your role may not manage this key: " + err.Error()
	case errors.Is(err, access.ErrRevoked), errors.Is(err, access.ErrExpired):
		return http.StatusConflict, "The key can no longer be rotated: " + err.Error()
	}
	return 0, ""
}

func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	tok, k, err := c.d.Access.Rotate(r.Context(), v.principal(), r.PathValue("id"), 24*time.Hour)
	if err != nil {
		if status, msg := keyProblem(err); status != 0 {
			c.renderGateway(w, r, v, status, gatewayData{}, "", msg)
			return
		}
		c.internal(w, r, v, err)
		return
	}
	c.renderGateway(w, r, v, http.StatusOK, gatewayData{NewToken: tok, NewKeyID: k.ID},
		"Rotated. The old key keeps working for 24 hours; the new token is shown only once.", "")
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	k, err := c.d.Access.Revoke(r.Context(), v.principal(), r.PathValue("id"))
	if err != nil {
		if status, msg := keyProblem(err); status != 0 {
			c.renderGateway(w, r, v, status, gatewayData{}, "", msg)
			return
		}
		c.internal(w, r, v, err)
		return
	}
	c.renderGateway(w, r, v, http.StatusOK, gatewayData{}, "Revoked key "+k.ID+" ("+k.Name+"). It stops working at once.", "")
}
