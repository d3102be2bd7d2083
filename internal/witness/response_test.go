package witness

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"0\n": 0, "7\n": 7, "18446744073709551615\n": 1<<64 - 1} {
		if got, err := ParseSize([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"", "7", "07\n", "-1\n", " 7\n", "7\n\n", "seven\n", "18446744073709551616\n"} {
		if _, err := ParseSize([]byte(in)); err == nil {
			t.Errorf("%q was accepted", in)
		}
	}
}

func TestParseSignatures(t *testing.T) {
	good := "— w1.example AAAAAAE=\n— w2.example/x AAAAAAEC\n"
	sigs, err := ParseSignatures([]byte(good))
	if err != nil || len(sigs) != 2 || sigs[0].Name != "w1.example" || sigs[0].Hash != 0 || sigs[1].Base64 != "AAAAAAEC" {
		t.Fatalf("%+v %v", sigs, err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "no signature lines"},
		{"no newline", "— w AAAAAAE=", "newline"},
		{"hyphen", "- w AAAAAAE=\n", "em dash"},
		{"no name", "—  AAAAAAE=\n", "key name"},
		{"plus in name", "— a+b AAAAAAE=\n", "key name"},
		{"too short", "— w AAAA\n", "key ID and a signature"},
		{"not base64", "— w ****\n", "key ID and a signature"},
		{"blank line", "— w AAAAAAE=\n\n", "line 2"},
		{"too many", strings.Repeat("— w AAAAAAE=\n", 17), "more than 16"},
	} {
		if _, err := ParseSignatures([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestCosignatureAnswer(t *testing.T) {
	log := newTestLog(t, "log.example")
	log.grow(4, "a")
	cp := log.sign()
	w, vkey := newCosigner(t, "w.example")
	other, _ := newCosigner(t, "other.example")
	v, _ := ParseKey(vkey)
	text := noteText(cp.Note)
	line := cosign(t, w, cp.Note)
	got, err := cosignature(text, append(cosign(t, other, cp.Note), line...), v)
	if err != nil || !bytes.Equal(got, line) {
		t.Fatalf("the witness's line among others: %q %v", got, err)
	}
	if _, err := cosignature(text, cosign(t, other, cp.Note), v); err == nil || !strings.Contains(err.Error(), "no signature by the configured key") {
		t.Fatalf("only another key's line: %v", err)
	}
	// A cosignature of another checkpoint does not verify for this one.
	log.grow(1, "a")
	if _, err := cosignature(text, cosign(t, w, log.sign().Note), v); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("a cosignature of another checkpoint: %v", err)
	}
	// A plain Ed25519 signature has the key ID of the note key, not of
	// the cosignature key, so it is not the witness's.
	if _, err := cosignature(text, []byte("garbage\n"), v); err == nil {
		t.Fatal("garbage was accepted")
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0\n", "42\n", "042\n", "1\r\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseSize(b)
		if err == nil && string(b) != strings.TrimSpace(string(b))+"\n" {
			t.Fatalf("accepted %q as %d", b, n)
		}
	})
}

func FuzzParseSignatures(f *testing.F) {
	f.Add([]byte("— w1.example AAAAAAE=\n"))
	f.Add([]byte("— witness.example/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"))
	f.Add([]byte("— a AAAAAAE=\n— b AAAAAAE=\n"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sigs, err := ParseSignatures(b)
		if err != nil {
			return
		}
		var again []byte
		for _, s := range sigs {
			again = append(again, "— "+s.Name+" "+s.Base64+"\n"...)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted %q but it re-encodes as %q", b, again)
		}
	})
}

// FuzzCosignature feeds arbitrary witness answers to the check of a 200
// answer: nothing but the witness's genuine line may come out.
func FuzzCosignature(f *testing.F) {
	log := newTestLog(f, "log.example")
	log.grow(4, "a")
	cp := log.sign()
	w, vkey := newCosigner(f, "w.example")
	v, _ := ParseKey(vkey)
	text := noteText(cp.Note)
	line := cosign(f, w, cp.Note)
	f.Add(line)
	f.Add(append([]byte("— other.example AAAAAAE=\n"), line...))
	f.Add([]byte("— w.example AAAAAAE=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := cosignature(text, b, v)
		if err != nil {
			return
		}
		sigs, perr := ParseSignatures(got)
		if perr != nil || len(sigs) != 1 || sigs[0].Name != "w.example" || !bytes.Contains(b, got) {
			t.Fatalf("answer %q gave %q", b, got)
		}
		if _, err := Count(append(bytes.Clone(cp.Note), got...), log.vkey, []note.Verifier{v}); err != nil {
			t.Fatalf("the line taken from %q does not verify: %v", b, err)
		}
	})
}
