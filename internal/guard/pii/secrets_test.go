package pii

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// secretCorpus builds labelled texts with generated credentials in the
// formats the providers issue, and look-alikes that are not secrets.
func secretCorpus(rng *rand.Rand) (texts []string, want []Type) {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	rnd := func(n int, set string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = set[rng.IntN(len(set))]
		}
		return string(b)
	}
	upper := "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	gen := []struct {
		typ  Type
		make func() string
	}{
		{AWSKey, func() string { return "aws key AKIA" + rnd(16, upper) + " in config" }},
		{AWSKey, func() string { return "aws_secret_access_key = " + rnd(40, alnum+"/+") }},
		{OpenAIKey, func() string { return "OPENAI_API_KEY=sk-proj-" + rnd(48, alnum+"_-") }},
		{OpenAIKey, func() string { return "use sk-" + rnd(20, alnum) + "T3BlbkFJ" + rnd(20, alnum) + " for it" }},
		{AnthropicKey, func() string { return "x-api-key: sk-ant-api03-" + rnd(93, alnum+"_-") + "AA" }},
		{GitHubToken, func() string { return "git clone with ghp_" + rnd(36, alnum) }},
		{GitHubToken, func() string { return "GITHUB_TOKEN=github_pat_" + rnd(22, alnum) + "_" + rnd(59, alnum) }},
		{SlackToken, func() string {
			return "slack xoxb-" + rnd(12, "0123456789") + "-" + rnd(13, "0123456789") + "-" + rnd(24, alnum)
		}},
		{JWT, func() string {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
			p := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"%s"}`, rnd(10, alnum))))
			return "Authorization: Bearer " + h + "." + p + "." + rnd(43, alnum+"_-")
		}},
		{PrivateKey, func() string {
			return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + rnd(70, alnum+"+/") + "\n" + rnd(70, alnum+"+/") + "\n-----END OPENSSH PRIVATE KEY-----"
		}},
		{Secret, func() string { return "the db password is " + rnd(8, alnum) + "7" + rnd(10, alnum) }},
		{Secret, func() string { return "token: " + rnd(32, "0123456789abcdef") }},
	}
	negatives := []func() string{
		func() string { return "commit " + rnd(40, "0123456789abcdef") + " fixed the build" },
		func() string { return "see https://example.com/docs/" + rnd(8, "abcdefgh") + "/index.html" },
		func() string {
			return "request id " + rnd(8, "0123456789abcdef") + "-" + rnd(4, "0123456789abcdef") + "-" + rnd(4, "0123456789abcdef")
		},
		func() string { return "the word " + strings.Repeat("ab", 10) + " repeats" },
		func() string { return "sk-" + rnd(5, alnum) + " is too short" },
		func() string { return "build " + rnd(24, alnum) + " passed" },
	}
	for range 40 {
		for _, g := range gen {
			texts = append(texts, g.make())
			want = append(want, g.typ)
		}
		for _, n := range negatives {
			texts = append(texts, n())
			want = append(want, "")
		}
	}
	return texts, want
}

func TestSecretsAccuracy(t *testing.T) {
	texts, want := secretCorpus(rand.New(rand.NewPCG(3, 4)))
	var tp, fp, fn int
	for i, text := range texts {
		var got []Type
		for _, f := range allScanner.Scan(text) {
			if f.Type.IsSecret() {
				got = append(got, f.Type)
			}
		}
		switch {
		case want[i] == "" && len(got) > 0:
			fp += len(got)
			t.Logf("false positive %v in %q", got, text)
		case want[i] != "" && len(got) == 1 && got[0] == want[i]:
			tp++
		case want[i] != "":
			fn++
			fp += len(got)
			t.Logf("want %s, got %v in %q", want[i], got, text)
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("secrets: precision %.3f recall %.3f (%d texts)", precision, recall, len(texts))
	if precision < 0.95 || recall < 0.98 {
		t.Errorf("secrets precision %.3f recall %.3f, want at least 0.95 and 0.98", precision, recall)
	}
}
