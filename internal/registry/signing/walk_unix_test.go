//go:build unix

package signing

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOpenModelRefusesFifo(t *testing.T) {
	dir := writeModel(t, map[string]string{"a": "x"})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skip("cannot create a fifo here:", err)
	}
	if _, err := openModel(dir, walkOptions{}); err == nil || !strings.Contains(err.Error(), "pipe") {
		t.Fatalf("err = %v", err)
	}
}
