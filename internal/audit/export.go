// Package audit builds the auditor package: a directory and a zip holding
// the control matrix, the system description, per-control samples drawn
// from a seed the auditor supplies, inclusion and consistency proofs, the
// signed checkpoints, the ledger bundle and a manifest of every file's
// SHA-256, all verifiable offline. It also renders OSCAL 1.1 documents.
package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// EventExported records a finished package with its manifest digest.
const EventExported = "audit.exported"

// Deps are what an export reads and where it records its samples.
type Deps struct {
	Store ledger.Store
	// Log records sample.selected and audit.exported events.
	Log ledger.Appender
	// Publish signs a checkpoint of the current head.
	Publish     func(ctx context.Context) (ledger.Checkpoint, error)
	VerifierKey string
	Engine      *controls.Engine
}

// Options describe one export.
type Options struct {
	From, To time.Time
	// Seed is the auditor's random seed; the same seed over the same
	// ledger always selects the same samples.
	Seed string
	// Dir is the package directory to create; Dir + ".zip" is written too.
	Dir   string
	Actor ledger.Actor
	// Progress, if set, is told each stage's progress.
	Progress func(stage string, done, total uint64)
	Now      func() time.Time
}

// Result describes a written package.
type Result struct {
	PackageID string `json:"package_id"`
	Dir       string `json:"dir"`
	Zip       string `json:"zip"`
	Manifest  string `json:"manifest_sha256"`
	Files     int    `json:"files"`
	Samples   int    `json:"samples"`
	Entries   uint64 `json:"ledger_entries"`
	Closing   uint64 `json:"closing_checkpoint"`
}

