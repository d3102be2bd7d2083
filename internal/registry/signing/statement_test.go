package signing

import (
	"encoding/json"
	"strings"
	"testing"
)

// statementJSON builds a statement whose root digest matches its
// resources unless edit breaks that on purpose.
func statementJSON(t *testing.T, edit func(st map[string]any)) []byte {
	t.Helper()
	m := &Manifest{
		Name: "model",
		Resources: []Resource{
			{Name: "a.bin", Digest: strings.Repeat("1", 64), Algorithm: HashSHA256},
			{Name: "dir/b.bin", Digest: strings.Repeat("2", 64), Algorithm: HashSHA256},
		},
		Serialization: Serialization{Method: MethodFiles, HashType: HashSHA256, IgnorePaths: DefaultIgnorePaths},
	}
	st, err := newStatement(m)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(st)
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	if edit != nil {
		edit(doc)
	}
	out, _ := json.Marshal(doc)
	return out
}

func predicate(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }
func serialization(st map[string]any) map[string]any {
	return predicate(st)["serialization"].(map[string]any)
}
func resource(st map[string]any, i int) map[string]any {
	return predicate(st)["resources"].([]any)[i].(map[string]any)
}

func TestParseStatement(t *testing.T) {
	st, err := parseStatement(statementJSON(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if st.Predicate.Name != "model" || len(st.Predicate.Resources) != 2 {
		t.Fatalf("statement %+v", st)
	}
	// Unknown fields in resources and the predicate are ignored.
	if _, err := parseStatement(statementJSON(t, func(st map[string]any) {
		resource(st, 0)["annotations"] = map[string]any{"x": 1}
	})); err != nil {
		t.Fatalf("extra resource field: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(st map[string]any)
		want string
	}{
		{"not json", nil, "not a valid in-toto statement"},
		{"statement type", func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" }, "_type"},
		{"two subjects", func(st map[string]any) { st["subject"] = append(st["subject"].([]any), st["subject"].([]any)[0]) }, "exactly one"},
		{"root not hex", func(st map[string]any) {
			st["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha256": "xyz"}
		}, "64 hex digits"},
		{"inconsistent root", func(st map[string]any) { resource(st, 1)["digest"] = strings.Repeat("3", 64) }, "inconsistent"},
		{"unknown method", func(st map[string]any) { serialization(st)["method"] = "tree" }, "method"},
		{"files with shard size", func(st map[string]any) { serialization(st)["shard_size"] = 10 }, "shard_size"},
		{"shards without size", func(st map[string]any) { serialization(st)["method"] = MethodShards }, "positive shard_size"},
		{"other hash", func(st map[string]any) { serialization(st)["hash_type"] = "blake3" }, "not supported"},
		{"bad ignore path", func(st map[string]any) { serialization(st)["ignore_paths"] = []any{"../up"} }, "ignore path"},
		{"no resources", func(st map[string]any) { predicate(st)["resources"] = []any{} }, "no resources"},
		{"resource algorithm", func(st map[string]any) { resource(st, 0)["algorithm"] = "blake2b" }, "sha256 digest"},
		{"duplicate resource", func(st map[string]any) { resource(st, 1)["name"] = "a.bin" }, "twice"},
		{"parent path", func(st map[string]any) { resource(st, 1)["name"] = "../b.bin" }, "canonical"},
		{"absolute path", func(st map[string]any) { resource(st, 1)["name"] = "/etc/passwd" }, "canonical"},
		{"unclean path", func(st map[string]any) { resource(st, 1)["name"] = "dir//b.bin" }, "canonical"},
		{"bad shard name", func(st map[string]any) {
			serialization(st)["method"] = MethodShards
			serialization(st)["shard_size"] = 10
		}, "suffix"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := []byte("{")
			if c.edit != nil {
				data = statementJSON(t, c.edit)
			}
			_, err := parseStatement(data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}
