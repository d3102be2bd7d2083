package monitor

import (
	"math"
	"testing"
)

func TestEstimateTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"hello", 2},                // 5 letters → 2
		{"the cat sat", 3},          // three short words
		{"Hello, world!", 6},        // hello 2, "," 1, world 2, "!" 1
		{"日本語のテキスト", 8},             // one per CJK or kana character
		{"internationalization", 5}, // 20 letters → 5
	} {
		if got := EstimateTokens(c.in); got != c.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestScriptMix(t *testing.T) {
	for _, c := range []struct {
		in     string
		script string
		share  float64
	}{
		{"", ScriptNone, 0},
		{"1234 !!", ScriptNone, 0},
		{"Hello there", ScriptLatin, 0},
		{"Привет мир", ScriptCyrillic, 1},
		{"abcd Жж", ScriptLatin, 2.0 / 6},
		{"東京タワー", ScriptCJK, 1},
		{"안녕하세요", ScriptHangul, 1},
		{"مرحبا", ScriptArabic, 1},
		{"ሰላም", ScriptOther, 1},
	} {
		s, share := scriptMix(c.in)
		if s != c.script || math.Abs(share-c.share) > 1e-12 {
			t.Errorf("scriptMix(%q) = %s %.3f, want %s %.3f", c.in, s, share, c.script, c.share)
		}
	}
}

func TestIsRefusal(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"I'm sorry, but I can't help with that request.", true},
		{"I’m sorry, I cannot assist with creating malware.", true},
		{"I can't help with that.", true},
		{"I cannot provide instructions for that.", true},
		{"As an AI language model, I cannot browse the internet.", true},
		{"Unfortunately, I can't share personal data.", true},
		{"I must decline this request.", true},
		{"Es tut mir leid, aber ich kann dabei nicht helfen.", true},
		{"Je ne peux pas vous aider avec cela.", true},
		{"Lo siento, pero no puedo ayudar con eso.", true},
		{"Sure! Here is the summary you asked for.", false},
		{"The function can't be called twice; here is why.", false},
		{"Here is the answer. Note: I can't help with taxes in other countries, but for yours...", false},
		{"I'm sorry to hear that your flight was delayed. Here are your options:", false},
		{"", false},
	} {
		if got := IsRefusal(c.in); got != c.want {
			t.Errorf("IsRefusal(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	d := Describe("Wie spät ist es?", "I'm sorry, I can't help with that.", 2, false)
	if d.PromptChars != 16 || d.ResponseChars != 34 || d.Script != ScriptLatin || !d.Refusal || d.Error {
		t.Fatalf("descriptors %+v", d)
	}
	tokens := d.PromptTokens + d.ResponseTokens
	if want := 200.0 / float64(tokens); math.Abs(d.PIIRate-want) > 1e-12 {
		t.Fatalf("PII rate %v, want %v", d.PIIRate, want)
	}
	if d := Describe("", "", 0, true); d.PIIRate != 0 || !d.Error || d.Script != ScriptNone {
		t.Fatalf("empty exchange %+v", d)
	}
}

func FuzzDescribe(f *testing.F) {
	f.Add("Hello, how are you?", "I'm sorry, but I can't help with that.", 1)
	f.Add("日本語", "", 0)
	f.Add("\xff\xfe", "\x00", -3)
	f.Fuzz(func(t *testing.T, prompt, response string, pii int) {
		d := Describe(prompt, response, pii, false)
		if d.PromptChars < 0 || d.PromptTokens < 0 || d.NonLatinShare < 0 || d.NonLatinShare > 1 || math.IsNaN(d.PIIRate) {
			t.Fatalf("descriptors out of range: %+v", d)
		}
		w := NewWindow(t0, t0)
		w.Add(d)
		if w.Samples != 1 {
			t.Fatal("exchange not counted")
		}
	})
}