// Info is package.json: what the package covers and how to check it.
type Info struct {
	PackageID   string    `json:"package_id"`
	Generated   time.Time `json:"generated"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Seed        string    `json:"seed"`
	Catalog     string    `json:"catalog_version"`
	RangeStart  uint64    `json:"range_start"`
	RangeEnd    uint64    `json:"range_end"`
	Opening     uint64    `json:"opening_checkpoint,omitempty"`
	Closing     uint64    `json:"closing_checkpoint"`
	Bundle      uint64    `json:"bundle_checkpoint"`
	VerifierKey string    `json:"verifier_key"`
}

// ProvenEntry is a ledger entry with its inclusion proof.
type ProvenEntry struct {
	Index    uint64   `json:"index"`
	Entry    string   `json:"entry"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

// SampleFile is samples/<control>.json.
type SampleFile struct {
	Control        string        `json:"control"`
	Seed           string        `json:"seed"`
	Selection      Selection     `json:"selection"`
	SelectionIndex uint64        `json:"selection_index"`
	Checkpoint     uint64        `json:"checkpoint"`
	Entries        []ProvenEntry `json:"entries"`
}

// SelectionFile is proofs/selection.json: the sample.selected events,
// proven against the bundle's checkpoint.
type SelectionFile struct {
	Checkpoint uint64        `json:"checkpoint"`
	Entries    []ProvenEntry `json:"entries"`
}

// ConsistencyProof proves checkpoint Old is a prefix of checkpoint New.
type ConsistencyProof struct {
	Old   uint64   `json:"old"`
	New   uint64   `json:"new"`
	Proof []string `json:"proof"`
}

// ErrInvalidExport wraps option errors.
var ErrInvalidExport = errors.New("invalid export request")

var seedPattern = regexp.MustCompile(`^[\x21-\x7e]{1,256}$`)

func (o *Options) validate() error {
	switch {
	case o.From.IsZero() || o.To.IsZero() || !o.From.Before(o.To):
		return fmt.Errorf("%w: --from must be before --to (dates such as 2026-01-01)", ErrInvalidExport)
	case !seedPattern.MatchString(o.Seed):
		return fmt.Errorf("%w: the seed must be 1-256 printable characters without spaces; the auditor chooses it", ErrInvalidExport)
	case o.Dir == "":
		return fmt.Errorf("%w: an output directory is required", ErrInvalidExport)
	}
	if ents, err := os.ReadDir(o.Dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%w: %s is not empty; choose a new directory so old files cannot mix with the package", ErrInvalidExport, o.Dir)
	}
	if _, err := os.Stat(o.Dir + ".zip"); err == nil {
		return fmt.Errorf("%w: %s.zip already exists; choose a new directory name", ErrInvalidExport, o.Dir)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Actor.ID == "" {
		o.Actor = ledger.Actor{Kind: ledger.ActorHuman, ID: "auditor"}
	}
	return nil
}

// exporter holds one export's state.
type exporter struct {
	d    Deps
	o    Options
	info Info
	now  time.Time
}

func (x *exporter) progress(stage string, done, total uint64) {
	if x.o.Progress != nil {
		x.o.Progress(stage, done, total)
	}
}

// Export writes the auditor package. The samples are drawn and recorded
// first, so the bundle proves their sample.selected events; then the whole
// ledger is verified before any package file is written, so a tampered
// ledger makes the export refuse with the index where the log disagrees
// with itself, and leaves no files behind.
func Export(ctx context.Context, d Deps, o Options) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	x := &exporter{d: d, o: o, now: o.Now().UTC()}
	res, err := x.run(ctx)
	if err != nil {
		// Leave nothing half-written that could be mistaken for a package.
		os.RemoveAll(o.Dir)
		os.Remove(o.Dir + ".zip")
		return nil, err
	}
	return res, nil
}

func (x *exporter) run(ctx context.Context) (_ *Result, err error) {
	id := make([]byte, 6)
	rand.Read(id)
	x.info = Info{PackageID: "pkg-" + x.now.Format("20060102") + "-" + hex.EncodeToString(id), Generated: x.now,
		From: x.o.From.UTC(), To: x.o.To.UTC(), Seed: x.o.Seed, Catalog: x.d.Engine.Catalog().Version, VerifierKey: x.d.VerifierKey}
	st := x.d.Store
	size, _, err := st.LedgerHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("read ledger head: %w", err)
	}
	if x.info.RangeStart, err = controls.IndexAt(ctx, st, size, x.info.From); err != nil {
		return nil, err
	}
	if x.info.RangeEnd, err = controls.IndexAt(ctx, st, size, x.info.To); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(x.o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create package directory: %w", err)
	}

	// Samples first, so their sample.selected events are inside the
	// bundle and proven like everything else.
	cat := x.d.Engine.Catalog()
	x.progress("history", 0, 1)
	hist, err := controls.History(ctx, st, cat, x.info.From, x.info.To, x.now)
	if err != nil {
		return nil, err
	}
	own := OwnRecords(hist)
	sels := make([]Selection, len(cat.Controls))
	for i := range cat.Controls {
		x.progress("sampling", uint64(i), uint64(len(cat.Controls)))
		if sels[i], err = Select(ctx, st, &cat.Controls[i], own, x.o.Seed, x.info.RangeStart, x.info.RangeEnd, x.info.From, x.info.To); err != nil {
			return nil, err
		}
	}
	x.progress("sampling", uint64(len(cat.Controls)), uint64(len(cat.Controls)))
	selIdx, err := x.recordSelections(ctx, sels)
	if err != nil {
		return nil, err
	}
	if _, err := x.d.Publish(ctx); err != nil {
		return nil, fmt.Errorf("publish a checkpoint covering the samples: %w", err)
	}

	// The ledger bundle is verified, written and zipped in one pass.
	pk, err := newPacker(x.o.Dir, x.o.Dir+".zip")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			pk.abort()
		}
	}()
	bundleDir := filepath.Join(x.o.Dir, "ledger")
	x.progress("ledger", 0, 1)
	bcp, err := ledger.ExportTo(ctx, st, x.d.VerifierKey, subdir{pk, "ledger/"}, func(done, total uint64) { x.progress("ledger", done, total) })
	if err != nil {
		return nil, fmt.Errorf("the ledger failed verification, so no auditor package was written: %w", err)
	}
	x.info.Bundle = bcp.Size
	pr := prover{newBundleTiles(os.DirFS(bundleDir), bcp.Size)}
	cps, err := x.checkpoints(ctx, bcp)
	if err != nil {
		return nil, err
	}
	roots := map[uint64]tlog.Hash{}
	for _, c := range cps {
		roots[c.Size] = c.Root
	}
	samples := 0
	for i := range cat.Controls {
		x.progress("proofs", uint64(i), uint64(len(cat.Controls)))
		n, err := x.writeSamples(ctx, pr, sels[i], selIdx[i], roots[x.info.Closing])
		if err != nil {
			return nil, err
		}
		samples += n
	}
	x.progress("proofs", uint64(len(cat.Controls)), uint64(len(cat.Controls)))
	if err := x.writeProofs(ctx, pr, cps, selIdx, bcp); err != nil {
		return nil, err
	}
	if err := x.writeReports(ctx, sels, hist); err != nil {
		return nil, err
	}
	if err := writeJSON(x.o.Dir, "package.json", x.info); err != nil {
		return nil, err
	}
	if err := writeFile(x.o.Dir, "key.pub", []byte(x.d.VerifierKey+"\n")); err != nil {
		return nil, err
	}
	if err := writeFile(x.o.Dir, "README.md", []byte(readme(x.info))); err != nil {
		return nil, err
	}
	digest, files, err := pk.finish(func(done, total uint64) { x.progress("zip", done, total) })
	if err != nil {
		return nil, err
	}
	ev := ledger.MustEvent(EventExported, controls.SystemTenant, x.o.Actor, map[string]any{
		"package_id": x.info.PackageID, "manifest_sha256": digest, "files": files, "from": x.info.From, "to": x.info.To,
		"bundle_checkpoint": bcp.Size, "samples": samples,
	}, ledger.Ref{Kind: "audit_package", ID: x.info.PackageID})
	if _, err := x.d.Log.Append(ctx, ev); err != nil {
		return nil, fmt.Errorf("record the export: %w", err)
	}
	return &Result{PackageID: x.info.PackageID, Dir: x.o.Dir, Zip: x.o.Dir + ".zip", Manifest: digest, Files: files,
		Samples: samples, Entries: bcp.Size, Closing: x.info.Closing}, nil
}

