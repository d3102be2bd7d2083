package controls

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/ledger"
)

// Ledger event types the engine records.
const (
	EventEvaluated = "control.evaluated"
	EventAttested  = "control.attested"
)

// SystemTenant is the tenant of the engine's own events.
const SystemTenant = "system"

// Actor is how the engine appears in the ledger.
var Actor = ledger.Actor{Kind: ledger.ActorService, ID: "controls"}

// State keys in the Store.
const (
	stateFacts   = "facts"
	stateLastRun = "last_run"
)

// Deps are what the engine reads and where it records results.
type Deps struct {
	Ledger LedgerReader
	Log    ledger.Appender
	Store  Store
	Keys   KeyLister
	// Components, if set, lists components found in configuration.
	Components ComponentSource
	// VerifierKey is the ledger's own checkpoint verifier key.
	VerifierKey string
	Settings    Settings
	// Catalog defaults to the built-in catalog.
	Catalog *Catalog
	Now     func() time.Time
	Logger  *slog.Logger
}

// Engine evaluates the catalog's controls, on demand and on a schedule.
type Engine struct {
	d  Deps
	mu sync.Mutex // one evaluation at a time per process
}

// New returns an engine. It fails only if the built-in catalog is broken.
func New(d Deps) (*Engine, error) {
	if d.Catalog == nil {
		cat, err := Builtin()
		if err != nil {
			return nil, err
		}
		d.Catalog = cat
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	d.Settings.defaults()
	return &Engine{d: d}, nil
}

// Catalog is the catalog in force.
func (e *Engine) Catalog() *Catalog { return e.d.Catalog }

// Reader is the ledger the engine reads, for reports built on it.
func (e *Engine) Reader() LedgerReader { return e.d.Ledger }

// RunResult is one evaluation of every control.
type RunResult struct {
	ID             string          `json:"id"`
	Time           time.Time       `json:"time"`
	CatalogVersion string          `json:"catalog_version"`
	LedgerSize     uint64          `json:"ledger_size"`
	Duration       time.Duration   `json:"duration_ns"`
	Controls       []ControlResult `json:"controls"`
}

// Result returns the run's result for a control.
func (r *RunResult) Result(control string) (ControlResult, bool) {
	for _, c := range r.Controls {
		if c.Control == control {
			return c, true
		}
	}
	return ControlResult{}, false
}

// facts loads the saved facts and brings them up to date with the ledger.
func (e *Engine) facts(ctx context.Context, now time.Time) (*Facts, error) {
	f := NewFacts()
	b, err := e.d.Store.ControlState(ctx, stateFacts)
	switch {
	case err == nil:
		if saved, ok := DecodeFacts(b); ok {
			f = saved
		}
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("load control facts: %w", err)
	}
	if err := f.update(ctx, e.d.Ledger, now); err != nil {
		return nil, err
	}
	return f, nil
}

// Facts returns the facts brought up to date, without evaluating.
func (e *Engine) Facts(ctx context.Context) (*Facts, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.facts(ctx, e.d.Now().UTC())
}

// input gathers everything the checks read.
func (e *Engine) input(ctx context.Context, f *Facts, now time.Time) (*Input, error) {
	in := &Input{Now: now, Facts: f, Head: f.Size, LogKey: e.d.VerifierKey, Settings: e.d.Settings}
	keys, err := e.d.Keys.Keys(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	in.Keys = keys
	cp, err := e.d.Ledger.LatestCheckpoint(ctx)
	switch {
	case err == nil:
		in.Checkpoint = &cp
	case !errors.Is(err, ledger.ErrNotFound):
		return nil, fmt.Errorf("read latest checkpoint: %w", err)
	}
	if e.d.Components != nil {
		if in.Components, err = e.d.Components.Components(ctx); err != nil {
			return nil, fmt.Errorf("list configured components: %w", err)
		}
	}
	return in, nil
}

// Evaluate runs every check, records one control.evaluated event per
// control, saves the facts and returns the run.
func (e *Engine) Evaluate(ctx context.Context) (*RunResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	start := time.Now()
	now := e.d.Now().UTC()
	f, err := e.facts(ctx, now)
	if err != nil {
		return nil, err
	}
	in, err := e.input(ctx, f, now)
	if err != nil {
		return nil, err
	}
	run := &RunResult{ID: runID(now), Time: now, CatalogVersion: e.d.Catalog.Version, LedgerSize: f.Size}
	run.Controls = e.evaluate(in)
	if err := e.record(ctx, run); err != nil {
		return nil, err
	}
	run.Duration = time.Since(start)
	if err := e.save(ctx, f, run); err != nil {
		return nil, err
	}
	return run, nil
}

// evaluate runs each check once and combines results per control.
func (e *Engine) evaluate(in *Input) []ControlResult {
	results := map[string]Result{}
	out := make([]ControlResult, 0, len(e.d.Catalog.Controls))
	for i := range e.d.Catalog.Controls {
		k := &e.d.Catalog.Controls[i]
		cr := ControlResult{Control: k.ID, Time: in.Now}
		if k.Automated() {
			for _, name := range k.Checks {
				r, ok := results[name]
				if !ok {
					r, _ = Run(name, in)
					results[name] = r
				}
				cr.Checks = append(cr.Checks, r)
			}
			cr.Status, cr.Reason = combine(cr.Checks)
		} else {
			cr.Status, cr.Reason, cr.Attestation = attestationStatus(k, in.Facts.Attestations[k.ID], in.Now)
		}
		out = append(out, cr)
	}
	return out
}

// attestationStatus judges a manual control by its newest attestation.
func attestationStatus(k *Control, a *AttestationRef, now time.Time) (Status, string, *AttestationRef) {
	if a == nil {
		return NoEvidence, missingAttestation(k.Attestation.Instructions), nil
	}
	ref := *a
	limit := a.Time.Add(k.Attestation.Expiry.D)
	if ref.Expires.IsZero() || ref.Expires.After(limit) {
		ref.Expires = limit
	}
	if !now.Before(ref.Expires) {
		return Stale, "the newest attestation expired on " + ref.Expires.Format("2006-01-02"), &ref
	}
	return Pass, "attested on " + a.Time.Format("2006-01-02") + ", current until " + ref.Expires.Format("2006-01-02"), &ref
}

// missingAttestation is the reason of a manual control without evidence.
// The control's instructions continue the sentence, so their first word is
// lowercased when it is an ordinary capitalized word ("Upload the ..."),
// and left alone when it is not ("SOC 2 ...").
func missingAttestation(instructions string) string {
	const reason = "no attestation has been uploaded"
	instructions = strings.TrimSpace(instructions)
	if instructions == "" {
		return reason
	}
	r, n := utf8.DecodeRuneInString(instructions)
	next, _ := utf8.DecodeRuneInString(instructions[n:])
	if unicode.IsUpper(r) && unicode.IsLower(next) {
		instructions = string(unicode.ToLower(r)) + instructions[n:]
	}
	return reason + "; " + instructions
}

// evaluatedBody is the body of a control.evaluated event.
type evaluatedBody struct {
	RunID          string          `json:"run_id"`
	Control        string          `json:"control"`
	CatalogVersion string          `json:"catalog_version"`
	Status         Status          `json:"status"`
	Reason         string          `json:"reason"`
	LedgerSize     uint64          `json:"ledger_size"`
	Checks         []Result        `json:"checks,omitempty"`
	Attestation    *AttestationRef `json:"attestation,omitempty"`
}

// record appends one control.evaluated event per control. The appends run
// concurrently so the ledger commits them as one group.
func (e *Engine) record(ctx context.Context, run *RunResult) error {
	var wg sync.WaitGroup
	errs := make([]error, len(run.Controls))
	for i := range run.Controls {
		cr := &run.Controls[i]
		ev, err := ledger.NewEvent(EventEvaluated, SystemTenant, Actor, evaluatedBody{
			RunID: run.ID, Control: cr.Control, CatalogVersion: run.CatalogVersion, Status: cr.Status, Reason: cr.Reason,
			LedgerSize: run.LedgerSize, Checks: cr.Checks, Attestation: cr.Attestation,
		}, ledger.Ref{Kind: "control", ID: cr.Control})
		if err != nil {
			return err
		}
		ev.Time = run.Time
		wg.Add(1)
		go func() {
			defer wg.Done()
			cr.Index, errs[i] = e.d.Log.Append(ctx, ev)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("record control results: %w", err)
	}
	return nil
}

func (e *Engine) save(ctx context.Context, f *Facts, run *RunResult) error {
	fb, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := e.d.Store.PutControlState(ctx, stateFacts, fb); err != nil {
		return fmt.Errorf("save control facts: %w", err)
	}
	rb, err := json.Marshal(run)
	if err != nil {
		return err
	}
	if err := e.d.Store.PutControlState(ctx, stateLastRun, rb); err != nil {
		return fmt.Errorf("save last run: %w", err)
	}
	return nil
}

// LastRun returns the newest evaluation, or ErrNotFound if none ran.
func (e *Engine) LastRun(ctx context.Context) (*RunResult, error) {
	b, err := e.d.Store.ControlState(ctx, stateLastRun)
	if err != nil {
		return nil, err
	}
	var r RunResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode last run: %w", err)
	}
	return &r, nil
}

// Schedule evaluates every interval until ctx ends. Failures are logged
// and retried at the next tick; a run that cannot be recorded leaves the
// controls stale, which is itself visible.
func (e *Engine) Schedule(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
			e.d.Logger.Error("evaluate controls", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Components lists the in-scope components with their controls.
func (e *Engine) Components(ctx context.Context, f *Facts) ([]ScopedComponent, error) {
	var cfg []Component
	if e.d.Components != nil {
		var err error
		if cfg, err = e.d.Components.Components(ctx); err != nil {
			return nil, fmt.Errorf("list configured components: %w", err)
		}
		for i := range cfg {
			if cfg[i].Source == "" {
				cfg[i].Source = "config"
			}
		}
	}
	user, err := e.d.Store.Components(ctx)
	if err != nil {
		return nil, fmt.Errorf("list added components: %w", err)
	}
	for i := range user {
		user[i].Source = "user"
	}
	return Scope(e.d.Catalog, cfg, f.discover(), user), nil
}

func runID(t time.Time) string {
	b := make([]byte, 4)
	rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
