package web_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// actorKey creates a key with a role and an actor kind.
func (e *env) actorKey(tenant, name, role, kind string) string {
	e.t.Helper()
	resp, body := e.do("POST", "/api/v1/keys", e.admin, map[string]any{"tenant": tenant, "name": name, "role": role, "actor_kind": kind})
	if resp.StatusCode != 201 {
		e.t.Fatalf("create key: %d %s", resp.StatusCode, body)
	}
	var kr struct{ Token string }
	json.Unmarshal(body, &kr)
	return kr.Token
}

// ownedKey creates a human key that belongs to a console user.
func (e *env) ownedKey(tenant, name, role, owner string) string {
	e.t.Helper()
	out := e.expect(201, "POST", "/api/v1/keys", e.admin, map[string]any{"tenant": tenant, "name": name, "role": role, "actor_kind": "human", "owner": owner})
	var kr struct {
		Token string
		Key   struct{ Owner string }
	}
	json.Unmarshal(out, &kr)
	if kr.Key.Owner != owner {
		e.t.Fatalf("key owner %q, want %q", kr.Key.Owner, owner)
	}
	return kr.Token
}

// expect runs a request and checks the status, returning the body.
func (e *env) expect(status int, method, path, token string, body any) []byte {
	e.t.Helper()
	resp, out := e.do(method, path, token, body)
	if resp.StatusCode != status {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, out)
	}
	if status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		e.t.Fatalf("%s %s: an error without problem details", method, path)
	}
	return out
}

// signedModel writes and signs a model directory.
func signedModel(t *testing.T, content string) (dir string, sig *signing.Signature, pubPEM []byte, key []byte) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "model")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte(content), 0o644)
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := signing.ParsePrivateKey(priv)
	s, _ := signing.NewSigner(k)
	if sig, err = s.Sign(context.Background(), dir, signing.HashOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir, sig, pub, priv
}

