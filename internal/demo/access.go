package demo

import (
	"context"
	"fmt"

	"github.com/attest-ai/attest/internal/access"
)

// formerContractor names the demo key that is still active although its
// holder left; the access review finds and revokes it.
const formerContractor = "former-contractor"

// seedAccessReview runs the quarter's access review of the demo tenant
// (AI-SEC-02): every key and role is confirmed except the former
// contractor's key, which is revoked when the review completes.
func seedAccessReview(ctx context.Context, s *Seed) (string, error) {
	r, items, err := s.Reviews.Start(ctx, s.Admin, access.StartRequest{Tenant: Tenant})
	if err != nil {
		return "", err
	}
	kept := 0
	for _, it := range items {
		decision, note := access.Keep, "still needed for the holder's current work"
		if it.Kind == "key" && it.Name == formerContractor {
			decision, note = access.Revoke, "contract ended; the key was never handed back"
		} else {
			kept++
		}
		if _, err := s.Reviews.Decide(ctx, s.Admin, r.ID, it.ID, decision, note); err != nil {
			return "", err
		}
	}
	if r, err = s.Reviews.Complete(ctx, s.Admin, r.ID); err != nil {
		return "", err
	}
	return fmt.Sprintf("reviewed %d keys and roles: %d kept, %d revoked (the key of a contractor who left)", r.Items, kept, r.Revoked), nil
}
