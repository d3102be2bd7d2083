package audit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
)

// EventSampleSelected records a sample an auditor's seed chose.
const EventSampleSelected = "sample.selected"

// denseTypes are evidence types too numerous to list; they are sampled by
// drawing random ledger indexes in the period and keeping those of the
// right type.
var denseTypes = []string{"inference.request", "inference.response"}

// maxPopulation bounds a listed population; a larger one is sampled like a
// dense type.
const maxPopulation = 2_000_000

// Selection is the sample of one control.
type Selection struct {
	Control string `json:"control"`
	// Types are the evidence types the population holds.
	Types []string `json:"types"`
	// Population is how many entries of those types the period holds.
	Population int `json:"population"`
	// Indexes are the chosen entries, ascending.
	Indexes []uint64 `json:"indexes"`
	// Dense are entries of high-volume types drawn from the period's index
	// range [RangeStart, RangeEnd) by rejection sampling.
	DenseTypes []string `json:"dense_types,omitempty"`
	Dense      []uint64 `json:"dense,omitempty"`
	RangeStart uint64   `json:"range_start"`
	RangeEnd   uint64   `json:"range_end"`
}

// rngFor derives a control's random stream from the auditor's seed, so
// each control's sample can be recomputed on its own.
func rngFor(seed, control string) *rand.Rand {
	return rand.New(rand.NewChaCha8(sha256.Sum256([]byte(seed + "\x00" + control))))
}

// choose picks k distinct positions of [0, n) with a partial Fisher-Yates
// shuffle and returns them ascending. Memory is O(k).
func choose(rng *rand.Rand, n, k int) []int {
	k = min(k, n)
	swapped := map[int]int{}
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	slices.Sort(out)
	return out
}

// evidenceTypes splits a control's evidence sources into listed and dense
// ledger event types. Its own evaluations and attestations always count.
func evidenceTypes(k *controls.Control) (listed, dense []string) {
	add := func(t string) {
		switch {
		case strings.HasPrefix(t, "store:"):
		case slices.Contains(denseTypes, t):
			if !slices.Contains(dense, t) {
				dense = append(dense, t)
			}
		case !slices.Contains(listed, t):
			listed = append(listed, t)
		}
	}
	if k.Automated() {
		add(controls.EventEvaluated)
	} else {
		add(controls.EventAttested)
	}
	for _, t := range k.Evidence {
		add(t)
	}
	slices.Sort(listed)
	slices.Sort(dense)
	return listed, dense
}

// Own maps each control to the ledger indexes of its own control.evaluated
// and control.attested events in the period, from its history.
type Own map[string][]uint64

// OwnRecords collects Own from the period's histories, which read those
// events once for every control.
func OwnRecords(hist []controls.ControlHistory) Own {
	own := Own{}
	for _, h := range hist {
		own[h.Control] = h.Records
	}
	return own
}

// Select draws a control's sample from the entries with index in [lo, hi)
// and time in [from, to): its own evaluations or attestations (from own)
// and the other evidence types the catalog lists.
func Select(ctx context.Context, r controls.LedgerReader, k *controls.Control, own Own, seed string, lo, hi uint64, from, to time.Time) (Selection, error) {
	listed, dense := evidenceTypes(k)
	s := Selection{Control: k.ID, Types: listed, DenseTypes: dense, RangeStart: lo, RangeEnd: hi, Indexes: []uint64{}}
	var pop []uint64
	for _, i := range own[k.ID] {
		if i >= lo && i < hi {
			pop = append(pop, i)
		}
	}
	for _, t := range listed {
		if t == controls.EventEvaluated || t == controls.EventAttested {
			continue // taken from own
		}
		q := ledger.Query{Type: t, From: from, To: to, Limit: 5000}
		if lo > 0 {
			after := lo - 1
			q.After = &after
		}
		for {
			es, err := r.QueryLedger(ctx, q)
			if err != nil {
				return s, fmt.Errorf("population of %s (%s): %w", k.ID, t, err)
			}
			for _, e := range es {
				if e.Index < hi {
					pop = append(pop, e.Index)
				}
			}
			if len(pop) > maxPopulation {
				return s, fmt.Errorf("population of %s exceeds %d entries; narrow the period", k.ID, maxPopulation)
			}
			if len(es) < q.Limit || es[len(es)-1].Index >= hi {
				break
			}
			last := es[len(es)-1].Index
			q.After = &last
		}
	}
	slices.Sort(pop)
	pop = slices.Compact(pop)
	s.Population = len(pop)
	rng := rngFor(seed, k.ID)
	size := k.Frequency.SampleSize()
	for _, i := range choose(rng, len(pop), size) {
		s.Indexes = append(s.Indexes, pop[i])
	}
	if len(dense) > 0 && hi > lo {
		d, err := drawDense(ctx, r, rng, dense, lo, hi, size)
		if err != nil {
			return s, fmt.Errorf("sample of %s: %w", k.ID, err)
		}
		s.Dense = d
	}
	return s, nil
}

// drawDense draws up to k entries of the given types from [lo, hi) by
// picking random indexes and keeping matches, giving up after 20 draws per
// wanted entry (the period holds few such entries then).
func drawDense(ctx context.Context, r controls.LedgerReader, rng *rand.Rand, types []string, lo, hi uint64, k int) ([]uint64, error) {
	var out []uint64
	for tries := 0; len(out) < k && tries < 20*k; tries++ {
		i := lo + rng.Uint64N(hi-lo)
		if slices.Contains(out, i) {
			continue
		}
		es, err := r.LedgerEntries(ctx, i, 1)
		if err != nil {
			return nil, err
		}
		if len(es) != 1 {
			return nil, fmt.Errorf("entry %d is missing; run 'attest ledger verify'", i)
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(es[0].Data, &head); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if slices.Contains(types, head.Type) {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out, nil
}
