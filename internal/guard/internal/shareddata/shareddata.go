// Package shareddata locates the project's shared development data for
// tests: the shared/ directory that sits next to the repository root.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of rel inside shared/, or skips the test when the
// shared data is not checked out beside the repository.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Skipf("shared data: %v", err)
	}
	for {
		p := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared data %s not found next to the repository; clone it as ../shared to run this test", rel)
		}
		dir = parent
	}
}
