package main

import (
	"math/rand/v2"
	"testing"
)

func TestHistogramAccuracy(t *testing.T) {
	var h hist
	var vals []int64
	for i := 0; i < 100000; i++ {
		v := int64(rand.ExpFloat64() * 200_000)
		vals = append(vals, v)
		h.record(v)
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		got := h.quantile(q)
		// Count samples at or below got: it must be close to q.
		n := 0
		for _, v := range vals {
			if v <= got {
				n++
			}
		}
		if frac := float64(n) / float64(len(vals)); frac < q-0.01 || frac > q+0.01 {
			t.Errorf("q%.2f = %d ns covers %.3f of the samples", q, got, frac)
		}
	}
	for v := int64(0); v < 1<<40; v = v*3/2 + 1 {
		if lo := lowerBound(bucket(v)); lo > v || float64(v-lo) > float64(v)/64+1 {
			t.Fatalf("value %d in bucket starting at %d", v, lo)
		}
	}
}
