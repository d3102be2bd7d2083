package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one timed run.
type result struct {
	Done    int
	Elapsed time.Duration
	// Capped is set when the time limit stopped the run before n entries.
	Capped bool
}

// Rate is durable entries per second.
func (r result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Done) / r.Elapsed.Seconds()
}

// load runs writers goroutines, each calling add with the next sequence
// number until n calls have succeeded. A run that passes limit stops taking
// new work; calls already made still finish and count. The first error ends
// the run.
func load(writers, n int, limit time.Duration, add func(i int) error) (result, error) {
	var (
		next, done atomic.Int64
		stop       atomic.Bool
		capped     atomic.Bool
		errOnce    sync.Once
		firstErr   error
		wg         sync.WaitGroup
	)
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if limit > 0 && time.Since(start) > limit {
					capped.Store(true)
					return
				}
				if err := add(i); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("entry %d: %w", i, err) })
					stop.Store(true)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	r := result{Done: int(done.Load()), Elapsed: time.Since(start), Capped: capped.Load()}
	return r, firstErr
}

// summary is the spread of several runs of one configuration.
type summary struct {
	Median, Min, Max float64
	Capped           bool
}

func summarize(rs []result) summary {
	if len(rs) == 0 {
		return summary{}
	}
	rates := make([]float64, len(rs))
	var s summary
	for i, r := range rs {
		rates[i] = r.Rate()
		s.Capped = s.Capped || r.Capped
	}
	slices.Sort(rates)
	s.Min, s.Max = rates[0], rates[len(rates)-1]
	if m := len(rates) / 2; len(rates)%2 == 1 {
		s.Median = rates[m]
	} else {
		s.Median = (rates[m-1] + rates[m]) / 2
	}
	return s
}
