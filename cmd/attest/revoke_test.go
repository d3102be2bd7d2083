package main_test

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// TestRevokeFromAnotherProcess runs `attest keys create` and `attest keys
// revoke` as processes of their own beside a running server, which caches
// keys: the new key works on the server's next request, and after the
// revocation the next request is refused.
func TestRevokeFromAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	p := start(t, bin, dir)
	defer func() { p.cmd.Process.Kill(); p.cmd.Wait() }()

	out, err := exec.Command(bin, "keys", "create", "--data", dir, "--name", "app", "--role", "consumer").CombinedOutput()
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, out)
	}
	token := tokenRE.FindString(string(out))
	id := strings.Fields(strings.TrimPrefix(string(out), "created key "))[0]
	models := func() int {
		req, _ := http.NewRequest("GET", p.url+"/v1/models", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 { // the server caches the key
		if st := models(); st != http.StatusOK {
			t.Fatalf("new key: %d", st)
		}
	}
	if out, err := exec.Command(bin, "keys", "revoke", id, "--data", dir).CombinedOutput(); err != nil {
		t.Fatalf("keys revoke: %v\n%s", err, out)
	}
	if st := models(); st != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d, want 401", st)
	}
}