// subdir writes files under a prefix of a FileWriter.
type subdir struct {
	fw     ledger.FileWriter
	prefix string
}

func (s subdir) WriteFile(rel string, data []byte) error { return s.fw.WriteFile(s.prefix+rel, data) }

// recordSelections appends one sample.selected event per control and
// returns their indexes. The appends run concurrently so the ledger
// commits them together.
func (x *exporter) recordSelections(ctx context.Context, sels []Selection) ([]uint64, error) {
	idx := make([]uint64, len(sels))
	errs := make([]error, len(sels))
	var wg sync.WaitGroup
	for i, s := range sels {
		body := map[string]any{
			"package_id": x.info.PackageID, "control": s.Control, "seed": x.o.Seed,
			"period_from": x.info.From, "period_to": x.info.To, "range_start": s.RangeStart, "range_end": s.RangeEnd,
			"types": s.Types, "population": s.Population, "indexes": s.Indexes,
		}
		if len(s.DenseTypes) > 0 {
			body["dense_types"], body["dense"] = s.DenseTypes, s.Dense
		}
		ev, err := ledger.NewEvent(EventSampleSelected, controls.SystemTenant, x.o.Actor, body,
			ledger.Ref{Kind: "control", ID: s.Control}, ledger.Ref{Kind: "audit_package", ID: x.info.PackageID})
		if err != nil {
			return nil, err
		}
		ev.Time = x.now
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx[i], errs[i] = x.d.Log.Append(ctx, ev)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("record samples: %w", err)
	}
	return idx, nil
}

