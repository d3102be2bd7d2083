// Package lineage accepts OpenLineage 2-0-2 run events from training and
// data pipelines, validates them against the OpenLineage schema and
// reduces each to a Record: which job ran, as which run, reading and
// writing which datasets in which versions.
package lineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MaxEventSize bounds an accepted run event. Real events are a few
// kilobytes; the limit keeps validation cheap on hostile input.
const MaxEventSize = 1 << 20

// ErrInvalid wraps every reason an event is refused, so callers can answer
// 400 without inspecting the message.
var ErrInvalid = errors.New("invalid OpenLineage run event")

// Record is the normalized content of one run event.
type Record struct {
	EventType   string    `json:"event_type,omitempty"` // START, RUNNING, COMPLETE, ABORT, FAIL or OTHER
	EventTime   time.Time `json:"event_time"`
	Producer    string    `json:"producer"`
	RunID       string    `json:"run_id"`
	ParentRunID string    `json:"parent_run_id,omitempty"`
	Job         Job       `json:"job"`
	Inputs      []Dataset `json:"inputs,omitempty"`
	Outputs     []Dataset `json:"outputs,omitempty"`
}

// Job names the job that ran.
type Job struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Dataset names one input or output and, when the producer sent a version
// facet, the version it was at.
type Dataset struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	// Digest is set when the version is a content digest written as
	// "sha256:<64 hex digits>", the form attest uses for dataset snapshots.
	Digest string `json:"digest,omitempty"`
}

// wire mirrors the parts of a run event that Record keeps.
type wire struct {
	EventType string    `json:"eventType"`
	EventTime time.Time `json:"eventTime"`
	Producer  string    `json:"producer"`
	Run       struct {
		RunID  string `json:"runId"`
		Facets struct {
			Parent *struct {
				Run struct {
					RunID string `json:"runId"`
				} `json:"run"`
			} `json:"parent"`
		} `json:"facets"`
	} `json:"run"`
	Job     Job           `json:"job"`
	Inputs  []wireDataset `json:"inputs"`
	Outputs []wireDataset `json:"outputs"`
}

type wireDataset struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Facets    struct {
		Version *struct {
			DatasetVersion string `json:"datasetVersion"`
		} `json:"version"`
	} `json:"facets"`
}

// Parse validates a run event against the OpenLineage 2-0-2 schema and
// returns its Record. Errors wrap ErrInvalid and name the offending fields.
func Parse(data []byte) (*Record, error) {
	if len(data) > MaxEventSize {
		return nil, fmt.Errorf("%w: event is %d bytes, the limit is %d", ErrInvalid, len(data), MaxEventSize)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: event must be a JSON object", ErrInvalid)
	}
	if err := validate(doc); err != nil {
		return nil, err
	}
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		// The schema admits a few shapes the struct cannot hold, such as
		// a facet that is not an object; say which.
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	r := &Record{
		EventType: w.EventType,
		EventTime: w.EventTime.UTC(),
		Producer:  w.Producer,
		RunID:     strings.ToLower(w.Run.RunID),
		Job:       w.Job,
		Inputs:    datasets(w.Inputs),
		Outputs:   datasets(w.Outputs),
	}
	if p := w.Run.Facets.Parent; p != nil {
		r.ParentRunID = strings.ToLower(p.Run.RunID)
	}
	return r, nil
}

func datasets(in []wireDataset) []Dataset {
	var out []Dataset
	for _, d := range in {
		ds := Dataset{Namespace: d.Namespace, Name: d.Name}
		if d.Facets.Version != nil {
			ds.Version = d.Facets.Version.DatasetVersion
			if v, ok := strings.CutPrefix(ds.Version, "sha256:"); ok && isDigest(v) {
				ds.Digest = ds.Version
			}
		}
		out = append(out, ds)
	}
	return out
}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
