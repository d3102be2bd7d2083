package signing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hashModelBoth hashes with the vector path and the portable path and
// fails unless both agree.
func hashModelBoth(t *testing.T, dir string, opt HashOptions) *Manifest {
	t.Helper()
	var out [2]*Manifest
	for i, lanes := range []bool{false, true} {
		if lanes && !hasLanes {
			out[i] = out[0]
			continue
		}
		useLanes = lanes
		m, err := HashModel(context.Background(), dir, opt)
		useLanes = hasLanes
		if err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	if len(out[0].Resources) != len(out[1].Resources) {
		t.Fatalf("paths disagree on resource count: %d vs %d", len(out[0].Resources), len(out[1].Resources))
	}
	for i := range out[0].Resources {
		if out[0].Resources[i] != out[1].Resources[i] {
			t.Fatalf("paths disagree: %+v vs %+v", out[0].Resources[i], out[1].Resources[i])
		}
	}
	return out[1]
}

func TestHashModelDigests(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	// Sizes around block, lane chunk and shard boundaries, and enough
	// spans that lanes refill and the last ones finish serially.
	sizes := []int{0, 1, 63, 64, 65, laneChunk - 1, laneChunk, laneChunk + 1, 3*laneChunk + 17, 1 << 20}
	files := map[string]string{}
	for i, n := range sizes {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		files[filepath.ToSlash(filepath.Join("d", string(rune('a'+i))+".bin"))] = string(b)
	}
	for i := range 40 {
		files["many/f"+string(rune('A'+i))] = strings.Repeat("x", i*97)
	}
	dir := writeModel(t, files)

	for _, opt := range []HashOptions{
		{Method: MethodFiles},
		{Method: MethodShards, ShardSize: 100_000},
		{Method: MethodShards, ShardSize: 64},
	} {
		m := hashModelBoth(t, dir, opt)
		want := map[string]string{}
		for name, content := range files {
			if opt.Method == MethodFiles {
				want[name] = hexSum([]byte(content))
				continue
			}
			for s := 0; s < len(content); s += int(opt.ShardSize) {
				e := min(s+int(opt.ShardSize), len(content))
				want[shardName(name, int64(s), int64(e))] = hexSum([]byte(content[s:e]))
			}
		}
		if len(m.Resources) != len(want) {
			t.Fatalf("%s/%d: %d resources, want %d", opt.Method, opt.ShardSize, len(m.Resources), len(want))
		}
		for i, r := range m.Resources {
			if want[r.Name] != r.Digest || r.Algorithm != HashSHA256 {
				t.Errorf("%s: resource %s digest %s, want %s", opt.Method, r.Name, r.Digest, want[r.Name])
			}
			if i > 0 && m.Resources[i-1].Name >= r.Name {
				t.Errorf("resources not sorted: %q before %q", m.Resources[i-1].Name, r.Name)
			}
		}
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestHashModelSingleFile(t *testing.T) {
	dir := writeModel(t, map[string]string{"weights.bin": "hello"})
	m := hashModelBoth(t, filepath.Join(dir, "weights.bin"), HashOptions{Method: MethodFiles})
	if m.Name != "weights.bin" || len(m.Resources) != 1 || m.Resources[0].Name != "weights.bin" {
		t.Fatalf("single file manifest = %+v", m)
	}
	if m.Resources[0].Digest != hexSum([]byte("hello")) {
		t.Fatalf("digest %s", m.Resources[0].Digest)
	}
}

func TestHashModelOptions(t *testing.T) {
	dir := writeModel(t, map[string]string{"a": "x"})
	for _, tc := range []struct {
		opt  HashOptions
		want string
	}{
		{HashOptions{Method: "tree"}, "unknown"},
		{HashOptions{Method: MethodFiles, ShardSize: 10}, "only applies"},
		{HashOptions{ShardSize: -1}, "positive"},
		{HashOptions{IgnorePaths: []string{"../x"}}, "inside the model"},
		{HashOptions{IgnorePaths: []string{"*.bin"}}, "glob"},
	} {
		_, err := HashModel(context.Background(), dir, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to mention %q", tc.opt, err, tc.want)
		}
	}
}

func TestHashModelCancel(t *testing.T) {
	dir := writeModel(t, map[string]string{"a": strings.Repeat("x", 1<<20)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HashModel(ctx, dir, HashOptions{ShardSize: 1 << 16}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestHashModelProgress(t *testing.T) {
	dir := writeModel(t, map[string]string{"a": strings.Repeat("x", 300_000), "b": "y"})
	var last, total int64
	_, err := HashModel(context.Background(), dir, HashOptions{Progress: func(d, tot int64) { last, total = d, tot }})
	if err != nil {
		t.Fatal(err)
	}
	if last != 300_001 || total != 300_001 {
		t.Fatalf("final progress %d/%d, want 300001/300001", last, total)
	}
}

func TestAutoShardSize(t *testing.T) {
	for _, tc := range []struct{ total, want int64 }{
		{0, 1 << 20},
		{100 << 20, 1 << 20},
		{256 << 20, 1 << 20},
		{256<<20 + 1, 2 << 20},
		{4 << 30, 16 << 20},
		{1 << 40, 1 << 30},
	} {
		if got := autoShardSize(tc.total); got != tc.want {
			t.Errorf("autoShardSize(%d) = %d, want %d", tc.total, got, tc.want)
		}
	}
}

func TestParseShardName(t *testing.T) {
	for _, tc := range []struct {
		in         string
		path       string
		start, end int64
		ok         bool
	}{
		{"w.bin:0:10", "w.bin", 0, 10, true},
		{"dir/a:b.bin:10:20", "dir/a:b.bin", 10, 20, true},
		{"w.bin:10", "", 0, 0, false},
		{"w.bin", "", 0, 0, false},
		{":0:10", "", 0, 0, false},
		{"w:5:5", "", 0, 0, false},
		{"w:-1:5", "", 0, 0, false},
		{"w:a:5", "", 0, 0, false},
	} {
		p, s, e, err := parseShardName(tc.in)
		if (err == nil) != tc.ok || p != tc.path || s != tc.start || e != tc.end {
			t.Errorf("parseShardName(%q) = %q, %d, %d, %v", tc.in, p, s, e, err)
		}
	}
}

func FuzzParseShardName(f *testing.F) {
	for _, s := range []string{"w.bin:0:10", "a:b:c:1:2", "::", "x:1:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, start, end, err := parseShardName(s)
		if err != nil {
			return
		}
		if p == "" || start < 0 || end <= start {
			t.Fatalf("parseShardName(%q) accepted %q, %d, %d", s, p, start, end)
		}
		p2, s2, e2, err := parseShardName(shardName(p, start, end))
		if err != nil || p2 != p || s2 != start || e2 != end {
			t.Fatalf("round trip of %q changed it: %q %d %d %v", s, p2, s2, e2, err)
		}
	})
}

func TestHashModelShrinkingFileFails(t *testing.T) {
	dir := writeModel(t, map[string]string{"a": strings.Repeat("x", 1000)})
	m, err := openModel(dir, walkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spans := split(m.files, Serialization{Method: MethodFiles})
	if err := os.Truncate(filepath.Join(dir, "a"), 10); err != nil {
		t.Fatal(err)
	}
	err = hashSpans(context.Background(), m, spans, nil)
	if err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Fatalf("err = %v, want a message that the file shrank", err)
	}
}
