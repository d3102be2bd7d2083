package ledger

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// memStore is an in-memory Store whose commits can be made to fail.
type memStore struct {
	mu      sync.Mutex
	size    uint64
	root    tlog.Hash
	entries map[uint64][]byte
	tiles   map[[2]uint64]TileWrite
	cps     []Checkpoint
	fail    atomic.Bool
	gate    chan struct{} // if set, commits wait for it
}

func newMemStore() *memStore {
	e, _ := tlog.TreeHash(0, nil)
	return &memStore{root: e, entries: map[uint64][]byte{}, tiles: map[[2]uint64]TileWrite{}}
}

var errInjected = errors.New("injected store failure")

func (m *memStore) LedgerHead(context.Context) (uint64, tlog.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size, m.root, nil
}

func (m *memStore) AppendLedger(ctx context.Context, b *Batch) error {
	if m.gate != nil {
		<-m.gate
	}
	if m.fail.Load() {
		return errInjected
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b.OldSize != m.size {
		return ErrConflict
	}
	for _, e := range b.Entries {
		m.entries[e.Index] = e.Data
	}
	for _, t := range b.Tiles {
		m.tiles[[2]uint64{t.Level, t.Index}] = t
	}
	m.size, m.root = b.NewSize, b.Root
	return nil
}

func (m *memStore) LedgerTile(_ context.Context, level, index uint64) (int, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tiles[[2]uint64{level, index}]
	if !ok {
		return 0, nil, ErrNotFound
	}
	return t.Width, t.Data, nil
}

func (m *memStore) LedgerTileHashes(ctx context.Context, level, index uint64, offsets []int) (int, []byte, error) {
	w, data, err := m.LedgerTile(ctx, level, index)
	if err != nil {
		return 0, nil, err
	}
	var out []byte
	for _, o := range offsets {
		if o+tlog.HashSize <= len(data) {
			out = append(out, data[o:o+tlog.HashSize]...)
		}
	}
	return w, out, nil
}

func (m *memStore) LedgerEntries(_ context.Context, start uint64, n int) ([]RawEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RawEntry
	for i := start; i < start+uint64(n); i++ {
		if d, ok := m.entries[i]; ok {
			out = append(out, RawEntry{Index: i, Data: d})
		}
	}
	return out, nil
}

func (m *memStore) QueryLedger(context.Context, Query) ([]RawEntry, error) { return nil, nil }
func (m *memStore) SaveCheckpoint(_ context.Context, c Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cps = append(m.cps, c)
	return nil
}
func (m *memStore) AddCosignatures(_ context.Context, size uint64, sigs []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.cps {
		if m.cps[i].Size == size {
			n, err := MergeSignatures(m.cps[i].Note, sigs)
			if err != nil {
				return err
			}
			m.cps[i].Note = n
			return nil
		}
	}
	return ErrNotFound
}
func (m *memStore) LatestCheckpoint(context.Context) (Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cps) == 0 {
		return Checkpoint{}, ErrNotFound
	}
	return m.cps[len(m.cps)-1], nil
}
func (m *memStore) Checkpoints(_ context.Context, from, to uint64) ([]Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Checkpoint
	for _, c := range m.cps {
		if c.Size >= from && c.Size <= to {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Size < out[j].Size })
	return out, nil
}

func ev(i int) Event {
	return MustEvent("test.async", "t", Actor{Kind: ActorService, ID: "x"}, map[string]int{"i": i})
}

