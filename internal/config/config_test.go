package config

import (
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "attest.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:1111\ndata_dir: /from/file\nlog_level: warn\nledger:\n  checkpoint_interval: 30s\n"), 0o600)
	env := map[string]string{"ATTEST_DATA": "/from/env", "ATTEST_LOG_LEVEL": "debug"}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := RegisterFlags(fs)
	if err := fs.Parse([]string{"--config", file, "--log-level", "error"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:1111" || c.DataDir != "/from/env" || c.LogLevel != "error" || c.Ledger.CheckpointInterval.Duration != 30*time.Second {
		t.Fatalf("precedence wrong: %+v", c)
	}
	if c.Ledger.BatchMax != 4096 || c.GCPercent != 400 {
		t.Fatalf("default lost: %d %d", c.Ledger.BatchMax, c.GCPercent)
	}
}

// TestServeFlags checks that only the server offers --addr and --demo, and
// that they apply there.
func TestServeFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	RegisterFlags(fs)
	for _, name := range []string{"addr", "demo"} {
		if fs.Lookup(name) != nil {
			t.Errorf("--%s is offered by every command; it means something only to serve", name)
		}
	}
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	f := RegisterServeFlags(fs)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9", "--demo", "--data", "/d"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9" || !c.Demo || c.DataDir != "/d" {
		t.Fatalf("serve flags not applied: %+v", c)
	}
}

