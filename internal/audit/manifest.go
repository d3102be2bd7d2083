package audit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// ManifestFile lists the SHA-256 of every other file in the package, one
// "<hex>  <path>" line each, sorted by path (the sha256sum format, so
// 'sha256sum -c MANIFEST.sha256' works too).
const ManifestFile = "MANIFEST.sha256"

func hashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ManifestError names the file that does not match the manifest.
type ManifestError struct {
	File   string
	Reason string
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("package file %s %s: the package was modified after export", e.File, e.Reason)
}

// maxManifest bounds the manifest a verifier reads.
const maxManifest = 64 << 20

// ParseManifest reads manifest lines into path -> hex digest.
func ParseManifest(data []byte) (map[string]string, error) {
	if len(data) > maxManifest {
		return nil, fmt.Errorf("manifest is over %d bytes", maxManifest)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), 4096)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || strings.ToLower(sum) != sum {
			return nil, fmt.Errorf("manifest line %d is not \"<sha256 hex>  <path>\"", n)
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("manifest line %d: bad digest", n)
		}
		if !fs.ValidPath(name) || name == ManifestFile || name == "." {
			return nil, fmt.Errorf("manifest line %d: %q is not a relative path inside the package", n, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("manifest line %d: %s is listed twice", n, name)
		}
		out[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the manifest lists no files")
	}
	return out, nil
}

// CheckManifest verifies that fsys holds exactly the manifest's files, each
// with its listed digest. It returns the manifest's SHA-256 and the count.
func CheckManifest(fsys fs.FS) (string, int, error) {
	data, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w (is this an auditor package?)", ManifestFile, err)
	}
	want, err := ParseManifest(data)
	if err != nil {
		return "", 0, err
	}
	seen := 0
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == ManifestFile {
			return err
		}
		sum, ok := want[p]
		if !ok {
			return &ManifestError{File: p, Reason: "is not listed in the manifest"}
		}
		got, err := hashFile(fsys, p)
		if err != nil {
			return err
		}
		if got != sum {
			return &ManifestError{File: p, Reason: "does not match its SHA-256 in the manifest"}
		}
		seen++
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	if seen != len(want) {
		for name := range want {
			if _, err := fs.Stat(fsys, name); err != nil {
				return "", 0, &ManifestError{File: name, Reason: "is listed in the manifest but missing"}
			}
		}
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), seen, nil
}

// Pack writes the manifest and the zip in one pass over the package
// files: workers hash and compress files in parallel, the zip receives
// them in sorted order, and the manifest, written last, goes into both the
// directory and the zip. It returns the manifest's SHA-256 and the number
// of files it lists.
func Pack(dir, out string, progress func(done, total uint64)) (string, int, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return "", 0, err
	}
	sort.Strings(files)
	f, err := os.Create(out)
	if err != nil {
		return "", 0, fmt.Errorf("create %s: %w", out, err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(buf)
	fail := func(err error) (string, int, error) {
		f.Close()
		os.Remove(out)
		return "", 0, err
	}
	// Each file gets a result channel, queued in order; a bounded number
	// are hashed and compressed at once.
	results := make(chan chan compressed, 64)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(results)
		for _, p := range files {
			c := make(chan compressed, 1)
			select {
			case results <- c:
			case <-done:
				return
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				rel, _ := filepath.Rel(dir, p)
				raw, err := os.ReadFile(p)
				if err != nil {
					c <- compressed{err: err}
					return
				}
				c <- compress(raw, path.Clean(filepath.ToSlash(rel)))
			}()
		}
	}()
	var manifest strings.Builder
	add := func(z compressed) error {
		w, err := zw.CreateRaw(&z.hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(z.data); err != nil {
			return fmt.Errorf("zip %s: %w", z.hdr.Name, err)
		}
		return nil
	}
	i := 0
	for c := range results {
		z := <-c
		if z.err != nil {
			return fail(z.err)
		}
		if err := add(z); err != nil {
			return fail(err)
		}
		manifest.WriteString(z.sum + "  " + z.hdr.Name + "\n")
		i++
		if progress != nil && (i%1024 == 0 || i == len(files)) {
			progress(uint64(i), uint64(len(files)))
		}
	}
	body := []byte(manifest.String())
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), body, 0o644); err != nil {
		return fail(fmt.Errorf("write manifest: %w", err))
	}
	if err := add(compress(body, ManifestFile)); err != nil {
		return fail(err)
	}
	if err := zw.Close(); err != nil {
		return fail(err)
	}
	if err := buf.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), len(files), nil
}

// compressed is one file ready for the zip, with its SHA-256.
type compressed struct {
	hdr  zip.FileHeader
	data []byte
	sum  string
	err  error
}

// compress hashes a file and deflates it at the fastest level (most bytes
// are hashes, which do not compress); a file that would grow is stored.
func compress(raw []byte, name string) compressed {
	digest := sha256.Sum256(raw)
	hdr := zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(raw), UncompressedSize64: uint64(len(raw))}
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestSpeed)
	fw.Write(raw)
	if err := fw.Close(); err != nil {
		return compressed{err: err}
	}
	data := b.Bytes()
	if len(data) >= len(raw) {
		hdr.Method, data = zip.Store, raw
	}
	hdr.CompressedSize64 = uint64(len(data))
	return compressed{hdr: hdr, data: data, sum: hex.EncodeToString(digest[:])}
}
