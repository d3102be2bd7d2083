package witness

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestCount(t *testing.T) {
	log := newTestLog(t, "log.example")
	log.grow(5, "a")
	cp := log.sign()
	w1, v1 := newCosigner(t, "w1.example")
	w2, v2 := newCosigner(t, "w2.example")
	_, v3 := newCosigner(t, "w3.example")
	ws, err := ParseKeys([]string{v1, v2, v3})
	if err != nil {
		t.Fatal(err)
	}
	with := func(lines ...[]byte) []byte {
		return append(bytes.Clone(cp.Note), bytes.Join(lines, nil)...)
	}
	l1, l2 := cosign(t, w1, cp.Note), cosign(t, w2, cp.Note)
	forged := corrupt(l1)
	other := newTestLog(t, "log.example")
	for _, tc := range []struct {
		name    string
		msg     []byte
		logKey  string
		want    int
		wantErr string
	}{
		{"log signature only", cp.Note, log.vkey, 0, ""},
		{"one witness", with(l1), log.vkey, 1, ""},
		{"two witnesses", with(l1, l2), log.vkey, 2, ""},
		{"the same line twice", with(l1, l1), log.vkey, 1, ""},
		{"an unknown key's line", with(cosign(t, must(newCosigner(t, "w4.example")), cp.Note)), log.vkey, 0, ""},
		{"forged cosignature", with(forged), log.vkey, 0, "w1.example does not verify"},
		{"another log's key", with(l1), other.vkey, 0, "not signed by the log's key"},
		{"not a note", []byte("hello"), log.vkey, 0, "open checkpoint"},
	} {
		n, err := Count(tc.msg, tc.logKey, ws)
		if n != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: got %d, %v; want %d, %q", tc.name, n, err, tc.want, tc.wantErr)
		}
	}
	// A note carrying only a witness's signature is not the log's.
	onlyWitness, _ := note.Sign(&note.Note{Text: string(noteText(cp.Note))}, w1)
	if _, err := Count(onlyWitness, log.vkey, ws); err == nil {
		t.Error("a note without the log's signature counted")
	}
}

func must(s note.Signer, _ string) note.Signer { return s }
