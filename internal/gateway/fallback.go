package gateway

import (
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// fallbackAnswer picks the configured rule-based answer for req.
func fallbackAnswer(f *FallbackConfig, req *chat.Request) string {
	prompt := strings.ToLower(req.LastUserText())
	for _, r := range f.Rules {
		ok := len(r.Keywords) > 0
		for _, k := range r.Keywords {
			if !strings.Contains(prompt, strings.ToLower(k)) {
				ok = false
				break
			}
		}
		if ok {
			return r.Answer
		}
	}
	return f.Default
}
