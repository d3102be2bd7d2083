package ledger

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestMergeSignatures(t *testing.T) {
	s, vkey := testKey(t)
	signed, _ := SignCheckpoint(s, "attest.test/fuzz", 3, tlog.RecordHash([]byte("x")))
	line := func(name string) []byte {
		skey, _, _ := note.GenerateKey(nil, name)
		ws, _ := note.NewSigner(skey)
		n, _ := note.Sign(&note.Note{Text: string(signed[:bytes.Index(signed, []byte("\n\n"))+1])}, ws)
		return n[bytes.LastIndex(n, []byte("\n\n"))+2:]
	}
	a, b := line("w.example/a"), line("w.example/b")
	merged, err := MergeSignatures(signed, append(bytes.Clone(a), b...))
	if err != nil || !bytes.Equal(merged, append(append(bytes.Clone(signed), a...), b...)) {
		t.Fatalf("merge: %v\n%s", err, merged)
	}
	if _, _, err := OpenCheckpoint(merged, vkey); err != nil {
		t.Fatalf("the log's signature no longer verifies: %v", err)
	}
	// Lines by keys that already signed, the log's included, are dropped.
	logLine := signed[bytes.LastIndex(signed, []byte("\n\n"))+2:]
	again, err := MergeSignatures(merged, append(append(bytes.Clone(a), logLine...), a...))
	if err != nil || !bytes.Equal(again, merged) {
		t.Fatalf("repeated lines were added: %v\n%s", err, again)
	}
	for _, bad := range [][]byte{[]byte("junk\n"), []byte("— w AAAA"), nil} {
		if _, err := MergeSignatures(signed, bad); err == nil {
			t.Errorf("%q was merged", bad)
		}
	}
	if _, err := MergeSignatures([]byte("not a note"), a); err == nil {
		t.Error("merged into a non-note")
	}
}

func TestSignerOnPublish(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	l, err := Open(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, _ := testKey(t)
	sg := NewSigner(l, s)
	var told []uint64
	sg.OnPublish(func(c Checkpoint) { told = append(told, c.Size) })
	for i := 0; i < 2; i++ {
		if _, err := l.Append(ctx, ev(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := sg.Publish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing new: no checkpoint, no notice.
	if _, err := sg.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if len(told) != 2 || told[0] != 1 || told[1] != 2 {
		t.Fatalf("told of %v, want sizes 1 and 2", told)
	}
}

// TestOpenCheckpointWrongKey checks that a checkpoint verified with the
// wrong key of the same name says so and what to pass instead.
func TestOpenCheckpointWrongKey(t *testing.T) {
	s, _ := testKey(t)
	_, other := testKey(t) // the same name, another key
	signed, _ := SignCheckpoint(s, "attest.test/fuzz", 3, tlog.RecordHash([]byte("x")))
	_, _, err := OpenCheckpoint(signed, other)
	if err == nil || !strings.Contains(err.Error(), "attest ledger key") {
		t.Fatalf("wrong key: %v", err)
	}
}
