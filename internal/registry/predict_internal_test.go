package registry

import "testing"

func FuzzParseCompletion(f *testing.F) {
	f.Add([]byte(`{"choices":[{"message":{"role":"assistant","content":"billing"}}]}`))
	f.Add([]byte(`{"choices":[]}`))
	f.Add([]byte(`{"choices":[{"message":{"content":null}}]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseCompletion(data)
		if err != nil && s != "" {
			t.Fatalf("an error with text %q", s)
		}
	})
}
