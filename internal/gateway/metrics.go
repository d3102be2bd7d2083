package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series. Every label takes its
// values from the configuration or a fixed set (API, route alias, provider
// name, status class), never from request content, so cardinality stays
// bounded.
type metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	ttft       *prometheus.HistogramVec
	tokens     *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	limited    *prometheus.CounterVec
	alerts     *prometheus.CounterVec
	auditFails *prometheus.CounterVec
	rotations  *prometheus.CounterVec
	breaker    *prometheus.GaugeVec
	inflight   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_requests_total", Help: "Gateway requests by API, route, provider, status class and fallback kind.",
		}, []string{"api", "route", "provider", "status", "fallback"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "attest_gateway_request_duration_seconds", Help: "Time from request to the last byte of the answer.", Buckets: buckets,
		}, []string{"api", "route"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "attest_gateway_time_to_first_token_seconds", Help: "Time from request to the first streamed event.", Buckets: buckets,
		}, []string{"api", "route"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_tokens_total", Help: "Tokens by route and direction (input or output).",
		}, []string{"route", "direction"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_upstream_attempts_total", Help: "Upstream attempts by provider and outcome.",
		}, []string{"provider", "outcome"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_limited_total", Help: "Requests refused by a limit, by scope (key, tenant, abuse) and limit.",
		}, []string{"scope", "limit"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_alerts_total", Help: "Abuse and extraction alerts by signal.",
		}, []string{"signal"}),
		auditFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_audit_failures_total", Help: "Ledger appends that failed, by entry type and whether the request was let through (fail-open).",
		}, []string{"type", "fail_open"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attest_gateway_credential_rotations_total", Help: "Provider credential changes picked up without a restart.",
		}, []string{"provider"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "attest_gateway_breaker_state", Help: "Circuit breaker state by provider: 0 closed, 1 open, 2 half-open.",
		}, []string{"provider"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "attest_gateway_inflight_requests", Help: "Requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.ttft, m.tokens, m.attempts, m.limited, m.alerts, m.auditFails, m.rotations, m.breaker, m.inflight)
	return m
}

func (m *metrics) attempt(provider, outcome string) {
	m.attempts.WithLabelValues(provider, outcome).Inc()
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

func (m *metrics) done(api, route, provider string, status int, fallback string, d time.Duration, in, out int) {
	m.requests.WithLabelValues(api, route, provider, statusClass(status), fallback).Inc()
	m.duration.WithLabelValues(api, route).Observe(d.Seconds())
	if in > 0 {
		m.tokens.WithLabelValues(route, "input").Add(float64(in))
	}
	if out > 0 {
		m.tokens.WithLabelValues(route, "output").Add(float64(out))
	}
}
