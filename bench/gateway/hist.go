package main

import (
	"math/bits"
	"sync"
)

// hist is a log-linear latency histogram in the spirit of HdrHistogram:
// exact below 128 ns, then 64 buckets per power of two, so any recorded
// value is off by less than 1.6%.
type hist struct {
	mu     sync.Mutex
	counts [128 + 64*64]uint64
	n      uint64
	max    int64
}

func bucket(v int64) int {
	if v < 128 {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - 7
	return 128 + (shift-1)*64 + int(uint64(v)>>shift) - 64
}

func lowerBound(i int) int64 {
	if i < 128 {
		return int64(i)
	}
	shift := (i-128)/64 + 1
	sub := int64((i-128)%64 + 64)
	return sub << shift
}

func (h *hist) record(ns int64) {
	h.mu.Lock()
	h.counts[bucket(ns)]++
	h.n++
	h.max = max(h.max, ns)
	h.mu.Unlock()
}

// quantile returns the value below which q of the samples fall, in ns.
func (h *hist) quantile(q float64) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			// The middle of the bucket halves the error.
			lo, hi := lowerBound(i), lowerBound(i+1)
			return (lo + hi) / 2
		}
	}
	return h.max
}
