package ledger

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
)

func TestCanonicalJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{` { "z" : [ 1 , 2 ] , "a" : { "y" : null , "x" : true } } `, `{"a":{"x":true,"y":null},"z":[1,2]}`},
		{`{"s":"\u00e9\/\"\n\u001f"}`, `{"s":"é/\"\n\u001f"}`},
		{`[1.0, 1e2, -0, 0.000001, 1e-7, 1e21, 123456789012345678, 4.50]`, `[1,100,0,0.000001,1e-7,1e+21,123456789012345680,4.5]`},
		{`{"\ufb33":2,"\ud83d\ude00":1}`, "{\"\U0001F600\":1,\"\uFB33\":2}"}, // UTF-16 order: D83D sorts before FB33
		{`"<&>"`, `"<&>"`},
		{`{}`, `{}`},
		{`[]`, `[]`},
	}
	for _, c := range cases {
		got, err := canonicalJSON([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if string(got) != c.want {
			t.Errorf("canonical(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestCanonicalJSONRejects(t *testing.T) {
	for _, in := range []string{`{"a":1,"a":2}`, `{"a":1`, `[1,]`, `01`, `"\x01"`, `nul`, `1 2`, `{"a" 1}`, `1e999`, "\"\xff\"", strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if _, err := canonicalJSON([]byte(in)); err == nil {
			t.Errorf("canonical(%q) accepted invalid or non-I-JSON input", in)
		}
	}
}

func TestES6Numbers(t *testing.T) {
	cases := map[float64]string{
		1: "1", -1.5: "-1.5", 1e21: "1e+21", 1e20: "100000000000000000000", 1e-6: "0.000001", 1.5e-7: "1.5e-7",
		math.MaxFloat64: "1.7976931348623157e+308", 5e-324: "5e-324", 0.30000000000000004: "0.30000000000000004",
	}
	for f, want := range cases {
		if got := string(appendES6Number(nil, f)); got != want {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
	}
}

// FuzzCanonicalJSON checks our encoder against an independent JCS library:
// wherever the library accepts input, we must produce the same bytes, and
// our output must be a fixed point.
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1,2.5,"x"]}`, `{"k":"\u00e9\ud83d\ude00"}`, `[1e300,-0.0,3]`, `{"a":{"b":{"c":null}}}`, `"\t"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := canonicalJSON(in)
		if err != nil {
			return
		}
		if !json.Valid(got) {
			t.Fatalf("output is not JSON: %s", got)
		}
		again, err := canonicalJSON(got)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("not a fixed point: %s -> %s (%v)", got, again, err)
		}
		want, err := jcs.Transform(in)
		if err != nil {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("differs from reference JCS\n in  %q\n got %s\nwant %s", in, got, want)
		}
	})
}

// TestEnvelopeSize checks that the envelope's buffer is sized once: the
// estimate is never short for strings without escapes.
func TestEnvelopeSize(t *testing.T) {
	e := MustEvent("inference.response", "tenant-with-a-long-name", Actor{Kind: ActorService, ID: "key:0123456789abcdef"},
		map[string]any{"status": 200, "latency_us": 1234}, Ref{Kind: "request", ID: "req_0123456789"}, Ref{Kind: "subject", ID: "hmac:abcdef0123456789"})
	e.Time = time.Date(2026, 11, 22, 4, 5, 6, 123456000, time.UTC)
	data, err := e.Canonical(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if est := e.envelopeSize(len(e.Body)); est < len(data) || est > len(data)+64 {
		t.Fatalf("estimated %d bytes for a %d-byte event", est, len(data))
	}
}
