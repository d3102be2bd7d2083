package app_test

import (
	"context"
	"io"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
)

// openApp opens an app on the default configuration, changed by edit if
// given, in a temporary data directory; it is closed when the test ends.
func openApp(t *testing.T, edit ...func(*config.Config)) *app.App {
	t.Helper()
	c := config.Default()
	c.DataDir = t.TempDir()
	for _, f := range edit {
		f(&c)
	}
	a, err := app.Open(context.Background(), c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
