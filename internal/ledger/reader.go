package ledger

import (
	"context"
	"fmt"
)

// StoreReader reads decoded entries from a store. Controls, exports and the
// console use it; they never append.
type StoreReader struct{ Store Store }

var _ Reader = StoreReader{}

// Query implements Reader.
func (r StoreReader) Query(ctx context.Context, q Query) ([]Entry, error) {
	raw, err := r.Store.QueryLedger(ctx, q)
	if err != nil {
		return nil, err
	}
	return decodeAll(raw)
}

// Entry implements Reader.
func (r StoreReader) Entry(ctx context.Context, index uint64) (Entry, error) {
	raw, err := r.Store.LedgerEntries(ctx, index, 1)
	if err != nil {
		return Entry{}, err
	}
	if len(raw) != 1 {
		return Entry{}, fmt.Errorf("entry %d: %w", index, ErrNotFound)
	}
	es, err := decodeAll(raw)
	if err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// Size implements Reader.
func (r StoreReader) Size(ctx context.Context) (uint64, error) {
	n, _, err := r.Store.LedgerHead(ctx)
	return n, err
}

func decodeAll(raw []RawEntry) ([]Entry, error) {
	out := make([]Entry, len(raw))
	for i, re := range raw {
		e, err := ParseEntryData(re.Data)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", re.Index, err)
		}
		out[i] = Entry{Index: re.Index, Event: e, Data: re.Data}
	}
	return out, nil
}

// Each pages through every entry matching q, in index order, calling fn
// for each. It reads in bounded pages, so memory stays flat.
func Each(ctx context.Context, r Reader, q Query, fn func(Entry) error) error {
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	for {
		es, err := r.Query(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(es) < q.Limit {
			return nil
		}
		last := es[len(es)-1].Index
		q.After = &last
	}
}
