package app

import (
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/witness"
	"github.com/prometheus/client_golang/prometheus"
)

// openWitnesses has each newly published checkpoint offered to the
// configured witnesses (ledger.witnesses) for cosigning. Serve runs the
// client; without witnesses there is none.
func (a *App) openWitnesses() error {
	lc := a.Config.Ledger
	if len(lc.Witnesses) == 0 {
		return nil
	}
	ws := make([]witness.Witness, len(lc.Witnesses))
	for i, w := range lc.Witnesses {
		ws[i] = witness.Witness{Name: w.Name, URL: w.URL, Key: w.Key}
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "attest_witness_submissions_total",
		Help: "Checkpoints offered to witnesses, by witness and result (cosigned, unavailable, forbidden, inconsistent, ...).",
	}, []string{"witness", "result"})
	a.Registry.MustRegister(requests)
	c, err := witness.NewClient(witness.Deps{
		Witnesses: ws, Store: a.Store, Proofs: a.Log, Log: a.Log, Timeout: lc.WitnessTimeout.Duration,
		Logger:  a.Logger.With("component", "witness"),
		Observe: func(w, result string) { requests.WithLabelValues(w, result).Inc() },
	})
	if err != nil {
		return err
	}
	a.Witnesses = c
	a.Signer.OnPublish(c.Notify)
	return nil
}

// WitnessSettings are the controls settings that ledger.witnesses sets:
// whose cosignatures count and how many make a checkpoint witnessed.
func WitnessSettings(c config.Config) controls.Settings {
	return controls.Settings{Witnesses: c.Ledger.WitnessKeys(), WitnessQuorum: c.Ledger.WitnessQuorum}
}
