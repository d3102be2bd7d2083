package audit

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyReport summarizes a package that verified.
type VerifyReport struct {
	PackageID   string `json:"package_id"`
	Manifest    string `json:"manifest_sha256"`
	Files       int    `json:"files"`
	Entries     uint64 `json:"ledger_entries"`
	Checkpoints int    `json:"checkpoints"`
	Consistency int    `json:"consistency_proofs"`
	Samples     int    `json:"samples"`
	Selections  int    `json:"selections"`
	// KeyFromPackage is true when no key was given and the package's own
	// key.pub was used, which proves only internal consistency.
	KeyFromPackage bool `json:"key_from_package"`
}

// OpenPackage opens a package directory or its zip.
func OpenPackage(p string) (fs.FS, io.Closer, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, fmt.Errorf("open package: %w", err)
	}
	if fi.IsDir() {
		return os.DirFS(p), io.NopCloser(nil), nil
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is neither a package directory nor a zip: %w", p, err)
	}
	return zr, zr, nil
}

// Verify checks a package directory or zip against the verifier key.
func Verify(ctx context.Context, p, vkey string) (VerifyReport, error) {
	fsys, c, err := OpenPackage(p)
	if err != nil {
		return VerifyReport{}, err
	}
	defer c.Close()
	return VerifyFS(ctx, fsys, vkey)
}

// maxPackageJSON bounds one JSON file a verifier decodes.
const maxPackageJSON = 256 << 20

func readJSON(fsys fs.FS, name string, v any) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, maxPackageJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// VerifyFS checks a package: the manifest, the ledger bundle, every
// checkpoint signature, the consistency chain, and the inclusion proof of
// every sample and selection record, which must also match the bundle.
func VerifyFS(ctx context.Context, fsys fs.FS, vkey string) (VerifyReport, error) {
	var rep VerifyReport
	var err error
	if rep.Manifest, rep.Files, err = CheckManifest(fsys); err != nil {
		return rep, err
	}
	var info Info
	if err := readJSON(fsys, "package.json", &info); err != nil {
		return rep, err
	}
	rep.PackageID = info.PackageID
	if vkey == "" {
		k, err := fs.ReadFile(fsys, "key.pub")
		if err != nil {
			return rep, errors.New("no --key given and the package has no key.pub; pass the verifier key you received out of band")
		}
		vkey, rep.KeyFromPackage = strings.TrimSpace(string(k)), true
	}
	sub, err := fs.Sub(fsys, "ledger")
	if err != nil {
		return rep, err
	}
	bundle := ledger.BundleSource{FS: sub}
	lrep, err := ledger.Verify(ctx, bundle, vkey, nil)
	if err != nil {
		return rep, fmt.Errorf("ledger bundle: %w", err)
	}
	rep.Entries = lrep.Size
	if lrep.Size != info.Bundle {
		return rep, fmt.Errorf("the ledger bundle holds %d entries but package.json says %d", lrep.Size, info.Bundle)
	}
	roots, err := checkpointRoots(fsys, vkey)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(roots)
	if roots[info.Bundle] != lrep.Root {
		return rep, fmt.Errorf("the checkpoint of size %d in proofs/ does not match the ledger bundle's root", info.Bundle)
	}
	if _, ok := roots[info.Closing]; !ok {
		return rep, fmt.Errorf("the closing checkpoint of size %d is missing from proofs/checkpoints", info.Closing)
	}
	if rep.Consistency, err = checkConsistency(fsys, roots); err != nil {
		return rep, err
	}
	samples := map[string]SampleFile{}
	ents, err := fs.ReadDir(fsys, "samples")
	if err != nil {
		return rep, fmt.Errorf("read samples: %w", err)
	}
	for _, e := range ents {
		var sf SampleFile
		if err := readJSON(fsys, "samples/"+e.Name(), &sf); err != nil {
			return rep, err
		}
		if e.Name() != sf.Control+".json" || sf.Checkpoint != info.Closing || sf.Seed != info.Seed {
			return rep, fmt.Errorf("samples/%s does not belong to this package's closing checkpoint and seed", e.Name())
		}
		want := append(append([]uint64{}, sf.Selection.Indexes...), sf.Selection.Dense...)
		if err := checkEntries(ctx, "samples/"+e.Name(), sf.Entries, want, sf.Checkpoint, roots[sf.Checkpoint], bundle); err != nil {
			return rep, err
		}
		rep.Samples += len(sf.Entries)
		samples[sf.Control] = sf
	}
	var sel SelectionFile
	if err := readJSON(fsys, "proofs/selection.json", &sel); err != nil {
		return rep, err
	}
	if sel.Checkpoint != info.Bundle {
		return rep, fmt.Errorf("proofs/selection.json is proven against %d, not the bundle's checkpoint %d", sel.Checkpoint, info.Bundle)
	}
	var idx []uint64
	for _, pe := range sel.Entries {
		idx = append(idx, pe.Index)
	}
	if err := checkEntries(ctx, "proofs/selection.json", sel.Entries, idx, sel.Checkpoint, roots[sel.Checkpoint], bundle); err != nil {
		return rep, err
	}
	for _, pe := range sel.Entries {
		if err := checkSelection(pe, info, samples); err != nil {
			return rep, err
		}
	}
	if len(sel.Entries) != len(samples) {
		return rep, fmt.Errorf("%d sample files but %d sample.selected records", len(samples), len(sel.Entries))
	}
	rep.Selections = len(sel.Entries)
	return rep, nil
}

