package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Witness is one witness the log asks for cosignatures.
type Witness struct {
	// Name labels the witness in logs, metrics and evidence; it defaults
	// to the name of its key.
	Name string
	// URL is the witness's submission prefix; requests go to
	// URL/add-checkpoint.
	URL string
	// Key is the witness's verifier key (see ParseKey).
	Key string
}

// Store is where the client finds the newest checkpoint and keeps the
// cosignatures it collects. ledger.Store satisfies it.
type Store interface {
	LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error)
	AddCosignatures(ctx context.Context, size uint64, sigs []byte) error
}

// Prover proves that one tree is a prefix of a larger one. *ledger.Log
// satisfies it.
type Prover interface {
	ConsistencyProof(ctx context.Context, old, new uint64) ([]tlog.Hash, error)
}

var (
	_ Store  = ledger.Store(nil)
	_ Prover = (*ledger.Log)(nil)
)

// Deps configure a Client.
type Deps struct {
	Witnesses []Witness
	Store     Store
	Proofs    Prover
	// Log, if set, records a ledger.witnessed event whenever a witness's
	// outcome changes.
	Log ledger.Appender
	// Timeout bounds one request to a witness; default 10s.
	Timeout time.Duration
	// HTTP defaults to a client that does not follow redirects.
	HTTP    *http.Client
	Logger  *slog.Logger
	Now     func() time.Time
	Observe func(witness, result string)
}

// Results of one submission, as metrics and ledger.witnessed report them.
const (
	ResultCosigned      = "cosigned"
	ResultStale         = "stale"          // the witness has cosigned a newer checkpoint
	ResultConflict      = "conflict"       // 409 again after retrying with the witness's size
	ResultUnknownLog    = "unknown_log"    // 404
	ResultForbidden     = "forbidden"      // 403
	ResultInconsistent  = "inconsistent"   // 422
	ResultBadRequest    = "bad_request"    // 400
	ResultUnavailable   = "unavailable"    // no answer, or another status
	ResultInvalidAnswer = "invalid_answer" // an answer that does not parse or verify
	ResultError         = "error"          // the log could not build the request
)

// EventWitnessed is the ledger event of a witness's changed outcome.
const EventWitnessed = "ledger.witnessed"

var clientActor = ledger.Actor{Kind: ledger.ActorService, ID: "witness-client"}

// Back-off of a witness after consecutive failures, so that one that is
// down or refuses the log is asked ever less often.
const (
	backoffBase = 10 * time.Second
	backoffMax  = 5 * time.Minute
)

// Client asks witnesses to cosign the log's newest checkpoint and stores
// their cosignatures with it. It never blocks appends or publication: it
// runs on its own goroutine and is only nudged by Notify.
type Client struct {
	d     Deps
	peers []*peer
	kick  chan struct{}
	mu    sync.Mutex // one round at a time; guards the peers' state
}

// peer is a witness and what the client knows of it.
type peer struct {
	Witness
	v   note.Verifier
	url string
	// size is the size of the checkpoint the witness last cosigned, as
	// far as this process knows; 0 until it answers.
	size     uint64
	failures int
	retryAt  time.Time
	last     string // the result last recorded as evidence
}

// outcome is the result of submitting one checkpoint to one witness.
type outcome struct {
	result string
	status int
	line   []byte // the verified cosignature, if cosigned
	err    error
}

// NewClient checks the witnesses' keys and URLs and returns a client.
func NewClient(d Deps) (*Client, error) {
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	c := &Client{d: d, kick: make(chan struct{}, 1)}
	for _, w := range d.Witnesses {
		v, err := ParseKey(w.Key)
		if err != nil {
			return nil, fmt.Errorf("witness %q: key: %w", w.Name, err)
		}
		if w.Name == "" {
			w.Name = v.Name()
		}
		c.peers = append(c.peers, &peer{Witness: w, v: v, url: strings.TrimSuffix(w.URL, "/") + "/add-checkpoint"})
	}
	return c, nil
}

