package lineage

import "github.com/attest-ai/attest/internal/ledger"

// EventRun is the ledger event type for an accepted run event.
const EventRun = "lineage.run"

// maxDatasets bounds the datasets one ledger event lists per direction,
// keeping it far below ledger.MaxEventSize; the counts are always exact.
const maxDatasets = 100

// RunBody is the body of a lineage.run event.
type RunBody struct {
	Record
	InputCount  int `json:"input_count"`
	OutputCount int `json:"output_count"`
}

// Event describes the record for the ledger. Its subjects are the run and
// every dataset version known by digest, so a dataset's history can be
// queried by its digest.
func (r *Record) Event(tenant string, actor ledger.Actor) (ledger.Event, error) {
	body := RunBody{Record: *r, InputCount: len(r.Inputs), OutputCount: len(r.Outputs)}
	body.Inputs = body.Inputs[:min(len(body.Inputs), maxDatasets)]
	body.Outputs = body.Outputs[:min(len(body.Outputs), maxDatasets)]
	subjects := []ledger.Ref{{Kind: "lineage_run", ID: r.RunID}}
	seen := map[string]bool{}
	for _, d := range append(append([]Dataset{}, r.Inputs...), r.Outputs...) {
		// ledger.Event allows 32 subjects; the run takes one.
		if d.Digest == "" || seen[d.Digest] || len(subjects) == 32 {
			continue
		}
		seen[d.Digest] = true
		subjects = append(subjects, ledger.Ref{Kind: "dataset", ID: d.Digest})
	}
	return ledger.NewEvent(EventRun, tenant, actor, body, subjects...)
}