// checkpointRoots verifies every checkpoint in proofs/checkpoints.
func checkpointRoots(fsys fs.FS, vkey string) (map[uint64]tlog.Hash, error) {
	ents, err := fs.ReadDir(fsys, "proofs/checkpoints")
	if err != nil {
		return nil, fmt.Errorf("read proofs/checkpoints: %w", err)
	}
	roots := map[uint64]tlog.Hash{}
	for _, e := range ents {
		name := "proofs/checkpoints/" + e.Name()
		note, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		size, root, err := ledger.OpenCheckpoint(note, vkey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if strconv.FormatUint(size, 10) != e.Name() {
			return nil, fmt.Errorf("%s holds a checkpoint of size %d", name, size)
		}
		roots[size] = root
	}
	return roots, nil
}

func unb64(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("hash %d is not 32 bytes of base64", i)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// checkConsistency verifies the chain of consistency proofs: consecutive
// checkpoints, each an append-only extension of the one before.
func checkConsistency(fsys fs.FS, roots map[uint64]tlog.Hash) (int, error) {
	var chain []ConsistencyProof
	if err := readJSON(fsys, "proofs/consistency.json", &chain); err != nil {
		return 0, err
	}
	sizes := make([]uint64, 0, len(roots))
	for s := range roots {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	if len(chain) != len(sizes)-1 {
		return 0, fmt.Errorf("proofs/consistency.json has %d proofs for %d checkpoints", len(chain), len(sizes))
	}
	for i, c := range chain {
		if c.Old != sizes[i] || c.New != sizes[i+1] {
			return 0, fmt.Errorf("consistency proof %d links %d to %d, want %d to %d", i, c.Old, c.New, sizes[i], sizes[i+1])
		}
		p, err := unb64(c.Proof)
		if err != nil {
			return 0, fmt.Errorf("consistency proof %d: %w", i, err)
		}
		if c.Old == 0 {
			continue
		}
		if err := tlog.CheckTree(p, int64(c.New), roots[c.New], int64(c.Old), roots[c.Old]); err != nil {
			return 0, fmt.Errorf("checkpoint %d is not a prefix of checkpoint %d: %w", c.Old, c.New, err)
		}
	}
	return len(chain), nil
}

// checkEntries verifies proven entries: the listed indexes, the leaf
// hashes, the inclusion proofs and equality with the bundle's entries.
func checkEntries(ctx context.Context, file string, es []ProvenEntry, want []uint64, size uint64, root tlog.Hash, bundle ledger.BundleSource) error {
	got := make([]uint64, len(es))
	for i, pe := range es {
		got[i] = pe.Index
	}
	a, b := slices.Clone(got), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return fmt.Errorf("%s proves entries %v but lists %v", file, got, want)
	}
	for _, pe := range es {
		data := []byte(pe.Entry)
		leaf := tlog.RecordHash(data)
		if base64.StdEncoding.EncodeToString(leaf[:]) != pe.LeafHash {
			return fmt.Errorf("%s: entry %d does not hash to its leaf hash", file, pe.Index)
		}
		p, err := unb64(pe.Proof)
		if err != nil {
			return fmt.Errorf("%s: entry %d: %w", file, pe.Index, err)
		}
		if err := tlog.CheckRecord(p, int64(size), root, int64(pe.Index), leaf); err != nil {
			return fmt.Errorf("%s: entry %d is not in checkpoint %d: %w", file, pe.Index, size, err)
		}
		be, err := bundle.Entries(ctx, pe.Index, 1)
		if err != nil || len(be) != 1 || !bytes.Equal(be[0].Data, data) {
			return fmt.Errorf("%s: entry %d differs from the ledger bundle", file, pe.Index)
		}
	}
	return nil
}

// checkSelection matches a sample.selected record with its sample file.
func checkSelection(pe ProvenEntry, info Info, samples map[string]SampleFile) error {
	e, err := ledger.ParseEntryData([]byte(pe.Entry))
	if err != nil {
		return fmt.Errorf("selection record %d: %w", pe.Index, err)
	}
	var b struct {
		PackageID string   `json:"package_id"`
		Control   string   `json:"control"`
		Seed      string   `json:"seed"`
		Indexes   []uint64 `json:"indexes"`
		Dense     []uint64 `json:"dense"`
	}
	if err := json.Unmarshal(e.Body, &b); err != nil || e.Type != EventSampleSelected {
		return fmt.Errorf("entry %d is not a sample.selected record", pe.Index)
	}
	sf, ok := samples[b.Control]
	if !ok || b.PackageID != info.PackageID || b.Seed != info.Seed || sf.SelectionIndex != pe.Index {
		return fmt.Errorf("sample.selected record %d does not match samples/%s.json", pe.Index, path.Base(b.Control))
	}
	if !slices.Equal(b.Indexes, sf.Selection.Indexes) || !slices.Equal(b.Dense, sf.Selection.Dense) {
		return fmt.Errorf("samples/%s.json lists other entries than its ledger record %d", b.Control, pe.Index)
	}
	return nil
}
