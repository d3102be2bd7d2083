// Package monitor measures models: evaluation metrics over predictions,
// promotion gates against thresholds and the production baseline, and
// drift statistics over descriptor histograms of live traffic.
//
// Drift works on numbers only. A prompt and its response are reduced to
// Descriptors (lengths, token estimates, script mix, PII rate, refusal and
// error flags) as they pass; windows keep histograms of those numbers, and
// nothing of the text itself is ever stored.
package monitor
