package audit

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	good := "0000000000000000000000000000000000000000000000000000000000000000  a/b.json\n"
	if m, err := ParseManifest([]byte(good)); err != nil || len(m) != 1 {
		t.Fatalf("good manifest: %v", err)
	}
	for _, bad := range []string{
		"", "abc  x\n", good + good,
		"0000000000000000000000000000000000000000000000000000000000000000  ../etc/passwd\n",
		"0000000000000000000000000000000000000000000000000000000000000000  /abs\n",
		"ZZ00000000000000000000000000000000000000000000000000000000000000  x\n",
		"0000000000000000000000000000000000000000000000000000000000000000  " + ManifestFile + "\n",
	} {
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("0000000000000000000000000000000000000000000000000000000000000000  a/b.json\n"))
	f.Add([]byte("x  y\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		for name, sum := range m {
			if len(sum) != 64 || name == "" || name == ManifestFile {
				t.Fatalf("accepted entry %q %q", name, sum)
			}
		}
	})
}

// TestPack checks that the zip holds exactly the directory's files, and
// that the manifest lists each with its digest.
func TestPack(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"a.txt": "alpha", "sub/b.json": `{"b":1}`, "sub/deep/c.bin": strings.Repeat("\x00\x01", 5000), "empty": ""}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	out := filepath.Join(t.TempDir(), "p.zip")
	sum, n, err := Pack(dir, out, nil)
	if err != nil || n != len(files) || len(sum) != 64 {
		t.Fatalf("pack: %v %d %q", err, n, sum)
	}
	if _, _, err := CheckManifest(os.DirFS(dir)); err != nil {
		t.Fatalf("the directory does not match its manifest: %v", err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != len(files)+1 {
		t.Fatalf("zip holds %d files, want %d", len(zr.File), len(files)+1)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		want, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s differs between zip and directory", f.Name)
		}
	}
	if _, _, err := CheckManifest(zr); err != nil {
		t.Fatalf("the zip does not match its manifest: %v", err)
	}
}
