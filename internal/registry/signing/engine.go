package signing

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// readSize is how much one pread fetches for a stream hashed on its own.
	// Large reads keep syscalls rare, and 1 MiB still fits in the L2 cache
	// of current server cores, so the hash reads what the copy just wrote.
	readSize = 1 << 20

	// laneChunk is how much each of the sixteen vector streams reads at a
	// time: sixteen of them together also stay within L2.
	laneChunk = 64 << 10

	// minLanes is the number of busy streams below which the vector code
	// stops paying off against one SHA-NI stream (about 1/8 of its
	// throughput per stream), so the last streams finish one by one.
	minLanes = 8

	// progressEvery is how often the progress callback runs.
	progressEvery = 100 * time.Millisecond
)

// useLanes selects the sixteen-stream vector path; tests turn it off to
// exercise the portable one on the same machine.
var useLanes = hasLanes

// span is one unit of hashing work: a byte range of one file whose digest
// becomes one resource.
type span struct {
	file       int // index into model.files
	start, end int64
	digest     [sha256.Size]byte
}

func (s *span) size() int64 { return s.end - s.start }

// hasher hashes spans in parallel across all cores.
type hasher struct {
	m        *model
	spans    []span
	order    []int // span indexes, largest first
	next     atomic.Int64
	done     atomic.Int64
	total    int64
	progress func(done, total int64)
}

// hashSpans computes the digest of every span. Work is handed out largest
// first so the last spans to finish are the small ones.
func hashSpans(ctx context.Context, m *model, spans []span, progress func(done, total int64)) error {
	h := &hasher{m: m, spans: spans, progress: progress}
	h.order = make([]int, len(spans))
	for i := range spans {
		h.order[i] = i
		h.total += spans[i].size()
	}
	slices.SortStableFunc(h.order, func(a, b int) int {
		return cmp.Compare(spans[b].size(), spans[a].size())
	})

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := h.report(ctx)
	defer stop()

	workers := min(runtime.GOMAXPROCS(0), len(spans))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			if useLanes {
				errs[w] = h.laneWorker(ctx)
			} else {
				errs[w] = h.streamWorker(ctx)
			}
			if errs[w] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	// One worker's failure cancels the others; report the failure itself.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// report calls the progress callback on a timer and once at the end.
func (h *hasher) report(ctx context.Context) (stop func()) {
	if h.progress == nil {
		return func() {}
	}
	h.progress(0, h.total)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.progress(h.done.Load(), h.total)
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		h.progress(h.done.Load(), h.total)
	}
}

// take hands out the next span, or nil when none is left.
func (h *hasher) take() *span {
	i := h.next.Add(1) - 1
	if i >= int64(len(h.order)) {
		return nil
	}
	return &h.spans[h.order[i]]
}

func (h *hasher) open(s *span) (*os.File, error) {
	f, err := h.m.root.Open(h.m.files[s.file].name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", h.m.files[s.file].name, err)
	}
	return f, nil
}

// read fills p from f at off; a short file means it changed under us.
func (h *hasher) read(f *os.File, s *span, p []byte, off int64) error {
	n, err := f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	name := h.m.files[s.file].name
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s shrank while it was hashed: hash it again once nothing writes to it", name)
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// streamWorker hashes one span at a time through crypto/sha256, which uses
// SHA-NI where the CPU has it.
func (h *hasher) streamWorker(ctx context.Context) error {
	buf := make([]byte, readSize)
	for s := h.take(); s != nil; s = h.take() {
		if err := h.stream(ctx, s, buf); err != nil {
			return err
		}
	}
	return nil
}

func (h *hasher) stream(ctx context.Context, s *span, buf []byte) error {
	f, err := h.open(s)
	if err != nil {
		return err
	}
	defer f.Close()
	d := sha256.New()
	for off := s.start; off < s.end; {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := buf[:min(int64(len(buf)), s.end-off)]
		if err := h.read(f, s, p, off); err != nil {
			return err
		}
		d.Write(p)
		off += int64(len(p))
		h.done.Add(int64(len(p)))
	}
	d.Sum(s.digest[:0])
	return nil
}

// lane is one of the sixteen streams of a laneWorker.
type lane struct {
	s        *span
	f        *os.File
	next     int64 // file offset of the next read
	lo, hi   int   // unconsumed bytes of the lane's slot
	absorbed uint64
}

// laneWorker keeps sixteen spans in flight and advances them together with
// blocks16. Each lane owns a laneChunk-sized slot of one buffer.
type laneWorker struct {
	h     *hasher
	buf   []byte
	state laneState
	lanes [lanes]lane
}

func (h *hasher) laneWorker(ctx context.Context) error {
	w := &laneWorker{h: h, buf: make([]byte, lanes*laneChunk)}
	defer w.closeAll()
	var offsets [lanes]uint32
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		busy, err := w.fill()
		if err != nil {
			return err
		}
		if busy == 0 {
			return nil
		}
		if busy < minLanes && h.next.Load() >= int64(len(h.order)) {
			return w.finishSerially(ctx)
		}
		n := laneChunk / blockSize
		for l := range w.lanes {
			ln := &w.lanes[l]
			offsets[l] = uint32(l*laneChunk + ln.lo)
			if ln.s != nil {
				n = min(n, (ln.hi-ln.lo)/blockSize)
			} else {
				offsets[l] = uint32(l * laneChunk) // idle: hash scratch, ignore the result
			}
		}
		absorb16(&w.state, w.buf, &offsets, n)
		for l := range w.lanes {
			if ln := &w.lanes[l]; ln.s != nil {
				ln.lo += n * blockSize
				ln.absorbed += uint64(n * blockSize)
			}
		}
		h.done.Add(int64(busy * n * blockSize))
	}
}

