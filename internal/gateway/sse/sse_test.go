package sse

import (
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	in := ": comment\nevent: a\ndata: one\ndata: two\n\nid: 7\ndata:three\r\n\r\n\n\nevent: b\ndata: {}\n\n"
	r := NewReader(strings.NewReader(in))
	want := []Event{{"a", []byte("one\ntwo")}, {"", []byte("three")}, {"b", []byte("{}")}}
	for _, w := range want {
		e, err := r.Next()
		if err != nil || e.Name != w.Name || string(e.Data) != string(w.Data) {
			t.Fatalf("got %q %q %v, want %q %q", e.Name, e.Data, err, w.Name, w.Data)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	// An event the stream ends in the middle of is a cut, not an event.
	r = NewReader(strings.NewReader("data: cut"))
	if _, err := r.Next(); err != io.ErrUnexpectedEOF {
		t.Errorf("unterminated final event: %v", err)
	}
}

func TestLongLine(t *testing.T) {
	r := NewReader(strings.NewReader("data: " + strings.Repeat("x", MaxLine+10) + "\n\n"))
	if _, err := r.Next(); err != ErrLineTooLong {
		t.Errorf("err = %v", err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("name", "line1\nline2")
	f.Add("", "{}")
	f.Fuzz(func(t *testing.T, name, data string) {
		if strings.ContainsAny(name, "\r\n") || strings.Contains(data, "\r") {
			return
		}
		b := AppendEvent(nil, name, []byte(data))
		e, err := NewReader(strings.NewReader(string(b))).Next()
		if err != nil || e.Name != name || string(e.Data) != data {
			t.Fatalf("round trip of %q %q: %q %q %v", name, data, e.Name, e.Data, err)
		}
	})
}
