package audit_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a populated installation: two weeks of traffic, model changes and
// twice-daily control evaluations with signed checkpoints.
type env struct {
	dir    string
	st     *sqlite.Store
	log    *ledger.Log
	signer *ledger.Signer
	vkey   string
	eng    *controls.Engine
	clock  *clock
	start  time.Time
}

func (e *env) deps() audit.Deps {
	return audit.Deps{Store: e.st, Log: e.log, Publish: e.signer.Publish, VerifierKey: e.vkey, Engine: e.eng}
}

// template is the populated data directory, built once and copied for
// each test so tests do not share mutable state.
var template struct {
	once       sync.Once
	dir        string
	skey, vkey string
	start, end time.Time
	err        error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	if benchOut != "" {
		os.RemoveAll(benchOut)
	}
	os.Exit(code)
}

func buildTemplate() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "attest-audit-test-")
	if err != nil {
		return err
	}
	template.dir = dir
	template.skey, template.vkey, err = note.GenerateKey(rand.Reader, "audit.test/attest")
	if err != nil {
		return err
	}
	template.start = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	e, err := openEnv(dir, template.start)
	if err != nil {
		return err
	}
	defer e.close()
	keys := access.NewService(e.st, e.log)
	admin := access.Principal{ID: "local", Kind: "cli", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	if _, _, err := keys.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer, Limits: access.Limits{RPM: 60}}); err != nil {
		return err
	}
	add := func(typ string, actor ledger.Actor, body map[string]any, subjects ...ledger.Ref) error {
		var b any
		if body != nil {
			b = body
		}
		ev := ledger.MustEvent(typ, "acme", actor, b, subjects...)
		ev.Time = e.clock.Now()
		return e.log.AppendAsync(ctx, ev)
	}
	gw := ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}
	alice := ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}
	bob := ledger.Actor{Kind: ledger.ActorHuman, ID: "user:bob"}
	mv := ledger.Ref{Kind: "model_version", ID: "fraud@1"}
	for h := 0; h < 13*24; h++ {
		for i := 0; i < 3; i++ {
			add("inference.request", gw, map[string]any{"key_id": "k", "retention": "zero"})
			add("inference.response", gw, map[string]any{"key_id": "k", "status": 200, "provider": "openai"})
		}
		switch h {
		case 5:
			add("model.signed", alice, map[string]any{"root_digest": "sha256:aa"}, mv)
			add("change.requested", alice, nil, ledger.Ref{Kind: "change", ID: "c1"}, mv)
		case 30:
			add("change.approved", bob, nil, ledger.Ref{Kind: "change", ID: "c1"})
			add("deploy.alias_moved", gw, map[string]any{"model": "fraud", "alias": "production"}, mv)
		}
		if h%12 == 0 {
			if _, err := e.eng.Evaluate(ctx); err != nil {
				return err
			}
			if _, err := e.signer.Publish(ctx); err != nil {
				return err
			}
		}
		e.clock.Advance(time.Hour)
	}
	if _, err := e.eng.Evaluate(ctx); err != nil {
		return err
	}
	template.end = e.clock.Now()
	return nil
}

// openEnv opens the installation in dir with its clock at now.
func openEnv(dir string, now time.Time) (*env, error) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, err
	}
	c := &clock{t: now}
	l, err := ledger.Open(ctx, st, ledger.Options{Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		st.Close()
		return nil, err
	}
	s, _ := note.NewSigner(template.skey)
	e := &env{dir: dir, st: st, log: l, signer: ledger.NewSigner(l, s), vkey: template.vkey, clock: c, start: template.start}
	e.eng, err = controls.New(controls.Deps{Ledger: st, Log: l, Store: st, Keys: st, VerifierKey: template.vkey, Now: c.Now,
		Components: controls.StaticComponents{{Kind: controls.KindProvider, Name: "openai"}}})
	if err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	e.log.Close()
	e.st.Close()
}

