package consoletest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestChromiumFromEnvironment(t *testing.T) {
	t.Setenv("ATTEST_CHROMIUM", "/opt/test/chrome")
	if got := Chromium(t); got != "/opt/test/chrome" {
		t.Fatalf("Chromium() = %q, want $ATTEST_CHROMIUM", got)
	}
}

// TestArtifactDirKeepsOtherRuns checks that a run removes its own old
// screenshots and leaves those of the other end-to-end tests.
func TestArtifactDirKeepsOtherRuns(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, ".artifacts", "e2e")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app-01-login.png", "console-01-login.png", "console-w390-dashboard-viewport.png", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(out, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sub := filepath.Join(root, "internal", "pkg")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)

	if got := artifactDir(t, "console"); got != out {
		t.Fatalf("artifactDir = %q, want %q", got, out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"app-01-login.png", "notes.txt"}; !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}