func TestBadConfig(t *testing.T) {
	cases := map[string]string{
		"adr: x\n":                               "unknown key",
		"ledger:\n  checkpoint_interval: soon\n": "not a duration",
		"log_level: loud\n":                      "log_level",
		"database: mysql://x\n":                  "postgres://",
		"ledger:\n  checkpoint_interval: 1ms\n":  "at least 1s",
		"addr: [1, 2]\n":                         "cannot unmarshal",
		"gc_percent: 5\n":                        "use 25 or more",
	}
	for in, want := range cases {
		c := Default()
		err := Parse([]byte(in), &c)
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error mentioning %q", in, err, want)
		}
	}
	if _, err := Load(&Flags{}, func(k string) string {
		if k == "ATTEST_DEMO" {
			return "maybe"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "ATTEST_DEMO") {
		t.Errorf("bad env not named: %v", err)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("mysql://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Fatal(got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("addr: 127.0.0.1:8080\nledger:\n  batch_max: 10\n"))
	f.Add([]byte("gateway:\n  providers: []\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Default()
		if err := Parse(b, &c); err == nil {
			c.Validate()
		}
	})
}

func TestApplyGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	ApplyGC(400, func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 400 {
		t.Fatalf("gc percent %d, want the configured 400", got)
	}
	ApplyGC(400, func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("gc percent %d: GOGC must win over the configuration", got)
	}
}

func TestWitnesses(t *testing.T) {
	_, vkey, err := witness.GenerateKey("witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	_, other, _ := witness.GenerateKey("witness.example/w2")
	_, plain, _ := note.GenerateKey(nil, "witness.example/w3")
	parts := strings.SplitN(vkey, "+", 3)
	badHash := parts[0] + "+00000000+" + parts[2]
	rfc6962Key := "log.example+01234567+" + base64.StdEncoding.EncodeToString(append([]byte{5}, make([]byte, 32)...))
	c := Default()
	in := "ledger:\n  witness_quorum: 2\n  witness_timeout: 3s\n  witnesses:\n" +
		"    - {url: https://w1.example/, key: " + vkey + "}\n" +
		"    - {name: auditor, url: http://127.0.0.1:7380, key: " + other + "}\n" +
		"    - {url: https://w3.example/prefix, key: " + plain + "}\n"
	if err := Parse([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid witnesses refused: %v", err)
	}
	if got := c.Ledger.WitnessKeys(); len(got) != 3 || got[1] != other || c.Ledger.WitnessQuorum != 2 || c.Ledger.WitnessTimeout.Duration != 3*time.Second {
		t.Fatalf("witnesses decoded as %+v", c.Ledger)
	}
	if d := Default(); d.Ledger.WitnessQuorum != 1 || d.Ledger.WitnessTimeout.Duration != 10*time.Second {
		t.Fatalf("witness defaults: %+v", d.Ledger)
	}

	w := func(url, key string) WitnessConfig { return WitnessConfig{URL: url, Key: key} }
	cases := []struct {
		name      string
		witnesses []WitnessConfig
		quorum    int
		want      string
	}{
		{"no url", []WitnessConfig{w("", vkey)}, 1, "ledger.witnesses[0].url"},
		{"not http", []WitnessConfig{w("ftp://w.example", vkey)}, 1, "http:// or https://"},
		{"no host", []WitnessConfig{w("https:///x", vkey)}, 1, "submission prefix"},
		{"query", []WitnessConfig{w("https://w.example/?a=1", vkey)}, 1, "without query"},
		{"credentials", []WitnessConfig{w("https://u:p@w.example", vkey)}, 1, "remove the user name"},
		{"bad key", []WitnessConfig{w("https://w.example", "nonsense")}, 1, "ledger.witnesses[0].key"},
		{"wrong key hash", []WitnessConfig{w("https://w.example", badHash)}, 1, "does not match the key"},
		{"other key type", []WitnessConfig{w("https://w.example", rfc6962Key)}, 1, "key type 0x05 is not a witness key"},
		{"same key twice", []WitnessConfig{w("https://a.example", vkey), {Name: "b", URL: "https://b.example", Key: vkey}}, 1, "given twice"},
		{"same name twice", []WitnessConfig{{Name: "x", URL: "https://a.example", Key: vkey}, {Name: "x", URL: "https://b.example", Key: other}}, 1, "used twice"},
		{"name with space", []WitnessConfig{{Name: "our auditor", URL: "https://a.example", Key: vkey}}, 1, "without spaces"},
		{"quorum too high", []WitnessConfig{w("https://a.example", vkey)}, 2, "ledger.witness_quorum 2: use a number from 1 to 1"},
		{"quorum zero", []WitnessConfig{w("https://a.example", vkey)}, 0, "ledger.witness_quorum"},
	}
	for _, tc := range cases {
		c := Default()
		c.Ledger.Witnesses, c.Ledger.WitnessQuorum = tc.witnesses, tc.quorum
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", tc.name, err, tc.want)
		}
	}
	c = Default()
	c.Ledger.WitnessTimeout.Duration = time.Millisecond
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "ledger.witness_timeout") {
		t.Errorf("tiny timeout: %v", err)
	}
	env := map[string]string{"ATTEST_LEDGER_WITNESS_TIMEOUT": "2s", "ATTEST_LEDGER_WITNESS_QUORUM": "1"}
	if c, err := Load(&Flags{}, func(k string) string { return env[k] }); err != nil || c.Ledger.WitnessTimeout.Duration != 2*time.Second {
		t.Errorf("witness env: %v %+v", err, c.Ledger)
	}
	// The witnesses themselves, as URL and key pairs.
	env = map[string]string{"ATTEST_LEDGER_WITNESSES": " https://a.example/w " + vkey + "\n https://b.example " + other + " ", "ATTEST_LEDGER_WITNESS_QUORUM": "2"}
	c, err = Load(&Flags{}, func(k string) string { return env[k] })
	if err != nil || len(c.Ledger.Witnesses) != 2 || c.Ledger.Witnesses[0].URL != "https://a.example/w" || c.Ledger.Witnesses[1].Key != other {
		t.Errorf("ATTEST_LEDGER_WITNESSES: %v %+v", err, c.Ledger.Witnesses)
	}
	for v, want := range map[string]string{
		"https://a.example/w":          "pairs of a witness URL and its verifier key",
		"https://a.example/w nonsense": "ledger.witnesses[0].key",
		vkey + " https://a.example/w":  "ledger.witnesses[0].url",
	} {
		env := map[string]string{"ATTEST_LEDGER_WITNESSES": v}
		if _, err := Load(&Flags{}, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ATTEST_LEDGER_WITNESSES=%q: got %v, want an error mentioning %q", v, err, want)
		}
	}
}

// TestTrustedProxies checks that proxy networks are read from the file or
// the environment and that a wrong one is named with what to write.
func TestTrustedProxies(t *testing.T) {
	c := Default()
	c.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.7", "fd00::/8"}
	nets, err := c.ProxyNetworks()
	if err != nil || len(nets) != 3 || nets[1].Bits() != 32 {
		t.Fatalf("networks %v, %v", nets, err)
	}
	c.TrustedProxies = []string{"10.0.0.0/8", "lb.internal"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "trusted_proxies[1]") || !strings.Contains(err.Error(), "CIDR") {
		t.Fatalf("a host name was accepted: %v", err)
	}
	if got := splitList(" 10.0.0.0/8, ,192.168.0.0/16 "); len(got) != 2 || got[1] != "192.168.0.0/16" {
		t.Fatalf("splitList = %q", got)
	}
}
