package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testLog is a Merkle tree in memory with a signing key: a log small
// enough to fork at will.
type testLog struct {
	t      testing.TB
	origin string
	signer note.Signer
	vkey   string

	mu     sync.Mutex
	hashes []tlog.Hash // tlog's stored hashes
	size   int64
	cp     *ledger.Checkpoint // the newest checkpoint, with cosignatures
}

func newTestLog(t testing.TB, origin string) *testLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(nil, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{t: t, origin: origin, signer: s, vkey: vkey}
}

func (l *testLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

// grow appends n records named after prefix, so two logs grown with
// different prefixes fork.
func (l *testLog) grow(n int, prefix string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < n; i++ {
		hs, err := tlog.StoredHashes(l.size, fmt.Appendf(nil, "%s-%d", prefix, l.size), l)
		if err != nil {
			l.t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.size++
	}
}

// sign returns a signed checkpoint of the current tree.
func (l *testLog) sign() ledger.Checkpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	root, err := tlog.TreeHash(l.size, l)
	if err != nil {
		l.t.Fatal(err)
	}
	b, err := ledger.SignCheckpoint(l.signer, l.origin, uint64(l.size), root)
	if err != nil {
		l.t.Fatal(err)
	}
	return ledger.Checkpoint{Size: uint64(l.size), Root: root, Note: b, Time: time.Now()}
}

// publish signs and stores a checkpoint of the current tree.
func (l *testLog) publish() ledger.Checkpoint {
	c := l.sign()
	l.mu.Lock()
	l.cp = &c
	l.mu.Unlock()
	return c
}

func (l *testLog) ConsistencyProof(_ context.Context, old, new uint64) ([]tlog.Hash, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old == 0 || old == new {
		return nil, nil
	}
	return tlog.ProveTree(int64(new), int64(old), l)
}

func (l *testLog) LatestCheckpoint(context.Context) (ledger.Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cp == nil {
		return ledger.Checkpoint{}, ledger.ErrNotFound
	}
	return *l.cp, nil
}

func (l *testLog) AddCosignatures(_ context.Context, size uint64, sigs []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cp == nil || l.cp.Size != size {
		return ledger.ErrNotFound
	}
	n, err := ledger.MergeSignatures(l.cp.Note, sigs)
	if err != nil {
		return err
	}
	l.cp.Note = n
	return nil
}

// newCosigner is a witness's key pair.
func newCosigner(t testing.TB, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// cosign returns a witness's signature line for a checkpoint note.
func cosign(t testing.TB, s note.Signer, signed []byte) []byte {
	t.Helper()
	text := noteText(signed)
	b, err := note.Sign(&note.Note{Text: string(text)}, s)
	if err != nil {
		t.Fatal(err)
	}
	return b[len(text)+1:]
}

// events records what the client appends to the ledger.
type events struct {
	mu   sync.Mutex
	list []ledger.Event
}

var _ ledger.Appender = (*events)(nil)

func (e *events) Append(_ context.Context, ev ledger.Event) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
	return uint64(len(e.list) - 1), nil
}

func (e *events) bodies() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.list {
		out = append(out, string(ev.Body))
	}
	return out
}

// corrupt flips a bit of the last signature of a note, keeping its key
// name and ID: a signature line that must fail to verify.
func corrupt(signed []byte) []byte {
	i := bytes.LastIndexByte(signed, ' ') + 1
	raw, _ := base64.StdEncoding.DecodeString(string(signed[i : len(signed)-1]))
	raw[len(raw)-1] ^= 1
	return append(bytes.Clone(signed[:i]), base64.StdEncoding.EncodeToString(raw)+"\n"...)
}
