package witness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// stateFile is where a witness keeps one log's latest cosigned checkpoint.
type stateFile struct {
	dir, name string
}

func (f *stateFile) path() string { return filepath.Join(f.dir, f.name) }

// read returns the stored checkpoint, or nil if there is none yet.
func (f *stateFile) read() ([]byte, error) {
	b, err := os.ReadFile(f.path())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read witness state: %w", err)
	}
	return b, nil
}

// write replaces the stored checkpoint atomically and durably: a crash
// leaves either the old file or the new one, never a mix, and once write
// returns the new one survives a power loss.
func (f *stateFile) write(b []byte) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("create witness directory: %w", err)
	}
	tmp, err := os.CreateTemp(f.dir, "."+f.name+".*")
	if err != nil {
		return fmt.Errorf("write witness state: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write witness state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync witness state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close witness state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path()); err != nil {
		return fmt.Errorf("replace witness state: %w", err)
	}
	// The rename is durable only once the directory entry is.
	d, err := os.Open(f.dir)
	if err != nil {
		return fmt.Errorf("sync witness directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync witness directory: %w", err)
	}
	return nil
}