// checkpoints picks the signed checkpoints the package proves against:
// the last one before the period, the first of each day in it, the first
// that covers the whole period (closing) and the bundle's. Each is
// verified against the key.
func (x *exporter) checkpoints(ctx context.Context, bcp ledger.Checkpoint) ([]ledger.Checkpoint, error) {
	st := x.d.Store
	var out []ledger.Checkpoint
	if x.info.RangeStart > 0 {
		if c, ok, err := lastUpTo(ctx, st, x.info.RangeStart); err != nil {
			return nil, err
		} else if ok {
			out = append(out, c)
			x.info.Opening = c.Size
		}
	}
	for day := x.info.From.Truncate(24 * time.Hour); day.Before(x.info.To); day = day.Add(24 * time.Hour) {
		lo, err := controls.IndexAt(ctx, st, bcp.Size, day)
		if err != nil {
			return nil, err
		}
		hi, err := controls.IndexAt(ctx, st, bcp.Size, day.Add(24*time.Hour))
		if err != nil {
			return nil, err
		}
		if c, ok, err := firstFrom(ctx, st, max(lo, x.info.RangeStart), hi); err != nil {
			return nil, err
		} else if ok && c.Size <= x.info.RangeEnd {
			out = append(out, c)
		}
	}
	closing, ok, err := firstFrom(ctx, st, max(x.info.RangeEnd, 1), bcp.Size)
	if err != nil {
		return nil, err
	}
	if !ok {
		closing = bcp
	}
	x.info.Closing = closing.Size
	out = append(out, closing, bcp)
	sort.Slice(out, func(i, j int) bool { return out[i].Size < out[j].Size })
	uniq := out[:0]
	for _, c := range out {
		if len(uniq) > 0 && uniq[len(uniq)-1].Size == c.Size {
			continue
		}
		if _, _, err := ledger.OpenCheckpoint(c.Note, x.d.VerifierKey); err != nil {
			return nil, fmt.Errorf("stored checkpoint of size %d does not verify: %w", c.Size, err)
		}
		uniq = append(uniq, c)
	}
	return uniq, nil
}

// firstFrom returns the smallest checkpoint with size in [from, limit].
// It widens the searched range step by step so it never loads thousands of
// checkpoints at once.
func firstFrom(ctx context.Context, st ledger.Store, from, limit uint64) (ledger.Checkpoint, bool, error) {
	for step := uint64(1024); ; step *= 4 {
		to := min(limit, from+step)
		cs, err := st.Checkpoints(ctx, from, to)
		if err != nil {
			return ledger.Checkpoint{}, false, err
		}
		if len(cs) > 0 {
			return cs[0], true, nil
		}
		if to >= limit {
			return ledger.Checkpoint{}, false, nil
		}
	}
}

// lastUpTo returns the largest checkpoint with size at most size.
func lastUpTo(ctx context.Context, st ledger.Store, size uint64) (ledger.Checkpoint, bool, error) {
	for step := uint64(1024); ; step *= 4 {
		from := uint64(0)
		if size > step {
			from = size - step
		}
		cs, err := st.Checkpoints(ctx, from, size)
		if err != nil {
			return ledger.Checkpoint{}, false, err
		}
		if len(cs) > 0 {
			return cs[len(cs)-1], true, nil
		}
		if from == 0 {
			return ledger.Checkpoint{}, false, nil
		}
	}
}

func b64(h []tlog.Hash) []string {
	out := make([]string, len(h))
	for i := range h {
		out[i] = base64.StdEncoding.EncodeToString(h[i][:])
	}
	return out
}

// prove reads entries and proves each against the tree (size, root).
func (x *exporter) prove(ctx context.Context, pr prover, idx []uint64, size uint64, root tlog.Hash) ([]ProvenEntry, error) {
	out := make([]ProvenEntry, 0, len(idx))
	for _, i := range idx {
		es, err := x.d.Store.LedgerEntries(ctx, i, 1)
		if err != nil {
			return nil, err
		}
		if len(es) != 1 {
			return nil, fmt.Errorf("entry %d is missing", i)
		}
		p, err := pr.inclusion(i, size, root)
		if err != nil {
			return nil, fmt.Errorf("prove entry %d in checkpoint %d: %w", i, size, err)
		}
		leaf := tlog.RecordHash(es[0].Data)
		out = append(out, ProvenEntry{Index: i, Entry: string(es[0].Data), LeafHash: base64.StdEncoding.EncodeToString(leaf[:]), Proof: b64(p)})
	}
	return out, nil
}