// fill gives every lane at least one whole block to hash, finishing spans
// that have only their tail left and starting new ones in free lanes. It
// returns the number of busy lanes.
func (w *laneWorker) fill() (int, error) {
	busy := 0
	for l := range w.lanes {
		ln := &w.lanes[l]
		for {
			if ln.s == nil {
				if ln.s = w.h.take(); ln.s == nil {
					break
				}
				f, err := w.h.open(ln.s)
				if err != nil {
					return 0, err
				}
				*ln = lane{s: ln.s, f: f, next: ln.s.start}
				w.state.set(l, newChain())
			}
			if ln.hi-ln.lo >= blockSize {
				busy++
				break
			}
			if ln.lo == ln.hi && ln.next < ln.s.end {
				slot := w.buf[l*laneChunk : (l+1)*laneChunk]
				p := slot[:min(int64(len(slot)), ln.s.end-ln.next)]
				if err := w.h.read(ln.f, ln.s, p, ln.next); err != nil {
					return 0, err
				}
				ln.next += int64(len(p))
				ln.lo, ln.hi = 0, len(p)
				continue
			}
			// Less than a block left and nothing more to read: the tail.
			tail := w.buf[l*laneChunk+ln.lo : l*laneChunk+ln.hi]
			c := w.state.chain(l, ln.absorbed)
			ln.s.digest = c.sum(tail)
			w.h.done.Add(int64(len(tail)))
			ln.f.Close()
			*ln = lane{}
		}
	}
	return busy, nil
}

// finishSerially completes the remaining spans one at a time with
// crypto/sha256, resuming each from its lane's chaining value.
func (w *laneWorker) finishSerially(ctx context.Context) error {
	// Drain every slot first: the reads below reuse the whole buffer.
	var ds [lanes]hash.Hash
	for l := range w.lanes {
		ln := &w.lanes[l]
		if ln.s == nil {
			continue
		}
		c := w.state.chain(l, ln.absorbed)
		ds[l] = c.digest()
		ds[l].Write(w.buf[l*laneChunk+ln.lo : l*laneChunk+ln.hi])
		w.h.done.Add(int64(ln.hi - ln.lo))
	}
	buf := w.buf[:min(len(w.buf), readSize)]
	for l := range w.lanes {
		ln := &w.lanes[l]
		if ln.s == nil {
			continue
		}
		d := ds[l]
		for ln.next < ln.s.end {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := buf[:min(int64(len(buf)), ln.s.end-ln.next)]
			if err := w.h.read(ln.f, ln.s, p, ln.next); err != nil {
				return err
			}
			d.Write(p)
			ln.next += int64(len(p))
			w.h.done.Add(int64(len(p)))
		}
		d.Sum(ln.s.digest[:0])
		ln.f.Close()
		*ln = lane{}
	}
	return nil
}

func (w *laneWorker) closeAll() {
	for l := range w.lanes {
		if w.lanes[l].f != nil {
			w.lanes[l].f.Close()
		}
	}
}