func TestRegistryAPI(t *testing.T) {
	e := newEnv(t)
	const tn = "default"
	eng := e.ownedKey(tn, "alice", "engineer", "alice")
	engApprover := e.ownedKey(tn, "alice-approver", "approver", "alice")
	approver := e.actorKey(tn, "bob", "approver", "human")
	agent := e.actorKey(tn, "robot", "approver", "agent")
	other := e.actorKey("other", "mallory", "engineer", "human")

	e.expect(400, "POST", "/api/v1/models", eng, map[string]any{"name": "support", "purpose": "p", "owner": "o", "risk": "extreme"})
	e.expect(400, "POST", "/api/v1/models", eng, `{"name":"support","bogus":1}`)
	e.expect(201, "POST", "/api/v1/models", eng, map[string]any{"name": "support", "purpose": "route tickets", "owner": "ml", "risk": "limited"})
	e.expect(409, "POST", "/api/v1/models", eng, map[string]any{"name": "support", "purpose": "route tickets", "owner": "ml", "risk": "limited"})
	e.expect(404, "GET", "/api/v1/models/support", other, nil)

	dir, sig, pub, _ := signedModel(t, "weights v1")
	// Signatures count only from trusted keys; trusting one needs keys.manage.
	e.expect(403, "POST", "/api/v1/signing-keys", eng, map[string]any{"name": "release", "public_key": string(pub)})
	e.expect(201, "POST", "/api/v1/signing-keys", e.admin, map[string]any{"name": "release", "public_key": string(pub)})
	out := e.expect(201, "POST", "/api/v1/models/support/versions", eng, map[string]any{"version": "1", "bundle": json.RawMessage(sig.Bundle)})
	var v registry.Version
	json.Unmarshal(out, &v)
	if v.Signature == nil || v.Digest != "sha256:"+sig.RootDigest {
		t.Fatalf("version: %s", out)
	}
	// The bundle was sent inside JSON, which compacts it; it is kept as
	// received.
	var sent bytes.Buffer
	json.Compact(&sent, sig.Bundle)
	if got := e.expect(200, "GET", "/api/v1/models/support/versions/1/signature", eng, nil); !bytes.Equal(got, sent.Bytes()) {
		t.Fatal("the stored signature file differs from the one sent")
	}

	// A signature file can also be attached as is, after registration.
	_, sig3, pub3, _ := signedModel(t, "weights v3")
	e.expect(201, "POST", "/api/v1/signing-keys", e.admin, map[string]any{"name": "release-3", "public_key": string(pub3)})
	e.expect(201, "POST", "/api/v1/models/support/versions", eng, map[string]any{"version": "3", "digest": sig3.RootDigest})
	e.expect(400, "PUT", "/api/v1/models/support/versions/3/signature", eng, "{}")
	e.expect(409, "PUT", "/api/v1/models/support/versions/3/signature", eng, string(sig.Bundle))
	e.expect(200, "PUT", "/api/v1/models/support/versions/3/signature", eng, string(sig3.Bundle))
	if got := e.expect(200, "GET", "/api/v1/models/support/versions/3/signature", eng, nil); !bytes.Equal(got, sig3.Bundle) {
		t.Fatal("a signature file sent as is was not kept byte for byte")
	}

	// An unsigned version cannot be promoted.
	e.expect(201, "POST", "/api/v1/models/support/versions", eng, map[string]any{"version": "2", "digest": strings.Repeat("0", 64)})
	promote := func(version string) map[string]any {
		return map[string]any{"target": map[string]any{"kind": "model", "name": "support", "version": version, "alias": "staging"},
			"description": "ship it", "rollback_plan": "roll back", "ticket": map[string]string{"key": "OPS-7", "url": "https://jira.example.com/browse/OPS-7"}}
	}
	e.expect(409, "POST", "/api/v1/changes", eng, promote("2"))

	// The deployment reports its verification at load.
	res, verr := signing.Verify(context.Background(), dir, sig.Bundle, signing.VerifyOptions{PublicKey: mustPub(t, pub)})
	ev, err := signing.VerifiedEvent(tn, ledger.Actor{Kind: ledger.ActorService, ID: "deploy"}, sig.Bundle, res, verr)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(201, "POST", "/api/v1/models/support/versions/1/verifications", eng, json.RawMessage(ev.Body))

	out = e.expect(201, "POST", "/api/v1/changes", eng, promote("1"))
	var c registry.Change
	json.Unmarshal(out, &c)
	e.expect(403, "POST", "/api/v1/changes/"+c.ID+"/approve", eng, map[string]any{})
	// alice's second key is still alice.
	if prob := e.expect(403, "POST", "/api/v1/changes/"+c.ID+"/approve", engApprover, map[string]any{}); !strings.Contains(string(prob), "user:alice") {
		t.Fatalf("approval with the requester's second key: %s", prob)
	}
	prob := e.expect(403, "POST", "/api/v1/changes/"+c.ID+"/approve", agent, map[string]any{})
	if !strings.Contains(string(prob), "separation-of-duties") {
		t.Fatalf("agent approval: %s", prob)
	}
	e.expect(409, "GET", "/api/v1/models/support/aliases/staging/serve", eng, nil)
	out = e.expect(200, "POST", "/api/v1/changes/"+c.ID+"/approve", approver, map[string]any{"comment": "ok"})
	json.Unmarshal(out, &c)
	if c.Status != registry.StatusApplied {
		t.Fatalf("change: %s", out)
	}
	e.expect(200, "GET", "/api/v1/models/support/aliases/staging/serve", eng, nil)

	// The approval's signature checks out with the published key.
	var dk struct {
		VerifierKey string `json:"verifier_key"`
	}
	json.Unmarshal(e.expect(200, "GET", "/api/v1/changes/decision-key", eng, nil), &dk)
	if _, err := registry.VerifyDecision(c.Approvals[0].Envelope, dk.VerifierKey); err != nil {
		t.Fatalf("approval signature: %v", err)
	}

	// The history proves every entry against the ledger's key.
	var h registry.History
	json.Unmarshal(e.expect(200, "GET", "/api/v1/models/support/versions/1/history", eng, nil), &h)
	vkey := strings.TrimSpace(string(e.expect(200, "GET", "/api/v1/ledger/key", eng, nil)))
	if err := h.Verify(vkey); err != nil || len(h.Entries) < 6 {
		t.Fatalf("history of %d entries: %v", len(h.Entries), err)
	}

	md := e.expect(200, "GET", "/api/v1/models/support/card?format=markdown", eng, nil)
	if !strings.HasPrefix(string(md), "# Model card: support") {
		t.Fatalf("card: %s", md)
	}

	// Lineage: refused when invalid, accepted as OpenLineage 2-0-2.
	e.expect(400, "POST", "/api/v1/lineage", eng, `{"eventType":"COMPLETE"}`)
	e.expect(201, "POST", "/api/v1/lineage", eng, `{"eventType":"START","eventTime":"2025-10-01T09:30:00Z","producer":"https://example.com/p",
"schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent","run":{"runId":"0192f1e2-7c1a-7b3e-9d4f-2a6b8c0d1e2f"},"job":{"namespace":"ml","name":"train"}}`)

	// Datasets with subjects, and erasure finds them.
	e.expect(201, "POST", "/api/v1/datasets", eng, map[string]any{"name": "tickets", "owner": "data", "classification": "confidential"})
	sum := sha256.Sum256([]byte("snapshot"))
	e.expect(201, "POST", "/api/v1/datasets/tickets/snapshots", eng, map[string]any{"digest": hex.EncodeToString(sum[:]), "subjects": []string{"user-7"}})
	refs, err := e.a.Models.ReferencesTo(context.Background(), tn, e.a.Privacy.Pseudonym(tn, "user-7"))
	if err != nil || len(refs) != 1 || refs[0].Kind != "dataset" {
		t.Fatalf("references: %v %v", refs, err)
	}

	// Rollback needs somewhere to go back to.
	e.expect(409, "POST", "/api/v1/models/support/aliases/staging/rollback", eng, nil)
}

func mustPub(t *testing.T, pemData []byte) *ecdsa.PublicKey {
	t.Helper()
	k, err := signing.ParsePublicKey(pemData)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSigningKeysNeedAdmin checks that an operator, whose keys.manage
// covers its tenant's consumer API keys, can neither trust nor revoke a
// model-signing key: either decides which models may be served.
func TestSigningKeysNeedAdmin(t *testing.T) {
	e := newEnv(t)
	op := e.key("acme", "operator")
	_, _, pub, _ := signedModel(t, "weights")
	e.expect(403, "POST", "/api/v1/signing-keys", op, map[string]any{"name": "mine", "public_key": string(pub)})
	var k registry.TrustedKey
	json.Unmarshal(e.expect(201, "POST", "/api/v1/signing-keys?tenant=acme", e.admin, map[string]any{"name": "release", "public_key": string(pub)}), &k)
	e.expect(403, "POST", "/api/v1/signing-keys/"+k.Hint+"/revoke", op, nil)
	var ks struct{ Keys []registry.TrustedKey }
	json.Unmarshal(e.expect(200, "GET", "/api/v1/signing-keys", op, nil), &ks)
	if len(ks.Keys) != 1 || !ks.Keys[0].Revoked.IsZero() {
		t.Fatalf("trusted keys after the operator's attempts: %+v", ks.Keys)
	}
}
