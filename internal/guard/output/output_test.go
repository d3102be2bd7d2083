package output

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/guard/pii"
)

const personSchema = `{
  "type": "object",
  "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
  "required": ["name", "age"],
  "additionalProperties": false
}`

func TestSchema(t *testing.T) {
	s, err := CompileSchema([]byte(personSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		answer string
		ok     bool
	}{
		{`{"name":"Ann","age":30}`, true},
		{`{"name":"Ann"}`, false},
		{`{"name":"Ann","age":-1}`, false},
		{`{"name":"Ann","age":30,"ssn":"536-22-1234"}`, false},
		{`not json`, false},
		{strings.Repeat("[", 100000) + strings.Repeat("]", 100000), false},
	} {
		err := s.Validate([]byte(tt.answer))
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%.40q) = %v, want ok=%v", tt.answer, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "536-22") {
			t.Errorf("error quotes the answer: %v", err)
		}
	}
	if err := s.Validate([]byte("nope")); !errors.Is(err, ErrNotJSON) {
		t.Errorf("want ErrNotJSON, got %v", err)
	}
}

func TestSchemaRefusesExternalRefs(t *testing.T) {
	// A reference to a file or URL never loads it: the schema fails to
	// compile, or the reference fails every answer.
	for _, raw := range []string{
		`{"$ref": "file:///etc/passwd"}`,
		`{"$ref": "https://example.com/schema.json"}`,
		`{"type": "object", "properties": {"a": {"$ref": "/etc/hosts"}}}`,
	} {
		s, err := CompileSchema([]byte(raw))
		if err == nil && s.Validate([]byte(`{"a": 1}`)) == nil {
			t.Errorf("external reference resolved: %s", raw)
		}
	}
	if _, err := CompileSchema([]byte(`{"type": 5}`)); err == nil {
		t.Error("invalid schema accepted")
	}
	if _, err := CompileSchema([]byte(strings.Repeat("[", 20000))); err == nil {
		t.Error("deeply nested garbage accepted")
	}
}

func TestCanary(t *testing.T) {
	c := NewCanary()
	if c == NewCanary() || !strings.HasPrefix(c, canaryPrefix) {
		t.Fatalf("canary %q", c)
	}
	core := strings.TrimPrefix(c, canaryPrefix)
	spaced := strings.Join(strings.Split(strings.ToUpper(core), ""), " ")
	zw := strings.Join(strings.Split(core, ""), "\u200b")
	for _, answer := range []string{"my instructions mention " + c, "ref: " + core, spaced, zw} {
		if !Leaked(answer, c) {
			t.Errorf("leak not seen in %q", answer)
		}
	}
	if Leaked("a perfectly normal answer", c) || Leaked("attest-canary-", c) {
		t.Error("false leak")
	}
}

func TestDailyCanary(t *testing.T) {
	day := time.Date(2026, 11, 22, 0, 0, 1, 0, time.UTC)
	a, b := []byte("tenant-a key"), []byte("tenant-b key")
	c := DailyCanary(a, day)
	if !strings.HasPrefix(c, canaryPrefix) || len(c) != len(NewCanary()) {
		t.Fatalf("canary %q", c)
	}
	// The same all day, in any time zone the clock reports.
	late := time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC).In(time.FixedZone("UTC-8", -8*3600))
	if DailyCanary(a, late) != c {
		t.Error("the canary changed within the day")
	}
	if DailyCanary(a, day.AddDate(0, 0, 1)) == c || DailyCanary(b, day) == c {
		t.Error("the canary is the same on another day or for another key")
	}
	if !Leaked("the prompt says "+c, c) {
		t.Error("leak of a daily canary not seen")
	}
}

func TestCheck(t *testing.T) {
	s, _ := CompileSchema([]byte(personSchema))
	p := DefaultPolicy()
	c := NewCanary()
	g, err := pii.NewGuard(pii.Policy{Entities: map[pii.Type]pii.Action{pii.SSN: pii.ActionBlock, pii.Email: pii.ActionRedact}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(answer string, req Request) Verdict {
		return p.Check(answer, req, g.Scanner.Scan(answer), g)
	}
	if v := check(`{"name":"Ann","age":3}`, Request{Schema: s, Canary: c}); v.Action != Allow {
		t.Errorf("good answer: %+v", v)
	}
	if v := check(`{"name":"Ann"}`, Request{Schema: s}); v.Action != Retry {
		t.Errorf("schema failure: %+v", v)
	}
	if v := check(`{"name":"Ann"}`, Request{Schema: s, Retried: true}); v.Action != Block {
		t.Errorf("failed retry must block: %+v", v)
	}
	if v := check("sure, my prompt says "+c, Request{Canary: c}); v.Action != Block {
		t.Errorf("canary leak: %+v", v)
	}
	if v := check("the ssn is 536-22-1234", Request{}); v.Action != Block || v.PII[pii.SSN] != 1 {
		t.Errorf("blocked PII: %+v", v)
	}
	if v := check("mail ann@example.com", Request{}); v.Action != Allow || v.PII[pii.Email] != 1 {
		t.Errorf("redacted PII only counts: %+v", v)
	}
	short := Policy{OnSchema: Retry, OnCanary: Block, OnPII: Block, OnLength: Flag, MaxChars: 10}
	if v := short.Check(strings.Repeat("é", 11), Request{}, nil, nil); v.Action != Flag {
		t.Errorf("length: %+v", v)
	}
	if v := short.Check(strings.Repeat("é", 10), Request{}, nil, nil); v.Action != Allow {
		t.Errorf("10 characters of 2 bytes each are within 10 characters: %+v", v)
	}
	if err := (Policy{OnSchema: "explode"}).Validate(); err == nil {
		t.Error("unknown action accepted")
	}
}

func FuzzSchemaValidate(f *testing.F) {
	s, err := CompileSchema([]byte(personSchema))
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range []string{`{"name":"a","age":1}`, `[]`, `{`, `"x"`, "\xff"} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		_ = s.Validate([]byte(answer))
		_ = Leaked(answer, "attest-canary-0123456789abcdef01234567")
	})
}

func FuzzCompileSchema(f *testing.F) {
	f.Add(personSchema)
	f.Add(`{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}`)
	f.Add(`{"pattern":"(a+)+$"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		_, _ = CompileSchema([]byte(raw))
	})
}
