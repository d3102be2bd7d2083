package app

import (
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

type ledgerMetrics struct {
	reg      prometheus.Registerer
	commits  *prometheus.CounterVec
	entries  prometheus.Counter
	duration prometheus.Histogram
}

func newLedgerMetrics(reg prometheus.Registerer) *ledgerMetrics {
	m := &ledgerMetrics{
		reg:      reg,
		commits:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "attest_ledger_commits_total", Help: "Group commits by result."}, []string{"result"}),
		entries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "attest_ledger_entries_committed_total", Help: "Entries made durable."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "attest_ledger_commit_seconds", Help: "Duration of one group commit.", Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14)}),
	}
	reg.MustRegister(m.commits, m.entries, m.duration)
	return m
}

func (m *ledgerMetrics) observe(n int, d time.Duration, err error) {
	if err != nil {
		m.commits.WithLabelValues("error").Inc()
		return
	}
	m.commits.WithLabelValues("ok").Inc()
	m.entries.Add(float64(n))
	m.duration.Observe(d.Seconds())
}

func (m *ledgerMetrics) watch(l *ledger.Log) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "attest_ledger_size", Help: "Entries in the ledger."}, func() float64 { return float64(l.Size()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "attest_ledger_pending", Help: "Queued entries not yet durable."}, func() float64 { return float64(l.Pending()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "attest_ledger_healthy", Help: "1 if the last commit succeeded."}, func() float64 {
			if l.Healthy() != nil {
				return 0
			}
			return 1
		}),
	)
}