// Notify nudges Run to cosign a newly published checkpoint. It never
// blocks; nudges that arrive during a round are folded into one more.
func (c *Client) Notify(ledger.Checkpoint) {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run cosigns the newest checkpoint at once (it may predate this process),
// after each Notify, and when a failed witness's back-off ends, until ctx
// ends.
func (c *Client) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-timer.C:
		}
		if _, err := c.Cosign(ctx); err != nil && ctx.Err() == nil {
			c.d.Logger.Error("witness cosignatures", "err", err)
		}
		timer.Stop()
		if at, ok := c.nextRetry(); ok {
			timer.Reset(max(at.Sub(c.d.Now()), time.Second))
		}
	}
}

// nextRetry is the earliest end of a witness's back-off.
func (c *Client) nextRetry() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for _, p := range c.peers {
		if p.failures > 0 && (at.IsZero() || p.retryAt.Before(at)) {
			at = p.retryAt
		}
	}
	return at, !at.IsZero()
}

// Cosign asks each witness that has not cosigned the newest checkpoint,
// and is not backing off, to cosign it, and stores the cosignatures it
// gets with the checkpoint. It returns how many witnesses still have not
// cosigned it. Witness failures are logged and counted, not returned: the
// error says the checkpoint could not be read or the cosignatures stored.
func (c *Client) Cosign(ctx context.Context) (missing int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, err := c.d.Store.LatestCheckpoint(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return len(c.peers), fmt.Errorf("read the newest checkpoint: %w", err)
	}
	text := noteText(cp.Note)
	now := c.d.Now()
	var due []*peer
	for _, p := range c.peers {
		if _, err := note.Open(cp.Note, note.VerifierList(p.v)); err == nil {
			// Already cosigned, perhaps through another replica: whatever
			// failed before is over.
			p.failures, p.retryAt = 0, time.Time{}
			continue
		}
		missing++
		if now.Before(p.retryAt) {
			continue
		}
		due = append(due, p)
	}
	outs := make([]outcome, len(due))
	var wg sync.WaitGroup
	for i, p := range due {
		wg.Go(func() { outs[i] = c.submit(ctx, p, cp, text) })
	}
	wg.Wait()
	var lines []byte
	for _, o := range outs {
		lines = append(lines, o.line...)
	}
	if len(lines) > 0 {
		if err := c.d.Store.AddCosignatures(ctx, cp.Size, lines); err != nil {
			return missing, fmt.Errorf("store cosignatures of checkpoint %d: %w", cp.Size, err)
		}
	}
	for i, p := range due {
		if outs[i].result == ResultCosigned {
			missing--
		}
		c.settle(ctx, p, cp.Size, outs[i])
	}
	return missing, nil
}

// noteText is the signed text of a well-formed note, without signatures.
func noteText(signed []byte) []byte {
	return signed[:bytes.LastIndex(signed, []byte("\n\n"))+1]
}

// submit sends one checkpoint to one witness. A 409 means the witness
// cosigned a different size than the client thought; the client retries
// once from that size.
func (c *Client) submit(ctx context.Context, p *peer, cp ledger.Checkpoint, text []byte) outcome {
	for attempt := 0; ; attempt++ {
		if p.size > cp.Size {
			return outcome{result: ResultStale, err: fmt.Errorf("the witness has cosigned size %d, newer than this checkpoint", p.size)}
		}
		proof, err := c.d.Proofs.ConsistencyProof(ctx, p.size, cp.Size)
		if err != nil {
			return outcome{result: ResultError, err: fmt.Errorf("prove consistency from %d: %w", p.size, err)}
		}
		body := Request{OldSize: p.size, Proof: proof, Checkpoint: cp.Note}.Marshal()
		status, answer, err := c.post(ctx, p, body)
		if err != nil {
			return outcome{result: ResultUnavailable, err: err}
		}
		o := outcome{status: status}
		switch status {
		case http.StatusOK:
			line, err := cosignature(text, answer, p.v)
			if err != nil {
				o.result, o.err = ResultInvalidAnswer, err
				return o
			}
			p.size = cp.Size
			o.result, o.line = ResultCosigned, line
			return o
		case http.StatusConflict:
			size, err := ParseSize(answer)
			if err != nil {
				o.result, o.err = ResultInvalidAnswer, fmt.Errorf("409 without the witness's size: %w", err)
				return o
			}
			p.size = size
			if attempt == 0 {
				continue
			}
			o.result, o.err = ResultConflict, fmt.Errorf("the witness answered 409 again, now with size %d", size)
		case http.StatusNotFound:
			o.result, o.err = ResultUnknownLog, errors.New("the witness does not know this log; give its operator the log's verifier key ('attest ledger key')")
		case http.StatusForbidden:
			o.result, o.err = ResultForbidden, errors.New("the witness does not accept the log's signature; its operator must configure the log's current verifier key")
		case http.StatusUnprocessableEntity:
			o.result, o.err = ResultInconsistent, errors.New("the witness found this checkpoint inconsistent with one it cosigned before: the log may have been forked or rewritten; run 'attest ledger verify' and compare with the witness's checkpoint")
		case http.StatusBadRequest:
			o.result, o.err = ResultBadRequest, fmt.Errorf("the witness refused the request as malformed: %s", snippet(answer))
		default:
			o.result, o.err = ResultUnavailable, fmt.Errorf("unexpected status %d: %s", status, snippet(answer))
		}
		return o
	}
}

