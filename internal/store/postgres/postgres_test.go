package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/attest-ai/attest/internal/store/postgres"
	"github.com/attest-ai/attest/internal/store/storetest"
)

// URL returns the test database, or skips: the PostgreSQL suite runs
// whenever ATTEST_TEST_DATABASE_URL is set (.ci/run sets it).
func testURL(t *testing.T) string {
	u := os.Getenv("ATTEST_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("ATTEST_TEST_DATABASE_URL is not set; the PostgreSQL conformance suite is skipped")
	}
	return u
}

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		b := make([]byte, 6)
		rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Pool().Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			s.Close()
		})
		return s
	})
}
