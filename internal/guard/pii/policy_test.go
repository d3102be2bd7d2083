package pii

import (
	"strings"
	"testing"
)

func mustGuard(t *testing.T, p Policy) *Guard {
	t.Helper()
	g, err := NewGuard(p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRedactConsistentPlaceholders(t *testing.T) {
	g := mustGuard(t, Policy{Entities: map[Type]Action{Email: ActionRedact, Phone: ActionRedact}})
	r := g.Redactor()
	a, res := r.Redact("mail ann@example.com or bob@example.com, again ann@example.com")
	if want := "mail <EMAIL_1> or <EMAIL_2>, again <EMAIL_1>"; a != want {
		t.Fatalf("got %q, want %q", a, want)
	}
	if res.Counts[Email] != 3 {
		t.Errorf("counts %v", res.Counts)
	}
	// The same request keeps its numbering in another part.
	b, _ := r.Redact("cc bob@example.com")
	if b != "cc <EMAIL_2>" {
		t.Errorf("second part: %q", b)
	}
	if strings.Contains(a+b, "@example.com") {
		t.Error("a value survived redaction")
	}
}

func TestActions(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	g := mustGuard(t, Policy{Entities: map[Type]Action{CreditCard: ActionMask, Email: ActionHash, SSN: ActionBlock, IPAddress: ActionFlag}, HashKey: key})
	out, res := g.Redactor().Redact("card 4111 1111 1111 1111, mail ann@example.com, ssn 536-22-1234, ip 10.1.2.3")
	if !strings.Contains(out, "**** **** **** 1111") {
		t.Errorf("mask: %q", out)
	}
	if !strings.Contains(out, "<EMAIL:") || strings.Contains(out, "ann@") {
		t.Errorf("hash: %q", out)
	}
	if !strings.Contains(out, "10.1.2.3") {
		t.Errorf("flag must keep the value: %q", out)
	}
	if len(res.Blocked) != 1 || res.Blocked[0] != SSN {
		t.Errorf("blocked %v", res.Blocked)
	}
	// Keyed: another key gives another hash, the same key the same one.
	g2 := mustGuard(t, Policy{Entities: map[Type]Action{Email: ActionHash}, HashKey: []byte("another-key-another-key-another!")})
	h1, _ := g.Redactor().Redact("ann@example.com")
	h2, _ := g.Redactor().Redact("ann@example.com")
	h3, _ := g2.Redactor().Redact("ann@example.com")
	if h1 != h2 || h1 == h3 {
		t.Errorf("hashes %q %q %q", h1, h2, h3)
	}
}

func TestTokenizeRestore(t *testing.T) {
	g := mustGuard(t, Policy{Entities: map[Type]Action{Email: ActionTokenize, Phone: ActionRedact}})
	r := g.Redactor()
	req, _ := r.Redact("Reply to ann@example.com or call +44 20 7946 0958")
	if strings.Contains(req, "ann@example.com") || !strings.Contains(req, "<EMAIL_T1>") {
		t.Fatalf("request: %q", req)
	}
	answer := "I wrote to <EMAIL_T1>; I cannot call <PHONE_1>. <EMAIL_T9> is unknown. <EMAIL_T1"
	got := r.Restore(answer)
	want := "I wrote to ann@example.com; I cannot call <PHONE_1>. <EMAIL_T9> is unknown. <EMAIL_T1"
	if got != want {
		t.Errorf("restore:\n got %q\nwant %q", got, want)
	}
	// Another request's redactor knows nothing.
	if other := g.Redactor().Restore(answer); other != answer {
		t.Errorf("a fresh redactor restored %q", other)
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    Policy
	}{
		{"empty", Policy{}},
		{"unknown type", Policy{Entities: map[Type]Action{"SHOE": ActionRedact}}},
		{"unknown action", Policy{Entities: map[Type]Action{Email: "shred"}}},
		{"hash without key", Policy{Entities: map[Type]Action{Email: ActionHash}}},
		{"bad score", Policy{Entities: map[Type]Action{Email: ActionRedact}, MinScore: 2}},
	} {
		if err := tt.p.Validate(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := DefaultPolicy().Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"4111 1111 1111 1111": "**** **** **** 1111", "short": "*****", "ann@example.com": "***@*******.com"} {
		if got := mask(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
