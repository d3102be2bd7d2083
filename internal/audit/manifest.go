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
	"sync"

	"github.com/attest-ai/attest/internal/ledger"
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

// Pack writes the manifest and the zip for the files already in dir. It
// returns the manifest's SHA-256 and the number of files it lists.
func Pack(dir, out string, progress func(done, total uint64)) (string, int, error) {
	p, err := newPacker(dir, out)
	if err != nil {
		return "", 0, err
	}
	return p.finish(progress)
}

// packer builds the package directory and its zip together. Files written
// through WriteFile, such as the ledger bundle while it is verified, go to
// the directory and, hashed and compressed by the calling goroutine, into
// the zip at once, so they are never read back. finish adds every other
// file in the directory, then the manifest.
type packer struct {
	dir, out string
	f        *os.File
	buf      *bufio.Writer
	files    *ledger.DirWriter
	mu       sync.Mutex // guards zw, sums and err
	zw       *zip.Writer
	sums     map[string]string // slash path -> SHA-256 hex
	err      error
}

func newPacker(dir, out string) (*packer, error) {
	f, err := os.Create(out)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", out, err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	return &packer{dir: dir, out: out, f: f, buf: buf, files: &ledger.DirWriter{Dir: dir}, zw: zip.NewWriter(buf), sums: map[string]string{}}, nil
}

// WriteFile writes one package file, rel being a slash path under the
// package directory. It is safe for concurrent use.
func (p *packer) WriteFile(rel string, data []byte) error {
	if err := p.files.WriteFile(rel, data); err != nil {
		return err
	}
	return p.add(compress(data, rel))
}

// add appends a compressed file to the zip and records its digest.
func (p *packer) add(z compressed) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if z.err != nil {
		p.err = z.err
		return z.err
	}
	if _, dup := p.sums[z.hdr.Name]; dup {
		p.err = fmt.Errorf("package file %s written twice", z.hdr.Name)
		return p.err
	}
	w, err := p.zw.CreateRaw(&z.hdr)
	if err == nil {
		_, err = w.Write(z.data)
	}
	if err != nil {
		p.err = fmt.Errorf("zip %s: %w", z.hdr.Name, err)
		return p.err
	}
	p.sums[z.hdr.Name] = z.sum
	return nil
}

// abort removes the zip; the caller removes the directory.
func (p *packer) abort() {
	p.f.Close()
	os.Remove(p.out)
}

// finish adds the files of the directory not yet in the zip, in parallel,
// then writes the manifest to both and closes the zip. It returns the
// manifest's SHA-256 and the number of files it lists.
func (p *packer) finish(progress func(done, total uint64)) (string, int, error) {
	fail := func(err error) (string, int, error) {
		p.abort()
		return "", 0, err
	}
	var files []string
	err := filepath.WalkDir(p.dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(p.dir, name)
		if err != nil {
			return err
		}
		rel = path.Clean(filepath.ToSlash(rel))
		p.mu.Lock()
		_, done := p.sums[rel]
		p.mu.Unlock()
		if !done {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	sort.Strings(files)
	// Each file gets a result channel, queued in order; a bounded number
	// are hashed and compressed at once.
	results := make(chan chan compressed, 64)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(results)
		for _, rel := range files {
			c := make(chan compressed, 1)
			select {
			case results <- c:
			case <-done:
				return
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				raw, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
				if err != nil {
					c <- compressed{err: err}
					return
				}
				c <- compress(raw, rel)
			}()
		}
	}()
	i := 0
	for c := range results {
		if err := p.add(<-c); err != nil {
			return fail(err)
		}
		i++
		if progress != nil && (i%1024 == 0 || i == len(files)) {
			progress(uint64(i), uint64(len(files)))
		}
	}
	names := make([]string, 0, len(p.sums))
	for name := range p.sums {
		names = append(names, name)
	}
	sort.Strings(names)
	var manifest strings.Builder
	for _, name := range names {
		manifest.WriteString(p.sums[name] + "  " + name + "\n")
	}
	body := []byte(manifest.String())
	if err := os.WriteFile(filepath.Join(p.dir, ManifestFile), body, 0o644); err != nil {
		return fail(fmt.Errorf("write manifest: %w", err))
	}
	if err := p.add(compress(body, ManifestFile)); err != nil {
		return fail(err)
	}
	if err := p.zw.Close(); err != nil {
		return fail(err)
	}
	if err := p.buf.Flush(); err != nil {
		return fail(err)
	}
	if err := p.f.Close(); err != nil {
		return fail(err)
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), len(names), nil
}

// compressed is one file ready for the zip, with its SHA-256.
type compressed struct {
	hdr  zip.FileHeader
	data []byte
	sum  string
	err  error
}

// flateWriters recycles compressors: each holds about a megabyte of
// tables, and allocating one per file cost more than compressing.
var flateWriters = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, flate.BestSpeed)
	return fw
}}

// compress hashes a file and deflates it at the fastest level (most bytes
// are hashes, which do not compress); a file that would grow is stored.
func compress(raw []byte, name string) compressed {
	digest := sha256.Sum256(raw)
	hdr := zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(raw), UncompressedSize64: uint64(len(raw))}
	var b bytes.Buffer
	b.Grow(len(raw)/3 + 64)
	fw := flateWriters.Get().(*flate.Writer)
	fw.Reset(&b)
	fw.Write(raw)
	err := fw.Close()
	flateWriters.Put(fw)
	if err != nil {
		return compressed{err: err}
	}
	data := b.Bytes()
	if len(data) >= len(raw) {
		hdr.Method, data = zip.Store, raw
	}
	hdr.CompressedSize64 = uint64(len(data))
	return compressed{hdr: hdr, data: data, sum: hex.EncodeToString(digest[:])}
}
