package main

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLoadCallsEachIndexOnce(t *testing.T) {
	for _, tt := range []struct{ writers, n int }{{1, 1}, {8, 1000}, {64, 10}} {
		var mu sync.Mutex
		seen := map[int]bool{}
		r, err := load(tt.writers, tt.n, 0, func(i int) error {
			mu.Lock()
			defer mu.Unlock()
			if seen[i] || i < 1 || i > tt.n {
				t.Errorf("index %d given twice or out of 1..%d", i, tt.n)
			}
			seen[i] = true
			return nil
		})
		if err != nil || r.Done != tt.n || len(seen) != tt.n || r.Capped {
			t.Fatalf("writers %d n %d: done %d, seen %d, capped %v, err %v", tt.writers, tt.n, r.Done, len(seen), r.Capped, err)
		}
	}
}

func TestLoadStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	r, err := load(4, 1000, 0, func(i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || r.Done >= 1000 {
		t.Fatalf("done %d, err %v; want the run stopped with boom", r.Done, err)
	}
}

func TestLoadHonoursLimit(t *testing.T) {
	r, err := load(2, 1_000_000, 20*time.Millisecond, func(int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != nil || !r.Capped || r.Done == 0 || r.Done >= 1_000_000 {
		t.Fatalf("done %d capped %v err %v; want a capped partial run", r.Done, r.Capped, err)
	}
}

func TestSummarize(t *testing.T) {
	run := func(n int) result { return result{Done: n, Elapsed: time.Second} }
	tests := []struct {
		rs             []result
		median, lo, hi float64
	}{
		{[]result{run(3), run(1), run(2)}, 2, 1, 3},
		{[]result{run(4), run(1)}, 2.5, 1, 4},
		{[]result{run(7)}, 7, 7, 7},
	}
	for _, tt := range tests {
		s := summarize(tt.rs)
		if s.Median != tt.median || s.Min != tt.lo || s.Max != tt.hi {
			t.Errorf("summarize(%v) = %+v, want median %v min %v max %v", tt.rs, s, tt.median, tt.lo, tt.hi)
		}
	}
}

func TestGridBracketsWriterCount(t *testing.T) {
	for _, w := range []int{1, 64, 512, 100_000} {
		g := grid(w)
		if len(g) == 0 {
			t.Fatalf("grid(%d) is empty", w)
		}
		for _, b := range g {
			if b.Size < 8 || b.Size > 4096 || b.Age <= 0 {
				t.Errorf("grid(%d) has %v outside sizes 8..4096", w, b)
			}
		}
	}
	var hasW bool
	for _, b := range grid(512) {
		hasW = hasW || b.Size == 512
	}
	if !hasW {
		t.Error("grid(512) never tries a batch as large as the writer count")
	}
}

func TestEntryIsAbout400Bytes(t *testing.T) {
	for _, i := range []int{0, 1, 199_999} {
		b, err := entry(i)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 350 || len(b) > 450 {
			t.Errorf("entry %d is %d bytes, want about 400", i, len(b))
		}
	}
}
