package controls

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// feedPage is how many entries one indexed query returns.
const feedPage = 2000

// feedTypes lists the low-volume event types the facts fold, sorted so
// updates run in a stable order.
func feedTypes() []string {
	out := make([]string, 0, len(folds))
	for t := range folds {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// cursorInference is the cursor of the inference scan.
const cursorInference = "inference"

// coldTraffic is how much inference traffic new facts read.
const coldTraffic = Day + time.Hour

// update folds every entry below the ledger's current size that the facts
// have not seen. Each low-volume feed reads only its own event type through
// the store's (type, index) index, from its cursor on. Inference traffic is
// read by one sequential scan of the index range it has not seen.
func (f *Facts) update(ctx context.Context, r LedgerReader, now time.Time) error {
	size, _, err := r.LedgerHead(ctx)
	if err != nil {
		return fmt.Errorf("read ledger head: %w", err)
	}
	horizon := now.Add(-trafficDays * Day)
	for _, typ := range feedTypes() {
		if err := f.feed(ctx, r, typ, f.Cursors[typ], size); err != nil {
			return err
		}
		f.Cursors[typ] = size
	}
	start, seen := f.Cursors[cursorInference]
	if !seen {
		// New facts start from the last day of traffic, which is what the
		// traffic checks judge; older hours fill in as the engine keeps
		// running. Requests are stamped when they start and appended a
		// moment later; an hour's margin covers the difference.
		if start, err = IndexAt(ctx, r, size, now.Add(-coldTraffic)); err != nil {
			return err
		}
	}
	if err := f.scanTraffic(ctx, r, start, size, horizon); err != nil {
		return err
	}
	f.Cursors[cursorInference] = size
	f.Size = size
	f.prune(now)
	return nil
}

// feed folds entries of one type with index in [start, end).
func (f *Facts) feed(ctx context.Context, r LedgerReader, typ string, start, end uint64) error {
	if start >= end {
		return nil
	}
	q := ledger.Query{Type: typ, Limit: feedPage}
	if start > 0 {
		after := start - 1
		q.After = &after
	}
	for {
		es, err := r.QueryLedger(ctx, q)
		if err != nil {
			return fmt.Errorf("read %s entries: %w", typ, err)
		}
		for _, re := range es {
			if re.Index >= end {
				return nil
			}
			e, err := ledger.ParseEntryData(re.Data)
			if err != nil {
				return fmt.Errorf("entry %d: %w", re.Index, err)
			}
			folds[typ](f, re.Index, &e)
		}
		if len(es) < q.Limit {
			return nil
		}
		last := es[len(es)-1].Index
		q.After = &last
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// scanPage is how many entries one sequential read returns.
const scanPage = 4096

var inferenceMarker = []byte(`"inference.re`)

// scanTraffic folds the inference entries with index in [start, end). One
// goroutine reads pages from the store while the caller decodes, so the
// two overlap.
func (f *Facts) scanTraffic(ctx context.Context, r LedgerReader, start, end uint64, horizon time.Time) error {
	if start >= end {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		es  []ledger.RawEntry
		err error
	}
	pages := make(chan page, 2)
	go func() {
		defer close(pages)
		for i := start; i < end; {
			n := int(min(scanPage, end-i))
			es, err := r.LedgerEntries(ctx, i, n)
			if err == nil && len(es) < n {
				err = fmt.Errorf("entries from %d: got %d of %d; run 'attest ledger verify'", i, len(es), n)
			}
			select {
			case pages <- page{es, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			i += uint64(n)
		}
	}()
	sc := &scanner{intern: map[string]string{}}
	for p := range pages {
		if p.err != nil {
			return fmt.Errorf("read inference entries: %w", p.err)
		}
		for _, re := range p.es {
			if !bytes.Contains(re.Data, inferenceMarker) {
				continue
			}
			if err := f.foldTraffic(sc, re, horizon); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// foldTraffic folds one entry if it is an inference request or response.
func (f *Facts) foldTraffic(sc *scanner, re ledger.RawEntry, horizon time.Time) error {
	var x inferenceEntry
	typ, ok := sc.inference(re.Data, &x)
	if !ok {
		x = inferenceEntry{}
		if err := json.Unmarshal(re.Data, &x); err != nil {
			return fmt.Errorf("entry %d: %w", re.Index, err)
		}
		typ = x.Type
	}
	if typ == typeRequest || typ == typeResponse {
		f.foldInference(typ, re.Index, &x, horizon)
	}
	return nil
}

// IndexAt finds the first index whose entry is stamped at or after t, by
// binary search over [0, size). Entry times rise with the index up to the
// seconds a request may take between being stamped and appended, so
// callers that need every entry after t leave a margin.
func IndexAt(ctx context.Context, r LedgerReader, size uint64, t time.Time) (uint64, error) {
	lo, hi := uint64(0), size
	for lo < hi {
		mid := lo + (hi-lo)/2
		es, err := r.LedgerEntries(ctx, mid, 1)
		if err != nil {
			return 0, fmt.Errorf("read entry %d: %w", mid, err)
		}
		if len(es) == 0 {
			return 0, fmt.Errorf("entry %d is missing; run 'attest ledger verify'", mid)
		}
		var head struct {
			Time time.Time `json:"time"`
		}
		if err := json.Unmarshal(es[0].Data, &head); err != nil {
			return 0, fmt.Errorf("entry %d: %w", mid, err)
		}
		if head.Time.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}
