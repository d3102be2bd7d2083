package monitor

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Histogram counts values in fixed bins. A numeric histogram has Edges:
// bin i holds values in [Edges[i], Edges[i+1]), the last bin is open above
// and values below Edges[0] count in the first bin. A categorical one has
// Labels instead, one bin each. Fixed bins make windows comparable and
// mergeable without keeping a single raw value.
type Histogram struct {
	Edges  []float64 `json:"edges,omitempty"`
	Labels []string  `json:"labels,omitempty"`
	Counts []uint64  `json:"counts"`
}

// NewNumeric returns an empty histogram over ascending bin edges.
// It panics on edges that are not strictly ascending, a programming error.
func NewNumeric(edges ...float64) *Histogram {
	h := &Histogram{Edges: edges, Counts: make([]uint64, len(edges))}
	if err := h.check(); err != nil {
		panic("monitor: " + err.Error())
	}
	return h
}

// NewCategorical returns an empty histogram over labels.
func NewCategorical(labels ...string) *Histogram {
	return &Histogram{Labels: labels, Counts: make([]uint64, len(labels))}
}

// Add counts one numeric value. NaN is ignored.
func (h *Histogram) Add(v float64) {
	if math.IsNaN(v) {
		return
	}
	i := sort.Search(len(h.Edges), func(i int) bool { return h.Edges[i] > v }) - 1
	h.Counts[max(i, 0)]++
}

// AddLabel counts one categorical value; unknown labels count in the last
// bin, which by convention is "other".
func (h *Histogram) AddLabel(label string) {
	i := slices.Index(h.Labels, label)
	if i < 0 {
		i = len(h.Labels) - 1
	}
	h.Counts[i]++
}

// Total is the number of values counted.
func (h *Histogram) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Numeric reports whether the bins are ordered, which KS needs.
func (h *Histogram) Numeric() bool { return len(h.Edges) > 0 }

// Merge adds other's counts; the bins must be the same.
func (h *Histogram) Merge(other *Histogram) error {
	if err := h.sameBins(other); err != nil {
		return err
	}
	for i, c := range other.Counts {
		h.Counts[i] += c
	}
	return nil
}

func (h *Histogram) sameBins(o *Histogram) error {
	if !slices.Equal(h.Edges, o.Edges) || !slices.Equal(h.Labels, o.Labels) || len(h.Counts) != len(o.Counts) {
		return fmt.Errorf("histograms have different bins and cannot be compared")
	}
	return nil
}

// check validates a histogram decoded from outside.
func (h *Histogram) check() error {
	bins := len(h.Edges) + len(h.Labels)
	switch {
	case len(h.Edges) > 0 && len(h.Labels) > 0:
		return fmt.Errorf("histogram has both edges and labels")
	case bins == 0 || len(h.Counts) != bins:
		return fmt.Errorf("histogram needs one count per bin, has %d counts for %d bins", len(h.Counts), bins)
	}
	for i := 1; i < len(h.Edges); i++ {
		if !(h.Edges[i] > h.Edges[i-1]) {
			return fmt.Errorf("histogram edges must be strictly ascending")
		}
	}
	return nil
}

// proportions returns the share of each bin.
func (h *Histogram) proportions() []float64 {
	n := float64(h.Total())
	p := make([]float64, len(h.Counts))
	for i, c := range h.Counts {
		p[i] = float64(c) / n
	}
	return p
}