// newEnv returns a private copy of the populated installation.
func newEnv(t *testing.T) *env {
	t.Helper()
	template.once.Do(func() { template.err = buildTemplate() })
	if template.err != nil {
		t.Fatal(template.err)
	}
	dir := t.TempDir()
	copyDir(t, template.dir, dir)
	e, err := openEnv(dir, template.end)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

func (e *env) export(t *testing.T, seed string) *audit.Result {
	t.Helper()
	res, err := audit.Export(context.Background(), e.deps(), audit.Options{
		From: e.start.Add(24 * time.Hour), To: e.start.Add(12 * 24 * time.Hour), Seed: seed,
		Dir: filepath.Join(t.TempDir(), "pkg"), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestExportAndVerify(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res := e.export(t, "auditor-seed-42")
	if res.Samples == 0 || res.Files < 20 {
		t.Fatalf("package too small: %+v", res)
	}
	for _, f := range []string{"README.md", "MANIFEST.sha256", "controls/matrix.csv", "controls/matrix.html", "controls/system-description.md",
		"oscal/catalog.json", "oscal/assessment-results.json", "oscal/poam.json", "samples/AI-MOD-04.json", "proofs/consistency.json",
		"proofs/selection.json", "key.pub", "ledger/checkpoint"} {
		if _, err := os.Stat(filepath.Join(res.Dir, f)); err != nil {
			t.Errorf("package lacks %s", f)
		}
	}
	for _, f := range []string{"catalog.json", "assessment-results.json", "poam.json"} {
		if err := audit.ValidateOSCALFile(t, filepath.Join(res.Dir, "oscal", f)); err != nil {
			t.Errorf("exported oscal/%s: %v", f, err)
		}
	}
	for _, p := range []string{res.Dir, res.Zip} {
		rep, err := audit.Verify(ctx, p, e.vkey)
		if err != nil {
			t.Fatalf("verify %s: %v", p, err)
		}
		if rep.Samples != res.Samples || rep.Files != res.Files || rep.Manifest != res.Manifest || rep.Checkpoints < 3 || rep.Selections == 0 {
			t.Fatalf("report %+v for result %+v", rep, res)
		}
	}
	// The export itself is evidence: its samples and manifest are ledgered.
	es, err := e.st.QueryLedger(ctx, ledger.Query{Type: audit.EventExported})
	if err != nil || len(es) != 1 || !strings.Contains(string(es[0].Data), res.Manifest) {
		t.Fatalf("audit.exported event: %v %d", err, len(es))
	}
	// A wrong key fails.
	_, other, _ := note.GenerateKey(rand.Reader, "audit.test/attest")
	if _, err := audit.Verify(ctx, res.Dir, other); err == nil {
		t.Fatal("a package verified under another key")
	}
}

func TestSamplesFollowTheSeed(t *testing.T) {
	e := newEnv(t)
	a, b := e.export(t, "seed-one"), e.export(t, "seed-one")
	c := e.export(t, "seed-two")
	read := func(r *audit.Result, control string) audit.Selection {
		var sf audit.SampleFile
		data, err := os.ReadFile(filepath.Join(r.Dir, "samples", control+".json"))
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(data, &sf)
		return sf.Selection
	}
	// A population smaller than the sample size is taken whole.
	sec := read(a, "AI-SEC-03")
	if len(sec.Indexes) == 0 || len(sec.Indexes) != min(sec.Population, 25) || len(sec.Dense) != 0 {
		t.Fatalf("sample of a continuous control: %d of %d, dense %v", len(sec.Indexes), sec.Population, sec.Dense)
	}
	// Inference evidence is drawn from the period; the seed decides.
	pa, pb, pc := read(a, "AI-PRV-01"), read(b, "AI-PRV-01"), read(c, "AI-PRV-01")
	if len(pa.Dense) != 25 {
		t.Fatalf("zero-retention sample draws %d inference entries, want 25", len(pa.Dense))
	}
	if jsonOf(pa) != jsonOf(pb) {
		t.Fatalf("the same seed chose %v and %v", pa.Dense, pb.Dense)
	}
	if jsonOf(pa.Dense) == jsonOf(pc.Dense) {
		t.Fatal("another seed chose the same sample")
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestModifiedPackageFails changes, adds or removes files of every kind and
// requires verification to fail and name the file.
func TestModifiedPackageFails(t *testing.T) {
	e := newEnv(t)
	res := e.export(t, "tamper-seed")
	var files []string
	filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(res.Dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if len(files) < 20 {
		t.Fatalf("only %d files", len(files))
	}
	pristine := t.TempDir()
	copyDir(t, res.Dir, pristine)
	// One working copy: each file is modified, verified and restored.
	work := filepath.Join(t.TempDir(), "pkg")
	copyDir(t, pristine, work)
	for _, f := range files {
		p := filepath.Join(work, filepath.FromSlash(f))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data := append([]byte{}, orig...)
		if len(data) == 0 {
			data = []byte("x")
		} else {
			data[len(data)/2] ^= 0x01
		}
		os.WriteFile(p, data, 0o644)
		_, err = audit.Verify(context.Background(), work, e.vkey)
		os.WriteFile(p, orig, 0o644)
		if err == nil {
			t.Fatalf("modifying %s went unnoticed", f)
		}
		if f != audit.ManifestFile && !strings.Contains(err.Error(), f) {
			t.Fatalf("the error does not name %s: %v", f, err)
		}
	}
	if _, err := audit.Verify(context.Background(), work, e.vkey); err != nil {
		t.Fatalf("the restored package does not verify: %v", err)
	}
	t.Run("added file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "pkg")
		copyDir(t, pristine, dir)
		os.WriteFile(filepath.Join(dir, "samples", "extra.json"), []byte("{}"), 0o644)
		if _, err := audit.Verify(context.Background(), dir, e.vkey); err == nil || !strings.Contains(err.Error(), "samples/extra.json") {
			t.Fatalf("an added file: %v", err)
		}
	})
	t.Run("removed file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "pkg")
		copyDir(t, pristine, dir)
		os.Remove(filepath.Join(dir, "controls", "matrix.csv"))
		if _, err := audit.Verify(context.Background(), dir, e.vkey); err == nil || !strings.Contains(err.Error(), "controls/matrix.csv") {
			t.Fatalf("a removed file: %v", err)
		}
	})
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTamperedLedgerRefusesExport(t *testing.T) {
	e := newEnv(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := e.st.QueryLedger(context.Background(), ledger.Query{Type: "inference.response", From: e.start.Add(48 * time.Hour), Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatal(err)
	}
	victim := es[0].Index
	if _, err := db.Exec(`UPDATE ledger_entries SET data = CAST(REPLACE(CAST(data AS TEXT), '"status":200', '"status":201') AS BLOB) WHERE idx = ?`, victim); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pkg")
	_, err = audit.Export(context.Background(), e.deps(), audit.Options{From: e.start, To: e.clock.Now(), Seed: "s", Dir: dir, Now: e.clock.Now})
	var te *ledger.TamperError
	// ledger.Verify names the altered entry, or the first signed
	// checkpoint after it when one comes before the end of its tile.
	if !errors.As(err, &te) || te.Index < victim || te.Index >= victim+256 {
		t.Fatalf("export of a tampered ledger: %v", err)
	}
	if !strings.Contains(err.Error(), "no auditor package was written") {
		t.Fatalf("the error must say nothing was written: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("a refused export left files behind")
	}
	if _, err := os.Stat(dir + ".zip"); !os.IsNotExist(err) {
		t.Fatal("a refused export left a zip behind")
	}
}

func TestExportRejectsBadOptions(t *testing.T) {
	e := newEnv(t)
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "x"), nil, 0o644)
	for name, o := range map[string]audit.Options{
		"reversed period": {From: e.clock.Now(), To: e.start, Seed: "s", Dir: filepath.Join(t.TempDir(), "p")},
		"no seed":         {From: e.start, To: e.clock.Now(), Dir: filepath.Join(t.TempDir(), "p")},
		"seed with space": {From: e.start, To: e.clock.Now(), Seed: "a b", Dir: filepath.Join(t.TempDir(), "p")},
		"non-empty dir":   {From: e.start, To: e.clock.Now(), Seed: "s", Dir: busy},
	} {
		if _, err := audit.Export(context.Background(), e.deps(), o); !errors.Is(err, audit.ErrInvalidExport) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// smallEnv is a fresh installation with a few dozen entries and one
// evaluation, small enough for a committed fixture.
func smallEnv(t *testing.T) *env {
	template.once.Do(func() { template.err = buildTemplate() }) // for its signing key
	if template.err != nil {
		t.Fatal(template.err)
	}
	ctx := context.Background()
	e, err := openEnv(t.TempDir(), template.start)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	gw := ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}
	for h := 0; h < 48; h++ {
		ev := ledger.MustEvent("inference.request", "acme", gw, map[string]any{"key_id": "k", "retention": "zero"})
		ev.Time = e.clock.Now()
		if _, err := e.log.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if h == 20 {
			if _, err := e.eng.Evaluate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := e.signer.Publish(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(time.Hour)
	}
	return e
}

// fixtureDir is a small package committed under testdata, so the fuzz
// test needs no store (the store is slow under coverage instrumentation)
// and packages written by earlier versions must keep verifying.
const fixtureDir = "testdata/package"

// TestFixturePackage verifies the committed package; with -update it
// writes a fresh one first.
func TestFixturePackage(t *testing.T) {
	if audit.Updating() {
		e := smallEnv(t)
		os.RemoveAll(fixtureDir)
		abs, _ := filepath.Abs(fixtureDir)
		res, err := audit.Export(context.Background(), e.deps(), audit.Options{
			From: e.start.Add(24 * time.Hour), To: e.start.Add(36 * time.Hour), Seed: "fixture", Dir: abs, Now: e.clock.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(res.Zip)
		os.WriteFile(fixtureDir+".key", []byte(e.vkey+"\n"), 0o644)
	}
	key, err := os.ReadFile(fixtureDir + ".key")
	if err != nil {
		t.Fatalf("%v (run go test -run TestFixturePackage -update)", err)
	}
	if _, err := audit.Verify(context.Background(), fixtureDir, strings.TrimSpace(string(key))); err != nil {
		t.Fatalf("the committed package no longer verifies: %v", err)
	}
}

// FuzzVerifyPackage feeds malformed package files to the verifier: with
// the manifest recomputed, so the parsers behind it are reached, any input
// must be rejected cleanly or verify, never panic.
func FuzzVerifyPackage(f *testing.F) {
	key, err := os.ReadFile(fixtureDir + ".key")
	if err != nil {
		f.Fatal(err)
	}
	vkey := strings.TrimSpace(string(key))
	targets := []string{"package.json", "samples/AI-SEC-03.json", "proofs/consistency.json", "proofs/selection.json", "ledger/checkpoint"}
	base := fstest.MapFS{}
	filepath.WalkDir(fixtureDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(fixtureDir, p)
			data, _ := os.ReadFile(p)
			base[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
		}
		return err
	})
	for i, t := range targets {
		f.Add(uint8(i), base[t].Data)
	}
	f.Add(uint8(1), []byte(`{"control":"AI-SEC-03","entries":[{"index":1,"proof":["!!"]}]}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys[targets[int(which)%len(targets)]] = &fstest.MapFile{Data: data}
		var manifest strings.Builder
		names := make([]string, 0, len(fsys))
		for k := range fsys {
			if k != audit.ManifestFile {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			sum := sha256.Sum256(fsys[k].Data)
			manifest.WriteString(hex.EncodeToString(sum[:]) + "  " + k + "\n")
		}
		fsys[audit.ManifestFile] = &fstest.MapFile{Data: []byte(manifest.String())}
		audit.VerifyFS(context.Background(), fsys, vkey)
	})
}
