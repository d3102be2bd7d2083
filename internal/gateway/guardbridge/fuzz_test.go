package guardbridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/gateway/guardbridge"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// FuzzDecodeDoc feeds the policy API's body parser: it never panics,
// and what it accepts and validates survives a round trip.
func FuzzDecodeDoc(f *testing.F) {
	def, _ := json.Marshal(guardbridge.DefaultDoc("acme"))
	for _, s := range []string{string(def), `{}`, `{"pii":{"EMAIL":"tokenize"},"fail_open":true}`, `{"pii":{"EMAIL":"hash"}}`,
		`{"timeout_ms":1e308}`, `{"injection":{"block":0.5}}`, `{"output":{"on_schema":"retry","max_chars":-1}}`, `[]`, `{"pii":null} {}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := guardbridge.DecodeDoc(bytes.NewReader(b))
		if err != nil || d.Validate(key) != nil {
			return
		}
		again, _ := json.Marshal(d)
		back, err := guardbridge.DecodeDoc(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("accepted %s but not its own encoding %s: %v", b, again, err)
		}
		if d.Policy(nil).Summary().PolicySHA256 != back.Policy(nil).Summary().PolicySHA256 {
			t.Fatalf("round trip changed the policy: %s -> %s", b, again)
		}
	})
}

var (
	fuzzGuardOnce sync.Once
	fuzzGuard     *guardbridge.Guard
)

func sharedGuard(t testing.TB) *guardbridge.Guard {
	fuzzGuardOnce.Do(func() {
		p, err := guardbridge.NewPolicies(gatewaytest.NewRecords(), &gatewaytest.Ledger{}, key)
		if err != nil {
			t.Fatal(err)
		}
		if fuzzGuard, err = guardbridge.New(p); err != nil {
			t.Fatal(err)
		}
	})
	return fuzzGuard
}

func session(t testing.TB, g *guardbridge.Guard) gateway.GuardSession {
	v, s, err := g.Check(context.Background(), &gateway.GuardRequest{Tenant: tenant, Parts: []gateway.GuardPart{{Role: "user", Text: "hi"}}})
	if err != nil || v.Action != gateway.GuardAllow {
		t.Fatalf("check: %+v %v", v, err)
	}
	return s
}

// FuzzStreamBoundaries cuts an answer holding an email into three chunks
// anywhere: when the whole answer would not show the email, neither may
// the stream, wherever the cuts fall.
func FuzzStreamBoundaries(f *testing.F) {
	f.Add("Write to", "today.", uint16(3), uint16(17))
	f.Add("", "", uint16(0), uint16(0))
	f.Add("mail:", "or call +44 20 7946 0958", uint16(11), uint16(40))
	f.Add("é\u200b", "\u202e", uint16(2), uint16(9))
	g := sharedGuard(f)
	f.Fuzz(func(t *testing.T, before, after string, a, b uint16) {
		text := before + " " + email + " " + after
		_, whole := session(t, g).Answer(context.Background(), text, false)
		if strings.Contains(whole, email) {
			return
		}
		i, j := int(a)%(len(text)+1), int(b)%(len(text)+1)
		if i > j {
			i, j = j, i
		}
		ctx := context.Background()
		fl := session(t, g).Stream()
		var out strings.Builder
		for _, c := range []string{text[:i], text[i:j], text[j:]} {
			s, stop := fl.Text(ctx, 0, c)
			out.WriteString(s)
			if stop {
				break
			}
		}
		tail, _ := fl.EndText(ctx, 0)
		out.WriteString(tail)
		fl.Close(ctx)
		if strings.Contains(out.String(), email) {
			t.Fatalf("cut at %d and %d, the stream released the email: %q", i, j, out.String())
		}
	})
}
