package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"testing"
	"testing/fstest"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func testKey(t testing.TB) (note.Signer, string) {
	skey, vkey, err := note.GenerateKey(nil, "attest.test/fuzz")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	return s, vkey
}

func FuzzOpenCheckpoint(f *testing.F) {
	s, vkey := testKey(f)
	good, _ := SignCheckpoint(s, "attest.test/fuzz", 42, tlog.RecordHash([]byte("x")))
	f.Add(good)
	f.Add([]byte("attest.test/fuzz\n1\nAAAA\n\n— attest.test/fuzz AAAA\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		size, root, err := OpenCheckpoint(b, vkey)
		if err != nil {
			return
		}
		// Anything accepted must be exactly what was signed.
		if !bytes.Equal(b, good) && (size != 42 || root != tlog.RecordHash([]byte("x"))) {
			t.Fatalf("accepted a checkpoint that was not signed: %q", b)
		}
	})
}

func FuzzInclusionClaim(f *testing.F) {
	s, vkey := testKey(f)
	leaves := []tlog.Hash{tlog.RecordHash([]byte("a")), tlog.RecordHash([]byte("b")), tlog.RecordHash([]byte("c"))}
	e := &edge{}
	e.appendLeaves(leaves)
	root, _ := tlog.TreeHash(3, edgeReader{e})
	p, _ := tlog.ProveRecord(3, 1, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		return edgeReader{e}.ReadHashes(ix)
	}))
	cp, _ := SignCheckpoint(s, "attest.test/fuzz", 3, root)
	c := InclusionClaim{Index: 1, Size: 3, LeafHash: b64(leaves[1]), Checkpoint: string(cp)}
	for _, h := range p {
		c.Hashes = append(c.Hashes, b64(h))
	}
	if err := c.Verify(vkey, []byte("b")); err != nil {
		f.Fatalf("genuine claim fails: %v", err)
	}
	good, _ := jsonMarshal(c)
	f.Add(good)
	f.Add([]byte(`{"index":0,"size":1,"hashes":[],"leaf_hash":"","checkpoint":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseInclusionClaim(b)
		if err != nil {
			return
		}
		if c.Verify(vkey, nil) == nil && (c.Index != 1 || c.Size != 3) {
			t.Fatalf("forged claim verified: %s", b)
		}
	})
}

func FuzzParseEntryBundle(f *testing.F) {
	var b []byte
	for _, s := range []string{`{"a":1}`, ``, `{"b":2}`} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	f.Add(b)
	f.Add([]byte{0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := parseEntryBundle(data)
		if err != nil {
			return
		}
		var back []byte
		for _, e := range es {
			back = binary.BigEndian.AppendUint16(back, uint16(len(e)))
			back = append(back, e...)
		}
		if !bytes.Equal(back, data) {
			t.Fatal("bundle does not round-trip")
		}
	})
}

func FuzzDecodeFatTile(f *testing.F) {
	t := newFatTile()
	for i := 0; i < 300; i++ {
		if _, full := t.add(tlog.RecordHash([]byte{byte(i)})); full {
			break
		}
		if i == 5 {
			f.Add(6, t.encode())
		}
	}
	f.Fuzz(func(tt *testing.T, w int, data []byte) {
		ft, err := decodeFatTile(w, data)
		if err != nil {
			return
		}
		if !bytes.Equal(ft.encode(), data) {
			tt.Fatal("tile does not round-trip")
		}
		ft.checkInterior()
	})
}

// FuzzVerifyBundle feeds arbitrary files to the offline verifier: it must
// return an error or a report, never panic, and never accept a bundle whose
// checkpoint is not signed by the key.
func FuzzVerifyBundle(f *testing.F) {
	s, vkey := testKey(f)
	f.Add([]byte("x"), []byte("y"))
	f.Fuzz(func(t *testing.T, entries, tile []byte) {
		e := &edge{}
		e.appendLeaves([]tlog.Hash{tlog.RecordHash(entries)})
		root, _ := tlog.TreeHash(1, edgeReader{e})
		cp, _ := SignCheckpoint(s, "attest.test/fuzz", 1, root)
		bundle := binary.BigEndian.AppendUint16(nil, uint16(len(entries)))
		bundle = append(bundle, entries...)
		fsys := fstest.MapFS{
			"checkpoint":           {Data: cp},
			"tile/entries/000.p/1": {Data: bundle},
			"tile/0/000.p/1":       {Data: tile},
		}
		_, err := Verify(t.Context(), BundleSource{FS: fsys}, vkey, nil)
		wantOK := len(entries) <= 0xffff && bytes.Equal(tile, root[:])
		if (err == nil) != wantOK {
			t.Fatalf("verify = %v, want ok=%v", err, wantOK)
		}
	})
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// typeOracle is the rule ValidType implements, as a regular expression.
var typeOracle = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

func TestValidType(t *testing.T) {
	for s, want := range map[string]bool{
		"inference.request": true, "a.b.c": true, "access_review.decision": true, "x1.y_2": true,
		"": false, "a": false, "a.": false, ".a": false, "a..b": false, "A.b": false, "a.B": false,
		"1a.b": false, "a.1b": false, "a.b ": false, "a-b.c": false, "a._b": false, "é.b": false,
	} {
		if got := ValidType(s); got != want || got != typeOracle.MatchString(s) {
			t.Errorf("ValidType(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzValidType checks the hand-written rule against the regular
// expression it replaced.
func FuzzValidType(f *testing.F) {
	for _, s := range []string{"inference.request", "a..b", "a.", "x_1.y", "A.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidType(s) != typeOracle.MatchString(s) {
			t.Fatalf("ValidType(%q) = %v, the rule says %v", s, ValidType(s), typeOracle.MatchString(s))
		}
	})
}