// TestAsyncAppendsAreNeverDropped fails the store for a while: synchronous
// callers get an error at once, asynchronous entries are retried until the
// store recovers, and every one of them lands.
func TestAsyncAppendsAreNeverDropped(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	l, err := Open(ctx, st, Options{QueueSize: 64, BatchMax: 8})
	if err != nil {
		t.Fatal(err)
	}
	st.fail.Store(true)
	for i := 0; i < 40; i++ {
		if err := l.AppendAsync(ctx, ev(i)); err != nil {
			t.Fatalf("async append %d: %v", i, err)
		}
	}
	if _, err := l.Append(ctx, ev(999)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("synchronous append during an outage: %v, want ErrUnavailable", err)
	}
	if l.Healthy() == nil {
		t.Fatal("log reports healthy while the store fails")
	}
	time.Sleep(300 * time.Millisecond)
	st.fail.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for l.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l.Pending() != 0 {
		t.Fatalf("%d async entries still pending after recovery", l.Pending())
	}
	if size, _ := l.Head(); size != 40 {
		t.Fatalf("size %d after recovery, want all 40 async entries", size)
	}
	if l.Healthy() != nil {
		t.Fatal("log still unhealthy after recovery")
	}
	l.Close()
	if _, err := l.Append(ctx, ev(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

// TestBackpressure blocks commits: once the bounded queue is full, further
// async appends wait and give up only when their context ends.
func TestBackpressure(t *testing.T) {
	st := newMemStore()
	st.gate = make(chan struct{})
	l, err := Open(context.Background(), st, Options{QueueSize: 4, BatchMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(st.gate)
		l.Close()
	}()
	// One entry is in the blocked commit, four fill the queue.
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := l.AppendAsync(ctx, ev(i))
		cancel()
		if err != nil {
			t.Fatalf("append %d before the queue is full: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = l.AppendAsync(ctx, ev(99))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append to a full queue: %v, want a deadline error", err)
	}
}

// TestCloseCommitsQueued checks that Close drains the queue.
func TestCloseCommitsQueued(t *testing.T) {
	st := newMemStore()
	l, _ := Open(context.Background(), st, Options{})
	for i := 0; i < 100; i++ {
		l.AppendAsync(context.Background(), ev(i))
	}
	l.Close()
	if size, _, _ := st.LedgerHead(context.Background()); size != 100 {
		t.Fatalf("close committed %d of 100 queued entries", size)
	}
}

func TestEventValidation(t *testing.T) {
	a := Actor{Kind: ActorHuman, ID: "alice"}
	cases := []Event{
		{Type: "nodot", Tenant: "t", Actor: a},
		{Type: "a.b", Tenant: "", Actor: a},
		{Type: "a.b", Tenant: "t t", Actor: a},
		{Type: "a.b", Tenant: "t", Actor: Actor{Kind: "robot", ID: "x"}},
		{Type: "a.b", Tenant: "t", Actor: Actor{Kind: ActorAgent}},
		{Type: "a.b", Tenant: "t", Actor: a, Subjects: []Ref{{Kind: "", ID: "x"}}},
		{Type: "a.b", Tenant: "t", Actor: a, Body: []byte(`[1]`)},
		{Type: "a.b", Tenant: "t", Actor: a, Body: []byte(`{"a":`)},
	}
	for i, e := range cases {
		if _, err := e.Canonical(time.Now()); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("case %d accepted: %v", i, err)
		}
	}
	big := Event{Type: "a.b", Tenant: "t", Actor: a, Body: []byte(`{"x":"` + string(make([]byte, 0)) + string(bytesOf('y', MaxEventSize)) + `"}`)}
	if _, err := big.Canonical(time.Now()); !errors.Is(err, ErrInvalidEvent) {
		t.Error("oversized event accepted")
	}
	good := Event{Type: "model.signed", Tenant: "acme", Actor: a, Body: []byte(`{"b":1, "a":2}`), Subjects: []Ref{{Kind: "model", ID: "m@1"}}}
	data, err := good.Canonical(time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"actor":{"id":"alice","kind":"human"},"body":{"a":2,"b":1},"subjects":[{"id":"m@1","kind":"model"}],"tenant":"acme","time":"2026-01-02T03:04:05.000006Z","type":"model.signed"}`
	if string(data) != want {
		t.Fatalf("canonical event\n got %s\nwant %s", data, want)
	}
	back, err := ParseEntryData(data)
	if err != nil || back.Type != good.Type || back.Actor != a {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// TestSubmitConfirmsOnlyOnceDurable holds the store's commit: submitted
// entries are queued at once but confirmed only after their batch is
// committed, each with its own index.
func TestSubmitConfirmsOnlyOnceDurable(t *testing.T) {
	st := newMemStore()
	st.gate = make(chan struct{})
	l, err := Open(context.Background(), st, Options{QueueSize: 16, BatchMax: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var ps []Pending
	for i := range 5 {
		p, err := l.Submit(context.Background(), ev(i))
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		ps = append(ps, p)
	}
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := ps[0].Wait(short); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("wait before the commit: %v, want ErrUnavailable", err)
	}
	close(st.gate)
	seen := map[uint64]bool{}
	for i, p := range ps[1:] {
		idx, err := p.Wait(context.Background())
		if err != nil || seen[idx] {
			t.Fatalf("entry %d: index %d, %v", i+1, idx, err)
		}
		seen[idx] = true
	}
	if size, _, _ := st.LedgerHead(context.Background()); size != 5 {
		t.Fatalf("store holds %d entries, want 5", size)
	}
	if _, err := l.Submit(context.Background(), Event{}); err == nil {
		t.Fatal("an invalid event was queued")
	}
}

// TestDeferredEntriesRideWithTheNextGroup checks that deferred entries
// cost no commit of their own while other appends come, are committed
// alone once DeferMax passes, and are committed by Close.
func TestDeferredEntriesRideWithTheNextGroup(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	var commits atomic.Int64
	l, err := Open(ctx, st, Options{DeferMax: time.Hour, Observe: func(int, time.Duration, error) { commits.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := l.AppendDeferred(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
	}
	if size, _, _ := st.LedgerHead(ctx); size != 0 {
		t.Fatalf("deferred entries committed at once: size %d", size)
	}
	if _, err := l.Append(ctx, ev(100)); err != nil {
		t.Fatal(err)
	}
	if size, _, _ := st.LedgerHead(ctx); size != 4 || commits.Load() != 1 {
		t.Fatalf("after one append: size %d in %d commits, want 4 in 1", size, commits.Load())
	}
	for i := range 5 {
		l.AppendDeferred(ctx, ev(10+i))
	}
	l.Close()
	if size, _, _ := st.LedgerHead(ctx); size != 9 {
		t.Fatalf("close left deferred entries behind: size %d, want 9", size)
	}
	if err := l.AppendDeferred(ctx, ev(99)); !errors.Is(err, ErrClosed) {
		t.Fatalf("deferred append after close: %v", err)
	}

	// Alone, an entry waits at most DeferMax.
	st2 := newMemStore()
	l2, err := Open(ctx, st2, Options{DeferMax: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := l2.AppendDeferred(ctx, ev(1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l2.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if size, _, _ := st2.LedgerHead(ctx); size != 1 {
		t.Fatalf("a lone deferred entry was never committed: size %d", size)
	}
}
