package vendor

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedVendorData finds the project's shared data directory, a sibling of
// the repository root, by walking up from the package directory. Tests
// that need it skip when it is absent.
func sharedVendorData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		candidate := filepath.Join(dir, "shared", "data", "vendor")
		if _, err := os.Stat(filepath.Join(candidate, "labels.json")); err == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/data/vendor not found next to the repository; the sample-based tests need it")
		}
		dir = parent
	}
}
