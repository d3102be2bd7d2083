package witness

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestRequestRoundTrip(t *testing.T) {
	cp := []byte("log.example\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— log.example AAAAAQ==\n")
	for _, r := range []Request{
		{OldSize: 0, Checkpoint: cp},
		{OldSize: 2, Proof: []tlog.Hash{tlog.RecordHash([]byte("a")), tlog.RecordHash([]byte("b"))}, Checkpoint: cp},
	} {
		b := r.Marshal()
		got, err := ParseRequest(b)
		if err != nil {
			t.Fatalf("parse %q: %v", b, err)
		}
		if got.OldSize != r.OldSize || len(got.Proof) != len(r.Proof) || !bytes.Equal(got.Checkpoint, cp) {
			t.Fatalf("round trip of %+v gave %+v", r, got)
		}
		for i := range r.Proof {
			if got.Proof[i] != r.Proof[i] {
				t.Fatalf("proof line %d changed", i)
			}
		}
	}
	if b := (Request{OldSize: 7, Checkpoint: cp}).Marshal(); !bytes.HasPrefix(b, []byte("old 7\n\nlog.example\n")) {
		t.Fatalf("body %q", b)
	}
}

func TestParseRequestRefuses(t *testing.T) {
	h := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	proof64 := strings.Repeat(h+"\n", 64)
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", "no old size line"},
		{"no old", "size 3\n\ncp\n", `"old <size>"`},
		{"leading zero", "old 03\n\ncp\n", "not a decimal size"},
		{"sign", "old +3\n\ncp\n", "not a decimal size"},
		{"too big", "old 18446744073709551616\n\ncp\n", "out of range"},
		{"no blank line", "old 3\n" + h + "\n", "not followed by an empty line"},
		{"short hash", "old 3\nAAAA\n\ncp\n", "proof line 1"},
		{"unpadded hash", "old 3\n" + strings.TrimSuffix(h, "=") + "\n\ncp\n", "proof line 1"},
		{"64 proof lines", "old 3\n" + proof64 + "\ncp\n", "more than 63"},
		{"no checkpoint", "old 3\n\n", "no checkpoint"},
	} {
		if _, err := ParseRequest([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if r, err := ParseRequest([]byte("old 0\n\ncp\n")); err != nil || r.OldSize != 0 || len(r.Proof) != 0 {
		t.Errorf("old 0: %+v %v", r, err)
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 0\n\nlog.example\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— log.example AAAAAQ==\n"))
	f.Add([]byte("old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\ncp\n"))
	f.Add([]byte("old 1\n\n"))
	f.Add([]byte("old 01\nAAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		// The framing has exactly one encoding, so anything accepted
		// re-encodes to the same bytes.
		if got := r.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("accepted %q but it re-encodes as %q", b, got)
		}
		if len(r.Proof) > maxProofLines || len(r.Checkpoint) == 0 {
			t.Fatalf("accepted %d proof lines and a checkpoint of %d bytes", len(r.Proof), len(r.Checkpoint))
		}
	})
}
