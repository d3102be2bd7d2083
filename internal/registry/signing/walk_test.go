package signing

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func names(m *model) []string {
	var out []string
	for _, f := range m.files {
		out = append(out, f.name)
	}
	slices.Sort(out)
	return out
}

func TestOpenModelIgnores(t *testing.T) {
	dir := writeModel(t, map[string]string{
		"config.json":       "{}",
		"weights/a.bin":     "a",
		".git/HEAD":         "ref",
		".github/ci.yml":    "x",
		".gitignore":        "*",
		".gitattributes":    "*",
		"sub/.git/HEAD":     "kept: only top-level entries are default exclusions",
		"cache/tmp":         "ignored by the caller",
		"sub/cache/tmp":     "kept",
		"model.sig":         "the signature itself",
		"weights/cache.bin": "kept",
	})
	ignore, err := ignoreList(dir, []string{"cache", "./cache/"}, filepath.Join(dir, "model.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".git", ".gitattributes", ".github", ".gitignore", "cache", "model.sig"}; !slices.Equal(ignore, want) {
		t.Fatalf("ignore list %q, want %q", ignore, want)
	}
	m, err := openModel(dir, walkOptions{ignore: ignore})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := []string{"config.json", "sub/.git/HEAD", "sub/cache/tmp", "weights/a.bin", "weights/cache.bin"}
	if got := names(m); !slices.Equal(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
}

func TestIgnoreListSignatureOutside(t *testing.T) {
	dir := writeModel(t, map[string]string{"a": "x"})
	got, err := ignoreList(dir, nil, filepath.Join(filepath.Dir(dir), "model.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, DefaultIgnorePaths) {
		t.Fatalf("a signature outside the model must not be listed: %q", got)
	}
}

func TestOpenModelSymlinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, target string
		allow        bool
		want         string // error text, or "" for success
	}{
		{"inside, not allowed", "a.bin", false, "symbolic link"},
		{"inside, allowed", "a.bin", true, ""},
		{"escapes by absolute path", outside, true, "escapes the model directory"},
		{"escapes by dot-dot", "../../" + filepath.Base(filepath.Dir(outside)) + "/secret", true, "escapes the model directory"},
		{"dangling", "nowhere", true, "dangling"},
		{"to a directory", "sub", true, "only links to regular files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeModel(t, map[string]string{"a.bin": "a", "sub/b": "b"})
			if err := os.Symlink(tc.target, filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			m, err := openModel(dir, walkOptions{allowSymlinks: tc.allow})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if got := names(m); !slices.Equal(got, []string{"a.bin", "link", "sub/b"}) {
					t.Fatalf("files %q", got)
				}
				return
			}
			if err == nil {
				m.Close()
				t.Fatalf("symlink to %s accepted", tc.target)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "link") {
				t.Fatalf("error %q, want it to name the link and say %q", err, tc.want)
			}
		})
	}
}

func TestOpenModelRefusals(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		dir := writeModel(t, map[string]string{".git/HEAD": "x"})
		if _, err := openModel(dir, walkOptions{ignore: DefaultIgnorePaths}); err == nil || !strings.Contains(err.Error(), "holds no files") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("invalid utf-8", func(t *testing.T) {
		dir := writeModel(t, map[string]string{"a": "x"})
		if err := os.WriteFile(filepath.Join(dir, "bad\xff"), nil, 0o644); err != nil {
			t.Skip("file system refuses non-UTF-8 names")
		}
		if _, err := openModel(dir, walkOptions{}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("model path is a symlink", func(t *testing.T) {
		dir := writeModel(t, map[string]string{"a": "x"})
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(dir, link); err != nil {
			t.Fatal(err)
		}
		if _, err := openModel(link, walkOptions{}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := openModel(filepath.Join(t.TempDir(), "nope"), walkOptions{}); err == nil {
			t.Fatal("missing model accepted")
		}
	})
}
