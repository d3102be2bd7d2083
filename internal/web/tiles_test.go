package web_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileClient is a C2SP tlog-tiles client built on x/mod's tlog reference
// code: TileHashReader authenticates every tile it reads against the signed
// tree head, so a server cannot feed it a forged hash.
type tileClient struct {
	t     *testing.T
	base  string
	token string
}

func (c tileClient) get(path string) []byte {
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

func (c tileClient) Height() int { return ledger.TileHeight }

func (c tileClient) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if t.H != ledger.TileHeight {
			return nil, fmt.Errorf("height %d", t.H)
		}
		out[i] = c.get("/ledger/" + ledger.FormatTilePath(t.L, uint64(t.N), t.W))
	}
	return out, nil
}

func (c tileClient) SaveTiles([]tlog.Tile, [][]byte) {}

func TestStandardTileClientVerifiesInclusion(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 700; i++ {
		if _, err := e.a.Log.Append(context.Background(), ledger.MustEvent("demo.tile", "default", ledger.Actor{Kind: "service", ID: "t"}, map[string]int{"i": i})); err != nil {
			t.Fatal(err)
		}
	}
	if resp, _ := e.do("POST", "/api/v1/ledger/checkpoints", e.admin, nil); resp.StatusCode != 201 {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	c := tileClient{t: t, base: e.srv.URL, token: e.admin}
	// The verifier key comes out of band, from the operator.
	v, err := note.NewVerifier(e.a.VKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(c.get("/ledger/checkpoint"), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint signature: %v", err)
	}
	size, root, err := ledgerParse(n.Text)
	if err != nil {
		t.Fatal(err)
	}
	tree := tlog.Tree{N: int64(size), Hash: root}
	hr := tlog.TileHashReader(tree, c)
	for _, idx := range []int64{0, 255, 256, 600, int64(size) - 1} {
		bundle := c.get("/ledger/" + ledger.FormatTilePath(-1, uint64(idx/256), int(min(256, int64(size)-idx/256*256))))
		entry := nthEntry(t, bundle, int(idx%256))
		p, err := tlog.ProveRecord(tree.N, idx, hr)
		if err != nil {
			t.Fatalf("prove %d from tiles: %v", idx, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, idx, tlog.RecordHash(entry)); err != nil {
			t.Fatalf("inclusion of %d does not verify: %v", idx, err)
		}
	}
}

func ledgerParse(text string) (uint64, tlog.Hash, error) {
	var origin, b64 string
	var size uint64
	if _, err := fmt.Sscanf(text, "%s\n%d\n%s\n", &origin, &size, &b64); err != nil {
		return 0, tlog.Hash{}, err
	}
	h, err := tlog.ParseHash(b64)
	return size, h, err
}

func nthEntry(t *testing.T, bundle []byte, n int) []byte {
	for i := 0; len(bundle) >= 2; i++ {
		l := int(binary.BigEndian.Uint16(bundle))
		if i == n {
			return bundle[2 : 2+l]
		}
		bundle = bundle[2+l:]
	}
	t.Fatalf("entry %d not in bundle", n)
	return nil
}

// TestEntryBundlesNeedCrossTenantKey checks that a tenant's key reads the
// tree's hashes and checkpoint but not the entry bundles, which hold every
// tenant's events, and that full bundles are never marked cacheable by
// shared caches.
func TestEntryBundlesNeedCrossTenantKey(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 300; i++ {
		if _, err := e.a.Log.Append(context.Background(), ledger.MustEvent("demo.tile", "tenant-b", ledger.Actor{Kind: "service", ID: "t"}, map[string]int{"i": i})); err != nil {
			t.Fatal(err)
		}
	}
	if resp, _ := e.do("POST", "/api/v1/ledger/checkpoints", e.admin, nil); resp.StatusCode != 201 {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	engineer := e.key("tenant-a", "engineer")
	auditor := e.key("tenant-a", "auditor")
	bundle := "/ledger/" + ledger.FormatTilePath(-1, 0, 256)
	for _, c := range []struct {
		path, token string
		status      int
		cache       string
	}{
		{"/ledger/checkpoint", engineer, 200, "no-cache"},
		{"/ledger/" + ledger.FormatTilePath(0, 0, 256), engineer, 200, "public, max-age=31536000, immutable"},
		{bundle, engineer, 403, ""},
		{bundle, auditor, 200, "private, max-age=31536000, immutable"},
		{bundle, e.admin, 200, "private, max-age=31536000, immutable"},
	} {
		resp, body := e.do("GET", c.path, c.token, nil)
		if resp.StatusCode != c.status || resp.Header.Get("Cache-Control") != c.cache {
			t.Errorf("GET %s: %d, Cache-Control %q: %s", c.path, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}
	}
}
