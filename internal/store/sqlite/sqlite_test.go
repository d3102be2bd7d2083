package sqlite_test

import (
	"context"
	"testing"

	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
