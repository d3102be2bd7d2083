package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Options tune a Log. Zero values take the defaults.
type Options struct {
	// BatchMax caps how many appends one transaction commits.
	BatchMax int
	// QueueSize bounds the queue shared by synchronous and asynchronous
	// appends; a full queue pushes back on producers.
	QueueSize int
	// CacheTiles bounds the full tiles kept in memory for proofs. Memory
	// stays flat as the ledger grows.
	CacheTiles int
	// CommitTimeout bounds one store transaction.
	CommitTimeout time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
	// Observe, if set, is told the size and duration of every commit.
	Observe func(entries int, d time.Duration, err error)
	// DeferMax is the longest an AppendDeferred entry waits for a
	// group to ride with before it is committed on its own.
	DeferMax time.Duration
}

func (o *Options) defaults() {
	if o.BatchMax <= 0 {
		o.BatchMax = 4096
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 65536
	}
	if o.CacheTiles <= 0 {
		o.CacheTiles = 1024
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = 30 * time.Second
	}
	if o.DeferMax <= 0 {
		o.DeferMax = 20 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// ErrClosed is returned by appends after Close.
var ErrClosed = errors.New("ledger is closed")

// ErrUnavailable wraps failures to make an entry durable, so callers can fail
// closed with a 503.
var ErrUnavailable = errors.New("ledger unavailable")

// Log is the append-only Merkle log. Appends from many goroutines are group
// committed: one transaction per batch, and every caller learns its index
// only after that transaction is durable.
type Log struct {
	st   Store
	opt  Options
	reqs chan *request
	// edge is the right edge of the tree this process knows, with its
	// root. It only moves forward: see advance.
	edge  atomic.Pointer[edge]
	cache *tileCache
	// catchUp serialises reloads for readers that need entries another
	// replica appended.
	catchUp sync.Mutex

	lastErr  atomic.Pointer[error]
	pending  atomic.Int64
	retrying atomic.Bool // the store failed and async entries await a retry

	closeOnce sync.Once
	closing   chan struct{}
	done      chan struct{}

	// Deferred entries wait here, outside the queue, for the next group.
	deferMu     sync.Mutex
	deferred    []*request
	deferClosed bool
	deferKick   chan struct{} // the first deferred entry arms the committer's timer
}

var (
	_ Appender  = (*Log)(nil)
	_ Deferrer  = (*Log)(nil)
	_ Submitter = (*Log)(nil)
)

type request struct {
	entry BatchEntry
	leaf  tlog.Hash
	done  chan result // nil for asynchronous appends
}

type result struct {
	index uint64
	err   error
}

// Open loads the right edge of the tree from the store and starts the
// committer.
func Open(ctx context.Context, st Store, opt Options) (*Log, error) {
	opt.defaults()
	l := &Log{
		st:        st,
		opt:       opt,
		reqs:      make(chan *request, opt.QueueSize),
		cache:     newTileCache(opt.CacheTiles),
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
		deferKick: make(chan struct{}, 1),
	}
	if err := l.reload(ctx); err != nil {
		return nil, err
	}
	go l.run()
	return l, nil
}

// reload rebuilds the in-memory right edge from the committed head.
func (l *Log) reload(ctx context.Context) error {
	size, root, err := l.st.LedgerHead(ctx)
	if err != nil {
		return fmt.Errorf("read ledger head: %w", err)
	}
	e := &edge{size: size}
	for level := 0; level < edgeLevels(size); level++ {
		w := edgeWidth(size, level)
		if w == 0 {
			e.tiles = append(e.tiles, newFatTile())
			continue
		}
		idx := edgeTileIndex(size, level)
		sw, data, err := l.st.LedgerTile(ctx, uint64(level), idx)
		if err != nil {
			return fmt.Errorf("read edge tile %d/%d: %w", level, idx, err)
		}
		if sw < w {
			return fmt.Errorf("edge tile %d/%d has width %d, the head needs %d: the store is inconsistent, run 'attest ledger verify'", level, idx, sw, w)
		}
		t, err := decodeFatTile(sw, data)
		if err != nil {
			return fmt.Errorf("edge tile %d/%d: %w", level, idx, err)
		}
		// A replica may have appended past our head between the two reads;
		// trim to the head we read so the edge matches it exactly.
		for k := range t.lv {
			t.lv[k] = t.lv[k][:w>>k]
		}
		e.tiles = append(e.tiles, t)
	}
	got, err := tlog.TreeHash(int64(size), edgeReader{e})
	if err != nil {
		return fmt.Errorf("recompute root: %w", err)
	}
	if got != root {
		return fmt.Errorf("stored root of size %d does not match its tiles: the store is inconsistent, run 'attest ledger verify'", size)
	}
	e.root = root
	l.advance(e)
	return nil
}

// advance publishes e as the known edge unless the known one is as large
// already. The store's head only grows, so a larger edge always holds a
// smaller one's entries, and a reload racing a commit never moves the edge
// back.
func (l *Log) advance(e *edge) {
	for {
		cur := l.edge.Load()
		if cur != nil && cur.size >= e.size {
			return
		}
		if l.edge.CompareAndSwap(cur, e) {
			return
		}
	}
}

// CatchUp makes entries up to size known to this process if the store
// holds them: another replica may have appended them. Readers call it
// before answering for a size beyond Size, such as a proof against a
// checkpoint that replica published.
func (l *Log) CatchUp(ctx context.Context, size uint64) error {
	if size <= l.Size() {
		return nil
	}
	l.catchUp.Lock()
	defer l.catchUp.Unlock()
	if size <= l.Size() {
		return nil // another reader caught up meanwhile
	}
	// Most such sizes are simply beyond the tree: one read of the head
	// says so without reloading the edge.
	head, _, err := l.st.LedgerHead(ctx)
	if err != nil {
		return fmt.Errorf("read ledger head: %w", err)
	}
	if head <= l.Size() {
		return nil
	}
	return l.reload(ctx)
}

// Size is the number of durable entries this process knows of.
func (l *Log) Size() uint64 { return l.edge.Load().size }

// Latest is the number of durable entries in the store, which replicas
// share: unlike Size, it includes entries other replicas appended, and
// makes them known to this process.
func (l *Log) Latest(ctx context.Context) (uint64, error) {
	head, _, err := l.st.LedgerHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("read ledger head: %w", err)
	}
	if err := l.CatchUp(ctx, head); err != nil {
		return 0, err
	}
	return l.Size(), nil
}

// Head returns the size and root hash of the committed tree.
func (l *Log) Head() (uint64, tlog.Hash) {
	e := l.edge.Load()
	return e.size, e.root
}

// Healthy reports the last commit failure, if the most recent commit failed.
func (l *Log) Healthy() error {
	if p := l.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Pending is the number of queued entries not yet durable.
func (l *Log) Pending() int64 { return l.pending.Load() }

func (l *Log) prepare(e Event) (*request, error) {
	data, err := e.Canonical(l.opt.Now())
	if err != nil {
		return nil, err
	}
	return &request{
		entry: BatchEntry{Type: e.Type, Tenant: e.Tenant, Time: e.Time, Subjects: e.Subjects, Data: data},
		leaf:  tlog.RecordHash(data),
	}, nil
}

func (l *Log) enqueue(ctx context.Context, r *request) error {
	select {
	case <-l.closing:
		return ErrClosed
	default:
	}
	l.pending.Add(1)
	select {
	case l.reqs <- r:
		return nil
	case <-ctx.Done():
		l.pending.Add(-1)
		return fmt.Errorf("%w: queue full: %w", ErrUnavailable, ctx.Err())
	case <-l.closing:
		l.pending.Add(-1)
		return ErrClosed
	}
}

// Append validates, stamps and sequences e, and returns its index once the
// entry is durable.
func (l *Log) Append(ctx context.Context, e Event) (uint64, error) {
	p, err := l.Submit(ctx, e)
	if err != nil {
		return 0, err
	}
	return p.Wait(ctx)
}

// Submit implements Submitter: it queues e as Append does and returns at
// once; the entry is committed with the next group.
func (l *Log) Submit(ctx context.Context, e Event) (Pending, error) {
	if l.retrying.Load() {
		// Fail closed at once while the store is down, rather than queue
		// behind entries that are already waiting.
		return nil, fmt.Errorf("%w: the store is failing: %v", ErrUnavailable, l.Healthy())
	}
	r, err := l.prepare(e)
	if err != nil {
		return nil, err
	}
	r.done = make(chan result, 1)
	if err := l.enqueue(ctx, r); err != nil {
		return nil, err
	}
	return pending(r.done), nil
}

// pending is the Pending of an entry queued by Submit.
type pending chan result

func (p pending) Wait(ctx context.Context) (uint64, error) {
	select {
	case res := <-p:
		return res.index, res.err
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: not confirmed durable before the deadline (it may still be committed): %w", ErrUnavailable, ctx.Err())
	}
}

// AppendAsync queues e without waiting for durability. It blocks while the
// queue is full (backpressure) and fails only if ctx ends first or the log
// is closed; once queued, an entry is retried until it is committed.
func (l *Log) AppendAsync(ctx context.Context, e Event) error {
	r, err := l.prepare(e)
	if err != nil {
		return err
	}
	return l.enqueue(ctx, r)
}

// AppendDeferred implements Deferrer: e is committed with the next group
// of other appends, or on its own after Options.DeferMax, so an entry that
// no caller waits for costs no commit of its own under steady traffic. Like
// AppendAsync, a failed commit is retried; unlike it, a crash can lose the
// entries of the last DeferMax.
func (l *Log) AppendDeferred(ctx context.Context, e Event) error {
	r, err := l.prepare(e)
	if err != nil {
		return err
	}
	l.deferMu.Lock()
	if l.deferClosed {
		l.deferMu.Unlock()
		return ErrClosed
	}
	if len(l.deferred) >= l.opt.QueueSize {
		// A backlog: queue it like an asynchronous append, which pushes back.
		l.deferMu.Unlock()
		return l.enqueue(ctx, r)
	}
	l.deferred = append(l.deferred, r)
	first := len(l.deferred) == 1
	l.pending.Add(1)
	l.deferMu.Unlock()
	if first {
		l.kickDeferred()
	}
	return nil
}

func (l *Log) kickDeferred() {
	select {
	case l.deferKick <- struct{}{}:
	default:
	}
}

// takeDeferred moves deferred entries into batch, up to BatchMax. With
// last set it also refuses further deferred appends: the committer is
// about to stop.
func (l *Log) takeDeferred(batch []*request, last bool) []*request {
	l.deferMu.Lock()
	defer l.deferMu.Unlock()
	n := min(len(l.deferred), max(l.opt.BatchMax-len(batch), 0))
	batch = append(batch, l.deferred[:n]...)
	rest := copy(l.deferred, l.deferred[n:])
	clear(l.deferred[rest:])
	l.deferred = l.deferred[:rest]
	if rest > 0 {
		l.kickDeferred()
	}
	if last && rest == 0 {
		l.deferClosed = true
	}
	return batch
}

// Close stops accepting appends, commits everything queued and returns.
func (l *Log) Close() error {
	l.closeOnce.Do(func() { close(l.closing) })
	<-l.done
	return nil
}

func (l *Log) run() {
	defer close(l.done)
	var retry []*request // asynchronous entries whose commit failed
	batch := make([]*request, 0, l.opt.BatchMax)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if len(retry) > 0 {
			retry = l.recover(retry)
			continue
		}
		batch = batch[:0]
		last := false
		select {
		case r := <-l.reqs:
			batch = append(batch, r)
		case <-l.deferKick:
			timer.Reset(l.opt.DeferMax)
			continue
		case <-timer.C:
			// Deferred entries waited long enough: commit them alone.
		case <-l.closing:
			// Drain whatever producers queued before Close.
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				last = true
			}
		}
	drain:
		for len(batch) < l.opt.BatchMax {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		batch = l.takeDeferred(batch, last)
		if len(batch) == 0 {
			if last {
				return
			}
			continue
		}
		if err := l.commit(batch); err != nil {
			retry = l.fail(batch, err, retry)
		}
	}
}

// fail answers the synchronous requests of a failed batch and keeps the
// asynchronous ones for retrying: they are never dropped.
func (l *Log) fail(batch []*request, err error, retry []*request) []*request {
	for _, r := range batch {
		if r.done != nil {
			l.pending.Add(-1)
			r.done <- result{err: err}
		} else {
			retry = append(retry, r)
		}
	}
	if len(retry) > 0 {
		l.retrying.Store(true)
		l.opt.Logger.Error("ledger commit failed; retrying queued entries", "entries", len(retry), "err", err)
	}
	return retry
}

// recover runs while the store is failing: it waits, fails queued
// synchronous appends at once (callers fail closed instead of hanging),
// keeps asynchronous ones up to the queue bound, and retries in batches.
func (l *Log) recover(retry []*request) []*request {
	select {
	case <-time.After(200 * time.Millisecond):
	case <-l.closing:
		time.Sleep(200 * time.Millisecond)
	}
	unavailable := fmt.Errorf("%w: the store is failing and queued evidence is being retried", ErrUnavailable)
drain:
	for len(retry) < l.opt.QueueSize {
		select {
		case r := <-l.reqs:
			if r.done != nil {
				l.pending.Add(-1)
				r.done <- result{err: unavailable}
			} else {
				retry = append(retry, r)
			}
		default:
			break drain
		}
	}
	for len(retry) > 0 {
		n := min(len(retry), l.opt.BatchMax)
		if err := l.commit(retry[:n]); err != nil {
			return retry
		}
		retry = retry[n:]
	}
	l.retrying.Store(false)
	return nil
}

// commit makes one batch durable and publishes the new edge.
func (l *Log) commit(batch []*request) error {
	start := time.Now()
	var err error
	for attempt := 0; attempt < 100; attempt++ {
		err = l.tryCommit(batch)
		if !errors.Is(err, ErrConflict) {
			break
		}
		if attempt > 2 {
			// Replicas racing for the head: back off a little, randomly.
			time.Sleep(time.Duration(rand.IntN(1000*(attempt+1))) * time.Microsecond)
		}
		// Another replica appended: catch up and sequence after it.
		ctx, cancel := context.WithTimeout(context.Background(), l.opt.CommitTimeout)
		err = l.reload(ctx)
		cancel()
		if err != nil {
			break
		}
		err = ErrConflict
	}
	if l.opt.Observe != nil {
		l.opt.Observe(len(batch), time.Since(start), err)
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		l.lastErr.Store(&err)
		return err
	}
	l.lastErr.Store(nil)
	return nil
}

func (l *Log) tryCommit(batch []*request) error {
	ed := l.edge.Load().clone()
	old := ed.size
	leaves := make([]tlog.Hash, len(batch))
	b := &Batch{OldSize: old, Entries: make([]BatchEntry, len(batch))}
	for i, r := range batch {
		leaves[i] = r.leaf
		b.Entries[i] = r.entry
		b.Entries[i].Index = old + uint64(i)
	}
	b.Tiles = ed.appendLeaves(leaves)
	b.NewSize = ed.size
	root, err := tlog.TreeHash(int64(ed.size), edgeReader{ed})
	if err != nil {
		return fmt.Errorf("compute root: %w", err)
	}
	b.Root = root
	ed.root = root
	ctx, cancel := context.WithTimeout(context.Background(), l.opt.CommitTimeout)
	defer cancel()
	if err := l.st.AppendLedger(ctx, b); err != nil {
		return err
	}
	l.advance(ed)
	for i, r := range batch {
		l.pending.Add(-1)
		if r.done != nil {
			r.done <- result{index: old + uint64(i)}
		}
	}
	return nil
}