func (x *exporter) writeSamples(ctx context.Context, pr prover, s Selection, selIdx uint64, root tlog.Hash) (int, error) {
	all := append(append([]uint64{}, s.Indexes...), s.Dense...)
	entries, err := x.prove(ctx, pr, all, x.info.Closing, root)
	if err != nil {
		return 0, err
	}
	f := SampleFile{Control: s.Control, Seed: x.o.Seed, Selection: s, SelectionIndex: selIdx, Checkpoint: x.info.Closing, Entries: entries}
	return len(entries), writeJSON(x.o.Dir, "samples/"+s.Control+".json", f)
}

func (x *exporter) writeProofs(ctx context.Context, pr prover, cps []ledger.Checkpoint, selIdx []uint64, bcp ledger.Checkpoint) error {
	for _, c := range cps {
		if err := writeFile(x.o.Dir, "proofs/checkpoints/"+strconv.FormatUint(c.Size, 10), c.Note); err != nil {
			return err
		}
	}
	var chain []ConsistencyProof
	for i := 1; i < len(cps); i++ {
		p, err := pr.consistency(cps[i-1].Size, cps[i].Size, cps[i].Root)
		if err != nil {
			return fmt.Errorf("prove checkpoint %d consistent with %d: %w", cps[i-1].Size, cps[i].Size, err)
		}
		chain = append(chain, ConsistencyProof{Old: cps[i-1].Size, New: cps[i].Size, Proof: b64(p)})
	}
	if err := writeJSON(x.o.Dir, "proofs/consistency.json", chain); err != nil {
		return err
	}
	sorted := append([]uint64{}, selIdx...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	entries, err := x.prove(ctx, pr, sorted, bcp.Size, bcp.Root)
	if err != nil {
		return err
	}
	return writeJSON(x.o.Dir, "proofs/selection.json", SelectionFile{Checkpoint: bcp.Size, Entries: entries})
}

// writeReports writes the control matrix, history, POA&M, system
// description and the OSCAL documents.
func (x *exporter) writeReports(ctx context.Context, sels []Selection, hist []controls.ControlHistory) error {
	eng := x.d.Engine
	cat := eng.Catalog()
	last, err := eng.LastRun(ctx)
	if err != nil && !errors.Is(err, controls.ErrNotFound) {
		return err
	}
	end := x.info.To
	if end.After(x.now) {
		end = x.now
	}
	poam := controls.POAM(cat, hist, end)
	counts := map[string]int{}
	for _, s := range sels {
		counts[s.Control] = len(s.Indexes) + len(s.Dense)
	}
	rows := Matrix(cat, last, hist, counts)
	var csvBuf, htmlBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, rows); err != nil {
		return err
	}
	if err := WriteHTML(&htmlBuf, cat, rows, x.info.From, x.info.To, x.now); err != nil {
		return err
	}
	desc, err := eng.Description(ctx)
	if err != nil {
		return err
	}
	in := ResultsInput{Catalog: cat, Last: last, History: hist, POAM: poam, From: x.info.From, To: x.info.To, Generated: x.now, PackageID: x.info.PackageID}
	for _, w := range []struct {
		name string
		data any
	}{
		{"controls/catalog.json", cat}, {"controls/history.json", hist}, {"controls/poam.json", poam},
		{"controls/system-description.json", desc},
		{"oscal/catalog.json", OSCALCatalog(cat, x.now)}, {"oscal/assessment-results.json", OSCALAssessmentResults(in)}, {"oscal/poam.json", OSCALPOAM(in)},
	} {
		if err := writeJSON(x.o.Dir, w.name, w.data); err != nil {
			return err
		}
	}
	for name, data := range map[string][]byte{
		"controls/matrix.csv": csvBuf.Bytes(), "controls/matrix.html": htmlBuf.Bytes(), "controls/system-description.md": []byte(desc.Markdown()),
	} {
		if err := writeFile(x.o.Dir, name, data); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(dir, rel string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func writeJSON(dir, rel string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", rel, err)
	}
	return writeFile(dir, rel, append(b, '\n'))
}
