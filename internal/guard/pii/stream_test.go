package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// streamPieces is the material the stream tests assemble texts from:
// ordinary prose, entities of every kind, and the awkward bits between.
var streamPieces = []string{
	"the quick brown fox jumps over the lazy dog and then ",
	"please send the invoice to ", "jane.doe@example.com", " before friday, ",
	"call me on +1 415-555-0132 tomorrow ", "my card is 4111 1111 1111 1111 ",
	"ssn 123-45-6789 ", "iban GB82 WEST 1234 5698 7654 32 ",
	"My name is Teresa Kreutzmann and I live in Helsinki. ",
	"She moved to 2437 Main St\n Apt. 12\n Springfield\n United States 21959 ",
	"token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 ",
	"key AKIAIOSFODNN7EXAMPLE ", "server 192.168.10.20 and fe80::1ff:fe23:4567:890a ",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq5\n-----END RSA PRIVATE KEY-----\n",
	"j\u200bohn@ex\u0430mple.com ", "\xff\xfe broken bytes ", "born on March 3, 1990 ",
	"lena andersson wrote this note without capitals because she likes it that way ",
	"\n\n", "  ", "The Big Three ", "Alvir spent a year there as the assistant to Alvir D. Pušaver. ",
}

func streamText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(streamPieces[rng.IntN(len(streamPieces))])
	}
	return b.String()
}

// wholeAndStreamed redacts text in one piece and in the given chunks with
// fresh redactors and returns both results.
func wholeAndStreamed(t testing.TB, g *Guard, text string, chunks []string) (string, string) {
	whole, _ := g.Redactor().Redact(text)
	s := g.Redactor().Stream(false)
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString(s.Write(c))
	}
	b.WriteString(s.Flush())
	return whole, b.String()
}

func chunk(rng *rand.Rand, text string, maxLen int) []string {
	var out []string
	for len(text) > 0 {
		n := min(len(text), 1+rng.IntN(maxLen))
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

var streamGuard = func() *Guard {
	g, err := NewGuard(DefaultPolicy())
	if err != nil {
		panic(err)
	}
	return g
}()

func TestStreamMatchesWholeText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	released := 0
	for i := range 60 {
		text := streamText(rng, 20+rng.IntN(80))
		chunks := chunk(rng, text, 1+rng.IntN(200))
		whole, streamed := wholeAndStreamed(t, streamGuard, text, chunks)
		if whole != streamed {
			t.Fatalf("case %d: streamed output differs from whole-text output\nwhole:    %q\nstreamed: %q", i, whole, streamed)
		}
		s := streamGuard.Redactor().Stream(false)
		for _, c := range chunks {
			if s.Write(c) != "" {
				released++
			}
		}
	}
	// The test means something only if text is released before the end.
	if released == 0 {
		t.Fatal("no text was released before Flush; the stream never cut")
	}
}

func TestStreamSplitEntity(t *testing.T) {
	g := streamGuard
	prose := strings.Repeat("the report was filed and the team went home early that day ", 20)
	text := prose + "contact jane.doe@example.com or 4111 1111 1111 1111 " + prose
	i := strings.Index(text, "doe@") + 2
	j := strings.Index(text, "1111 1111 1111") + 3
	s := g.Redactor().Stream(false)
	out := s.Write(text[:i]) + s.Write(text[i:j]) + s.Write(text[j:]) + s.Flush()
	if strings.Contains(out, "doe@") || strings.Contains(out, "1111 1111") {
		t.Fatalf("an entity split over chunks leaked: %q", out)
	}
	if got := s.Result().Counts; got[Email] != 1 || got[CreditCard] != 1 {
		t.Errorf("counts %v", got)
	}
}

func TestStreamRestoresTokens(t *testing.T) {
	g, err := NewGuard(Policy{Entities: map[Type]Action{Email: ActionTokenize}})
	if err != nil {
		t.Fatal(err)
	}
	r := g.Redactor()
	req, _ := r.Redact("write to ann@example.com")
	if !strings.Contains(req, "<EMAIL_T1>") {
		t.Fatalf("request %q", req)
	}
	answer := strings.Repeat("this is a long and friendly answer that goes on ", 30) + "I mailed <EMAIL_T1> today. " + strings.Repeat("more words follow here ", 30)
	s := r.Stream(true)
	var b strings.Builder
	for _, c := range chunk(rand.New(rand.NewPCG(5, 6)), answer, 7) {
		b.WriteString(s.Write(c))
	}
	b.WriteString(s.Flush())
	if !strings.Contains(b.String(), "I mailed ann@example.com today") {
		t.Fatalf("token not restored in the stream: %q", b.String())
	}
}

func FuzzStream(f *testing.F) {
	f.Add(uint64(1), uint16(40), uint8(7))
	f.Add(uint64(99), uint16(300), uint8(1))
	f.Add(uint64(7), uint16(120), uint8(255))
	f.Fuzz(func(t *testing.T, seed uint64, pieces uint16, maxChunk uint8) {
		rng := rand.New(rand.NewPCG(seed, 17))
		text := streamText(rng, int(pieces%400))
		whole, streamed := wholeAndStreamed(t, streamGuard, text, chunk(rng, text, int(maxChunk)+1))
		if whole != streamed {
			t.Fatalf("streamed output differs\nwhole:    %q\nstreamed: %q", whole, streamed)
		}
	})
}

func FuzzStreamBytes(f *testing.F) {
	f.Add("call +1 415-555-0132 or mail jane@example.com", uint8(3))
	f.Add(strings.Repeat("word ", 300)+"4111 1111 1111 1111", uint8(9))
	f.Fuzz(func(t *testing.T, text string, maxChunk uint8) {
		// Pad with prose so that the stream has boundaries to cut at.
		pad := strings.Repeat("the answer is still being written down ", 20)
		text = pad + text + pad
		rng := rand.New(rand.NewPCG(uint64(len(text)), uint64(maxChunk)))
		whole, streamed := wholeAndStreamed(t, streamGuard, text, chunk(rng, text, int(maxChunk)+1))
		if whole != streamed {
			t.Fatalf("streamed output differs\nwhole:    %q\nstreamed: %q", whole, streamed)
		}
	})
}
