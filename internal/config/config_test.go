package config

import (
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
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
