package vendor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/vendor"
)

// TestStoresAgree runs the same script against the in-memory store and the
// record store on SQLite.
func TestStoresAgree(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, s := range map[string]vendor.Store{"memory": vendor.NewMemStore(), "records": vendor.NewRecordStore(st)} {
		t.Run(name, func(t *testing.T) {
			v := vendor.Vendor{ID: "v1", Tenant: "acme", Name: "OpenAI", Providers: []string{"openai"}, CreatedAt: time.Now()}
			if err := s.CreateVendor(ctx, v); err != nil {
				t.Fatal(err)
			}
			dup := v
			dup.ID = "v2"
			dup.Name = "openai"
			if err := s.CreateVendor(ctx, dup); !errors.Is(err, vendor.ErrConflict) {
				t.Fatalf("duplicate name: %v", err)
			}
			if _, err := s.Vendor(ctx, "other", "v1"); !errors.Is(err, vendor.ErrNotFound) {
				t.Fatalf("other tenant: %v", err)
			}
			v.Website = "https://openai.com"
			if err := s.UpdateVendor(ctx, v); err != nil {
				t.Fatal(err)
			}
			for i, at := range []time.Time{time.Now().Add(-time.Hour), time.Now()} {
				r := vendor.Review{ID: []string{"r-old", "r-new"}[i], Tenant: "acme", VendorID: "v1", CreatedAt: at, Verdict: "fast-track"}
				if err := s.AddReview(ctx, r, []vendor.Document{{ID: r.ID + "-d", Tenant: "acme", VendorID: "v1", ReviewID: r.ID, Digest: "sha256:x"}}); err != nil {
					t.Fatal(err)
				}
			}
			rs, err := s.Reviews(ctx, "acme", "v1")
			if err != nil || len(rs) != 2 || rs[0].ID != "r-new" {
				t.Fatalf("reviews newest first: %+v %v", rs, err)
			}
			ds, _ := s.Documents(ctx, "acme", "v1")
			if len(ds) != 2 {
				t.Fatalf("documents: %d", len(ds))
			}
			got, _ := s.Vendor(ctx, "acme", "v1")
			if got.Website == "" {
				t.Fatal("update lost")
			}
		})
	}
}
