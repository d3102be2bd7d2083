package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
)

// testControls covers the controls engine's state, components, evidence and
// access-review campaigns.
func testControls(t *testing.T, st Store) {
	ctx := context.Background()
	t.Run("State", func(t *testing.T) {
		if _, err := st.ControlState(ctx, "facts"); !errors.Is(err, controls.ErrNotFound) {
			t.Fatalf("missing state: got %v, want ErrNotFound", err)
		}
		big := bytes.Repeat([]byte("x"), 3<<20)
		for _, v := range [][]byte{[]byte(`{"a":1}`), big} {
			if err := st.PutControlState(ctx, "facts", v); err != nil {
				t.Fatal(err)
			}
			got, err := st.ControlState(ctx, "facts")
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("state round trip: %d bytes, %v", len(got), err)
			}
		}
	})
	t.Run("Components", func(t *testing.T) {
		c := controls.Component{ID: "database:crm", Name: "crm", Kind: "database", Stage: controls.StageStorage, Description: "customer data",
			Controls: []string{"ORG-22"}, Added: time.Now().UTC().Truncate(time.Microsecond), AddedBy: "key:k1"}
		if err := st.PutComponent(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.Description = "customer records"
		if err := st.PutComponent(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := st.Components(ctx)
		if err != nil || len(got) != 1 {
			t.Fatalf("components: %v %v", got, err)
		}
		if g := got[0]; g.ID != c.ID || g.Description != "customer records" || !slices.Equal(g.Controls, c.Controls) || !g.Added.Equal(c.Added) || g.Stage != c.Stage {
			t.Fatalf("component round trip: %+v", g)
		}
		if err := st.DeleteComponent(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteComponent(ctx, c.ID); !errors.Is(err, controls.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
	t.Run("Evidence", func(t *testing.T) {
		e := controls.Evidence{SHA256: "ab12", Name: "scan.pdf", ContentType: "application/pdf", Data: []byte("%PDF"), Uploaded: time.Now().UTC().Truncate(time.Microsecond), UploadedBy: "key:k1"}
		for i := 0; i < 2; i++ {
			if err := st.PutEvidence(ctx, e); err != nil {
				t.Fatalf("put %d: %v", i, err)
			}
		}
		got, err := st.Evidence(ctx, "ab12")
		if err != nil || !bytes.Equal(got.Data, e.Data) || got.Size != 4 || got.Name != e.Name || !got.Uploaded.Equal(e.Uploaded) {
			t.Fatalf("evidence round trip: %+v %v", got, err)
		}
		if _, err := st.Evidence(ctx, "none"); !errors.Is(err, controls.ErrNotFound) {
			t.Fatalf("missing evidence: %v", err)
		}
	})
	t.Run("Reviews", func(t *testing.T) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		r := access.Review{ID: "ar-1", StartedBy: "key:admin", Started: now, Due: now.Add(time.Hour), Items: 3}
		items := []access.ReviewItem{
			{Review: "ar-1", ID: "key:k1", Kind: "key", Tenant: "acme", Name: "ci", Role: access.RoleConsumer, ActorKind: ledger.ActorService},
			{Review: "ar-1", ID: "role:consumer", Kind: "role", Name: "consumer", Role: access.RoleConsumer, Holders: []string{"k1"}, Permissions: []access.Permission{access.PermInference}},
			{Review: "ar-1", ID: "user:ana", Kind: "user", Tenant: "acme", Name: "ana", Role: access.RoleEngineer, ActorKind: ledger.ActorHuman,
				SignIn: []string{access.SignInPassword, access.SignInOIDC}, LastUsed: now.Add(-time.Minute)},
		}
		if err := st.CreateReview(ctx, r, items); err != nil {
			t.Fatal(err)
		}
		older := access.Review{ID: "ar-0", StartedBy: "key:admin", Started: now.Add(-time.Hour), Due: now, Items: 0}
		if err := st.CreateReview(ctx, older, nil); err != nil {
			t.Fatal(err)
		}
		it := items[1]
		it.Decision, it.Note, it.DecidedBy, it.Decided, it.Applied = access.Revoke, "unused", "key:rev", now, now
		if err := st.UpdateReviewItem(ctx, it); err != nil {
			t.Fatal(err)
		}
		r.Decided, r.Completed, r.CompletedBy, r.Revoked = 1, now, "key:admin", 1
		if err := st.UpdateReview(ctx, r); err != nil {
			t.Fatal(err)
		}
		gr, gi, err := st.Review(ctx, "ar-1")
		if err != nil {
			t.Fatal(err)
		}
		if gr.Decided != 1 || !gr.Completed.Equal(now) || gr.CompletedBy != "key:admin" || gr.Revoked != 1 || !gr.Due.Equal(r.Due) {
			t.Fatalf("review round trip: %+v", gr)
		}
		if len(gi) != 3 || gi[0].ID != "key:k1" || gi[1].Decision != access.Revoke || gi[1].Note != "unused" || !gi[1].Applied.Equal(now) ||
			!slices.Equal(gi[1].Holders, []string{"k1"}) || gi[1].Permissions[0] != access.PermInference || gi[0].ActorKind != ledger.ActorService {
			t.Fatalf("items round trip (in creation order): %+v", gi)
		}
		if u := gi[2]; !slices.Equal(u.SignIn, items[2].SignIn) || !u.LastUsed.Equal(items[2].LastUsed) || u.SignIn == nil || gi[0].SignIn != nil || !gi[0].LastUsed.IsZero() {
			t.Fatalf("user item round trip: %+v, key item %+v", u, gi[0])
		}
		list, err := st.Reviews(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "ar-1" {
			t.Fatalf("reviews newest first: %+v %v", list, err)
		}
		if _, _, err := st.Review(ctx, "nope"); !errors.Is(err, access.ErrNotFound) {
			t.Fatalf("missing review: %v", err)
		}
		if err := st.UpdateReviewItem(ctx, access.ReviewItem{Review: "ar-1", ID: "key:none"}); !errors.Is(err, access.ErrNotFound) {
			t.Fatalf("missing item: %v", err)
		}
	})
}
