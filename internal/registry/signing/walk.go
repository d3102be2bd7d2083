package signing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultIgnorePaths are excluded from every signature, matched as top-level
// entries of the model directory (OMS 1.0, section 6.2).
var DefaultIgnorePaths = []string{".git", ".gitattributes", ".github", ".gitignore"}

// file is one regular file of a model.
type file struct {
	name string // canonical path relative to the model root, "/"-separated
	size int64
}

// model is an opened model: a directory, or the directory holding a
// single-file model. All reads go through root, so no path can leave it.
type model struct {
	root   *os.Root
	name   string // basename, the statement subject's name
	single bool
	files  []file
}

func (m *model) Close() error { return m.root.Close() }

// walkOptions says which files belong to the model.
type walkOptions struct {
	ignore        []string // canonical relative paths, excluded with their subtrees
	allowSymlinks bool
}

// openModel enumerates the regular files of the model at p.
func openModel(p string, opt walkOptions) (*model, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("resolve model path %s: %w", p, err)
	}
	fi, err := os.Lstat(abs)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("model path %s is a symbolic link: pass the real path of the model", p)
	}
	m := &model{name: filepath.Base(abs)}
	if !utf8.ValidString(m.name) {
		return nil, fmt.Errorf("model name %q is not valid UTF-8: rename it", m.name)
	}
	if fi.Mode().IsRegular() {
		if m.root, err = os.OpenRoot(filepath.Dir(abs)); err != nil {
			return nil, fmt.Errorf("open model directory: %w", err)
		}
		m.single = true
		m.files = []file{{name: m.name, size: fi.Size()}}
		return m, nil
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("model path %s is neither a regular file nor a directory", p)
	}
	if m.root, err = os.OpenRoot(abs); err != nil {
		return nil, fmt.Errorf("open model directory: %w", err)
	}
	if err := m.walk(opt); err != nil {
		m.root.Close()
		return nil, err
	}
	if len(m.files) == 0 {
		m.root.Close()
		return nil, fmt.Errorf("model %s holds no files once the ignore paths are left out", p)
	}
	return m, nil
}

func (m *model) walk(opt walkOptions) error {
	return fs.WalkDir(m.root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read model: %w", err)
		}
		if name == "." {
			return nil
		}
		if ignored(name, opt.ignore) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !utf8.ValidString(name) {
			return fmt.Errorf("file name %q is not valid UTF-8 and cannot be recorded in a signature: rename it", name)
		}
		switch mode := d.Type(); {
		case mode.IsDir():
			return nil
		case mode.IsRegular():
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("stat %s: %w", name, err)
			}
			m.files = append(m.files, file{name: name, size: info.Size()})
			return nil
		case mode&fs.ModeSymlink != 0:
			return m.addSymlink(name, opt.allowSymlinks)
		default:
			return fmt.Errorf("%s is a %v, not a regular file: remove it or add it to the ignore paths", name, mode)
		}
	})
}

// addSymlink follows a symbolic link when the caller allows it. os.Root
// refuses any link that resolves outside the model directory.
func (m *model) addSymlink(name string, allow bool) error {
	if !allow {
		return fmt.Errorf("%s is a symbolic link: symlinks are refused unless explicitly allowed; replace it with the file it points to", name)
	}
	info, err := m.root.Stat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("symbolic link %s is dangling: %w", name, err)
		}
		return fmt.Errorf("symbolic link %s escapes the model directory or cannot be resolved: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("symbolic link %s points to a %v; only links to regular files inside the model are followed", name, info.Mode().Type())
	}
	m.files = append(m.files, file{name: name, size: info.Size()})
	return nil
}

// ignored reports whether name or one of its parent directories is in the
// ignore list.
func ignored(name string, ignore []string) bool {
	for _, p := range ignore {
		if name == p || strings.HasPrefix(name, p+"/") {
			return true
		}
	}
	return false
}

// ignoreList merges the defaults, the caller's paths and the signature file
// into one sorted list of canonical relative paths.
func ignoreList(modelPath string, extra []string, sigPath string) ([]string, error) {
	list := slices.Clone(DefaultIgnorePaths)
	for _, p := range extra {
		c, err := canonicalIgnore(p)
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	if sigPath != "" {
		if rel, ok := inside(modelPath, sigPath); ok {
			list = append(list, rel)
		}
	}
	slices.Sort(list)
	return slices.Compact(list), nil
}

// canonicalIgnore checks one ignore path against OMS 1.0, section 6.2.1.
func canonicalIgnore(p string) (string, error) {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "*?[\\") {
		return "", fmt.Errorf("ignore path %q must be a relative path without glob characters or backslashes", p)
	}
	c := path.Clean(p)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("ignore path %q must name something inside the model", p)
	}
	return c, nil
}

// inside returns target's canonical path relative to the model directory
// when target lies within it.
func inside(modelPath, target string) (string, bool) {
	base, err := filepath.Abs(modelPath)
	if err != nil {
		return "", false
	}
	t, err := filepath.Abs(target)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(base, t)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