func (c *Client) post(ctx context.Context, p *peer, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.d.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, fmt.Errorf("read the answer: %w", err)
	}
	if len(answer) > maxBody {
		return 0, nil, fmt.Errorf("the answer is larger than %d bytes", maxBody)
	}
	return resp.StatusCode, answer, nil
}

// snippet quotes the start of an error body for a log line.
func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("%q", bytes.TrimSpace(b))
}

// settle updates a witness's back-off, logs and counts the outcome, and
// records it as evidence if it differs from the last one recorded.
func (c *Client) settle(ctx context.Context, p *peer, size uint64, o outcome) {
	if c.d.Observe != nil {
		c.d.Observe(p.Name, o.result)
	}
	switch o.result {
	case ResultCosigned:
		if p.failures > 0 {
			c.d.Logger.Info("witness cosigns again", "witness", p.Name, "size", size)
		}
		p.failures, p.retryAt = 0, time.Time{}
	case ResultStale:
		// Another replica's newer checkpoint got there first; this one's
		// successor will be cosigned.
		c.d.Logger.Debug("witness is ahead of this checkpoint", "witness", p.Name, "size", size, "witness_size", p.size)
		return
	default:
		p.failures++
		wait := min(backoffBase<<min(p.failures-1, 10), backoffMax)
		p.retryAt = c.d.Now().Add(wait)
		level := slog.LevelWarn
		if o.result == ResultInconsistent {
			level = slog.LevelError
		}
		c.d.Logger.Log(ctx, level, "witness did not cosign the checkpoint", "witness", p.Name, "size", size, "result", o.result, "status", o.status, "err", o.err, "retry_in", wait)
	}
	if o.result == p.last || c.d.Log == nil {
		return
	}
	// Only changes are recorded: an event per checkpoint would grow the
	// log, which makes a new checkpoint, which asks the witness again.
	e, err := ledger.NewEvent(EventWitnessed, "system", clientActor, witnessedBody{
		Witness: p.Name, Key: fmt.Sprintf("%s+%08x", p.v.Name(), p.v.KeyHash()), Size: size,
		Cosigned: o.result == ResultCosigned, Result: o.result, Status: o.status,
	}, ledger.Ref{Kind: "witness", ID: p.Name})
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, c.d.Timeout)
		_, err = c.d.Log.Append(actx, e)
		cancel()
	}
	if errors.Is(err, ledger.ErrClosed) {
		return // the final round of a shutdown; the next start records it
	}
	if err != nil {
		c.d.Logger.Warn("record witness outcome", "witness", p.Name, "err", err)
		return
	}
	p.last = o.result
}

// witnessedBody is the body of ledger.witnessed.
type witnessedBody struct {
	Witness  string `json:"witness"`
	Key      string `json:"key"`
	Size     uint64 `json:"size"`
	Cosigned bool   `json:"cosigned"`
	Result   string `json:"result"`
	Status   int    `json:"status,omitempty"`
}
