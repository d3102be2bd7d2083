package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/ledger"
)

// Gateway statistics come from the ledger's inference.response entries,
// read through the type, tenant and time index. The window is capped at an
// hour and the read at maxStatEntries, so a busy tenant costs one bounded
// query per page view.
const (
	maxStatWindow  = time.Hour
	maxStatEntries = 20000
	maxStatAlerts  = 100
)

// consoleGateway computes the console's gateway charts.
type consoleGateway struct {
	store ledger.Store
	now   func() time.Time
}

var _ console.GatewayStats = consoleGateway{}

// statGuard and statResponse are the inference.response fields the charts
// use; the rest of the entry is not decoded.
type statGuard struct {
	Action  string   `json:"action"`
	Rules   []string `json:"rules"`
	Reasons []string `json:"reasons"`
}

type statResponse struct {
	Route       string     `json:"route"`
	Status      int        `json:"status"`
	LatencyUS   int64      `json:"latency_us"`
	Fallback    string     `json:"fallback"`
	Guard       *statGuard `json:"guard"`
	GuardOutput *statGuard `json:"guard_output"`
}

// blockReason names why a guard blocked a response, or "" if none did.
func (r statResponse) blockReason() string {
	for _, g := range []*statGuard{r.Guard, r.GuardOutput} {
		if g == nil || g.Action != "block" {
			continue
		}
		switch {
		case len(g.Rules) > 0:
			return g.Rules[0]
		case len(g.Reasons) > 0:
			return g.Reasons[0]
		}
		return "guard"
	}
	return ""
}

// Snapshot implements console.GatewayStats over the last window, at most
// an hour.
func (g consoleGateway) Snapshot(ctx context.Context, tenant string, window time.Duration) (console.GatewaySnapshot, error) {
	if window <= 0 || window > maxStatWindow {
		window = maxStatWindow
	}
	to := g.now().UTC()
	from := to.Add(-window)
	raw, err := g.store.QueryLedger(ctx, ledger.Query{Type: "inference.response", Tenant: tenant, From: from, To: to, Limit: maxStatEntries})
	if err != nil {
		return console.GatewaySnapshot{}, fmt.Errorf("read gateway responses: %w", err)
	}
	start := from.Truncate(time.Minute)
	minutes := int(to.Sub(start)/time.Minute) + 1
	counts := make([]float64, minutes)
	lat := make([][]float64, minutes)
	blocked, fallbacks := map[string]int64{}, map[string]int64{}
	for _, e := range raw {
		ev, err := ledger.ParseEntryData(e.Data)
		if err != nil {
			return console.GatewaySnapshot{}, fmt.Errorf("ledger entry %d: %w", e.Index, err)
		}
		var r statResponse
		if err := json.Unmarshal(ev.Body, &r); err != nil {
			continue // a malformed body is the producer's bug; skip it rather than hide the page
		}
		i := int(ev.Time.Sub(start) / time.Minute)
		if i < 0 || i >= minutes {
			continue
		}
		counts[i]++
		lat[i] = append(lat[i], float64(r.LatencyUS)/1000)
		if why := r.blockReason(); why != "" {
			blocked[why]++
		}
		if r.Fallback != "" {
			fallbacks[r.Route+" → "+r.Fallback]++
		}
	}
	s := console.GatewaySnapshot{RequestsPerMinute: console.Series{Name: "requests", Unit: "per minute"}}
	pcts := []float64{50, 95, 99}
	for _, p := range pcts {
		s.Latency = append(s.Latency, console.Series{Name: fmt.Sprintf("p%g", p), Unit: "ms"})
	}
	for i := range counts {
		at := start.Add(time.Duration(i) * time.Minute)
		s.RequestsPerMinute.Points = append(s.RequestsPerMinute.Points, console.Point{T: at, V: counts[i]})
		if len(lat[i]) == 0 {
			continue
		}
		slices.Sort(lat[i])
		for j, p := range pcts {
			s.Latency[j].Points = append(s.Latency[j].Points, console.Point{T: at, V: percentile(lat[i], p)})
		}
	}
	s.Blocked, s.Fallbacks = sortedCounts(blocked), sortedCounts(fallbacks)
	if s.Alerts, err = g.alerts(ctx, tenant, from, to); err != nil {
		return console.GatewaySnapshot{}, err
	}
	return s, nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func sortedCounts(m map[string]int64) []console.Count {
	out := make([]console.Count, 0, len(m))
	for k, n := range m {
		out = append(out, console.Count{Label: k, N: n})
	}
	slices.SortFunc(out, func(a, b console.Count) int {
		if a.N != b.N {
			return int(b.N - a.N)
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out
}

// alerts lists the window's gateway.alert entries, newest first.
func (g consoleGateway) alerts(ctx context.Context, tenant string, from, to time.Time) ([]console.Alert, error) {
	raw, err := g.store.QueryLedger(ctx, ledger.Query{Type: "gateway.alert", Tenant: tenant, From: from, To: to, Limit: maxStatAlerts})
	if err != nil {
		return nil, fmt.Errorf("read gateway alerts: %w", err)
	}
	var out []console.Alert
	for i := len(raw) - 1; i >= 0; i-- {
		ev, err := ledger.ParseEntryData(raw[i].Data)
		if err != nil {
			return nil, fmt.Errorf("ledger entry %d: %w", raw[i].Index, err)
		}
		var b struct {
			KeyID     string  `json:"key_id"`
			Signal    string  `json:"signal"`
			Value     float64 `json:"value"`
			Threshold float64 `json:"threshold"`
			Action    string  `json:"action"`
		}
		json.Unmarshal(ev.Body, &b)
		out = append(out, console.Alert{
			Source: "gateway", Since: ev.Time, Link: fmt.Sprintf("/evidence/%d", raw[i].Index),
			Title: fmt.Sprintf("%s on key %s: %.3g over %.3g (%s)", b.Signal, b.KeyID, b.Value, b.Threshold, b.Action),
		})
	}
	return out, nil
}
