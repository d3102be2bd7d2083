// Package config loads attest's configuration. Precedence, highest first:
// command-line flags, ATTEST_* environment variables, the YAML file, and the
// built-in defaults. Every key is documented in docs/CONFIG.md.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
	"gopkg.in/yaml.v3"
)

// Config is the whole configuration of one attest process.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `yaml:"addr"`
	// DataDir holds the embedded database, the ledger key and the master key.
	DataDir string `yaml:"data_dir"`
	// Database selects PostgreSQL (postgres://...) instead of SQLite.
	Database string `yaml:"database"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// MaxBodyBytes bounds request bodies on the management API.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// TrustedProxies are the networks of load balancers in front of attest,
	// as CIDRs: for requests from them, the client's address is taken from
	// X-Forwarded-For. Empty means the connection's address is the client's.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Tenant is the default tenant the first admin key belongs to.
	Tenant string `yaml:"tenant"`
	// Demo seeds example evidence on first start so every page has data.
	Demo bool `yaml:"demo"`
	// GCPercent is the garbage collector's target (Go's GOGC), which the
	// GOGC environment variable overrides; -1 turns collection off.
	GCPercent int `yaml:"gc_percent"`

	Ledger  LedgerConfig  `yaml:"ledger"`
	SQLite  SQLiteConfig  `yaml:"sqlite"`
	Privacy PrivacyConfig `yaml:"privacy"`
	// Sections owned by other components, decoded by them.
	Gateway yaml.Node            `yaml:"gateway"`
	Extra   map[string]yaml.Node `yaml:",inline"`
}

// LedgerConfig tunes the evidence ledger.
type LedgerConfig struct {
	// Origin names the log in checkpoints and its signing key. It is fixed
	// when the key is first created.
	Origin string `yaml:"origin"`
	// CheckpointInterval is how often a new signed checkpoint is published.
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
	// BatchMax caps the entries per group commit.
	BatchMax int `yaml:"batch_max"`
	// QueueSize bounds queued appends; producers wait when it is full.
	QueueSize int `yaml:"queue_size"`
	// CacheTiles bounds tiles cached for proofs (each about 16 KiB).
	CacheTiles int `yaml:"cache_tiles"`
	// Witnesses are asked to cosign each new checkpoint.
	Witnesses []WitnessConfig `yaml:"witnesses"`
	// WitnessQuorum is how many witness cosignatures make a checkpoint
	// witnessed.
	WitnessQuorum int `yaml:"witness_quorum"`
	// WitnessTimeout bounds one request to a witness.
	WitnessTimeout Duration `yaml:"witness_timeout"`
}

// WitnessConfig is one C2SP tlog-witness.
type WitnessConfig struct {
	// Name labels the witness in logs, metrics and evidence; default: the
	// name of its key.
	Name string `yaml:"name"`
	// URL is the witness's submission prefix.
	URL string `yaml:"url"`
	// Key is the witness's cosignature verifier key.
	Key string `yaml:"key"`
}

// parseWitnesses reads ATTEST_LEDGER_WITNESSES: pairs of a witness's URL
// and verifier key, separated by spaces or newlines, since neither holds
// one. Each is named after its key; Validate checks the rest.
func parseWitnesses(v string) ([]WitnessConfig, error) {
	f := strings.Fields(v)
	if len(f)%2 != 0 {
		return nil, fmt.Errorf("want pairs of a witness URL and its verifier key, separated by spaces, as \"https://w.example/ w.example+1234abcd+AB...\"; got %d words", len(f))
	}
	out := make([]WitnessConfig, 0, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		out = append(out, WitnessConfig{URL: f[i], Key: f[i+1]})
	}
	return out, nil
}

// WitnessKeys are the verifier keys of the configured witnesses.
func (l LedgerConfig) WitnessKeys() []string {
	keys := make([]string, len(l.Witnesses))
	for i, w := range l.Witnesses {
		keys[i] = w.Key
	}
	return keys
}

// PrivacyConfig sets data-governance jobs.
type PrivacyConfig struct {
	// RetentionInterval is how often retention policies are enforced.
	RetentionInterval Duration `yaml:"retention_interval"`
}

// SQLiteConfig tunes the embedded store.
type SQLiteConfig struct {
	// Synchronous is FULL (durable against power loss) or NORMAL.
	Synchronous string `yaml:"synchronous"`
}

// Duration is a time.Duration written as "10s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 10s or 5m", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		Addr:         "127.0.0.1:8080",
		DataDir:      "./attest-data",
		LogLevel:     "info",
		LogFormat:    "text",
		MaxBodyBytes: 1 << 20,
		Tenant:       "default",
		// The gateway allocates per request; collecting a quarter as often
		// as Go's default cuts its tail latency (BENCHMARKS.md) while the
		// heap it keeps stays small.
		GCPercent: 400,
		Ledger: LedgerConfig{
			CheckpointInterval: Duration{10 * time.Second},
			BatchMax:           4096,
			QueueSize:          65536,
			CacheTiles:         1024,
			WitnessQuorum:      1,
			WitnessTimeout:     Duration{10 * time.Second},
		},
		SQLite:  SQLiteConfig{Synchronous: "FULL"},
		Privacy: PrivacyConfig{RetentionInterval: Duration{time.Hour}},
	}
}

// Flags are the command-line overrides. Only flags the user set apply.
type Flags struct {
	fs         *flag.FlagSet
	ConfigFile string
	addr       string
	dataDir    string
	database   string
	logLevel   string
	demo       bool
}

// RegisterFlags adds the flags every command that opens an installation
// shares to fs: where the configuration and the data are, and the log
// level.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs}
	fs.StringVar(&f.ConfigFile, "config", "", "YAML configuration `file` (env ATTEST_CONFIG)")
	fs.StringVar(&f.dataDir, "data", "", "data `directory` (default ./attest-data; env ATTEST_DATA)")
	fs.StringVar(&f.database, "database", "", "PostgreSQL `url` instead of the embedded store (env ATTEST_DATABASE)")
	fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (env ATTEST_LOG_LEVEL)")
	return f
}

// RegisterServeFlags adds the shared flags and those only the server
// reads, --addr and --demo, to fs. The other commands do not listen or
// seed, so they do not offer them.
func RegisterServeFlags(fs *flag.FlagSet) *Flags {
	f := RegisterFlags(fs)
	fs.StringVar(&f.addr, "addr", "", "listen `address` (default 127.0.0.1:8080; env ATTEST_ADDR)")
	fs.BoolVar(&f.demo, "demo", false, "seed demo evidence on first start (env ATTEST_DEMO)")
	return f
}

// Load builds the configuration from defaults, file, environment and flags.
func Load(f *Flags, getenv func(string) string) (Config, error) {
	c := Default()
	file := f.ConfigFile
	if file == "" {
		file = getenv("ATTEST_CONFIG")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("read config file: %w", err)
		}
		if err := Parse(b, &c); err != nil {
			return c, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	if err := applyEnv(&c, getenv); err != nil {
		return c, err
	}
	set := map[string]bool{}
	if f.fs != nil {
		f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	}
	if set["addr"] {
		c.Addr = f.addr
	}
	if set["data"] {
		c.DataDir = f.dataDir
	}
	if set["database"] {
		c.Database = f.database
	}
	if set["log-level"] {
		c.LogLevel = f.logLevel
	}
	if set["demo"] {
		c.Demo = f.demo
	}
	return c, c.Validate()
}

// Parse decodes YAML into c, rejecting unknown keys so typos are caught.
func Parse(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	for k := range c.Extra {
		return fmt.Errorf("unknown key %q; see docs/CONFIG.md for the keys attest reads", k)
	}
	return nil
}

// envKeys maps each ATTEST_* variable to the key it sets.
var envKeys = []struct {
	name string
	set  func(*Config, string) error
}{
	{"ATTEST_ADDR", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"ATTEST_DATA", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"ATTEST_DATABASE", func(c *Config, v string) error { c.Database = v; return nil }},
	{"ATTEST_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"ATTEST_LOG_FORMAT", func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{"ATTEST_TENANT", func(c *Config, v string) error { c.Tenant = v; return nil }},
	{"ATTEST_DEMO", func(c *Config, v string) (err error) { c.Demo, err = strconv.ParseBool(v); return }},
	{"ATTEST_MAX_BODY_BYTES", func(c *Config, v string) (err error) { c.MaxBodyBytes, err = strconv.ParseInt(v, 10, 64); return }},
	{"ATTEST_TRUSTED_PROXIES", func(c *Config, v string) error { c.TrustedProxies = splitList(v); return nil }},
	{"ATTEST_GC_PERCENT", func(c *Config, v string) (err error) { c.GCPercent, err = strconv.Atoi(v); return }},
	{"ATTEST_LEDGER_ORIGIN", func(c *Config, v string) error { c.Ledger.Origin = v; return nil }},
	{"ATTEST_CHECKPOINT_INTERVAL", func(c *Config, v string) (err error) {
		c.Ledger.CheckpointInterval.Duration, err = time.ParseDuration(v)
		return
	}},
	{"ATTEST_LEDGER_BATCH_MAX", func(c *Config, v string) (err error) { c.Ledger.BatchMax, err = strconv.Atoi(v); return }},
	{"ATTEST_LEDGER_QUEUE_SIZE", func(c *Config, v string) (err error) { c.Ledger.QueueSize, err = strconv.Atoi(v); return }},
	{"ATTEST_LEDGER_CACHE_TILES", func(c *Config, v string) (err error) { c.Ledger.CacheTiles, err = strconv.Atoi(v); return }},
	{"ATTEST_LEDGER_WITNESSES", func(c *Config, v string) (err error) { c.Ledger.Witnesses, err = parseWitnesses(v); return }},
	{"ATTEST_LEDGER_WITNESS_QUORUM", func(c *Config, v string) (err error) { c.Ledger.WitnessQuorum, err = strconv.Atoi(v); return }},
	{"ATTEST_LEDGER_WITNESS_TIMEOUT", func(c *Config, v string) (err error) {
		c.Ledger.WitnessTimeout.Duration, err = time.ParseDuration(v)
		return
	}},
	{"ATTEST_RETENTION_INTERVAL", func(c *Config, v string) (err error) {
		c.Privacy.RetentionInterval.Duration, err = time.ParseDuration(v)
		return
	}},
	{"ATTEST_SQLITE_SYNCHRONOUS", func(c *Config, v string) error { c.SQLite.Synchronous = strings.ToUpper(v); return nil }},
}

func applyEnv(c *Config, getenv func(string) string) error {
	for _, k := range envKeys {
		if v := getenv(k.name); v != "" {
			if err := k.set(c, v); err != nil {
				return fmt.Errorf("environment variable %s=%q: %w", k.name, v, err)
			}
		}
	}
	return nil
}

// Validate checks values that would otherwise fail late.
func (c *Config) Validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log_format %q: use text or json", c.LogFormat)
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("database must be a postgres:// URL, got %q; leave it empty for the embedded store", redact(c.Database))
	}
	if c.Ledger.CheckpointInterval.Duration < time.Second {
		return errors.New("ledger.checkpoint_interval must be at least 1s")
	}
	if c.Ledger.BatchMax < 1 || c.Ledger.QueueSize < 1 || c.Ledger.CacheTiles < 1 {
		return errors.New("ledger.batch_max, queue_size and cache_tiles must be positive")
	}
	if err := c.Ledger.validateWitnesses(); err != nil {
		return err
	}
	if c.Privacy.RetentionInterval.Duration < time.Minute {
		return errors.New("privacy.retention_interval must be at least 1m")
	}
	if c.MaxBodyBytes < 1024 {
		return errors.New("max_body_bytes must be at least 1024")
	}
	if _, err := c.ProxyNetworks(); err != nil {
		return err
	}
	if c.GCPercent != -1 && c.GCPercent < 25 {
		return fmt.Errorf("gc_percent %d: use 25 or more (100 is Go's default), or -1 to turn collection off", c.GCPercent)
	}
	switch c.SQLite.Synchronous {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return fmt.Errorf("sqlite.synchronous %q: use FULL, EXTRA or NORMAL", c.SQLite.Synchronous)
	}
	return nil
}

// validateWitnesses checks every witness's URL and key, so that a typo is
// found at start rather than as a checkpoint that is never witnessed.
func (l *LedgerConfig) validateWitnesses() error {
	names := map[string]bool{}
	for i, w := range l.Witnesses {
		field := fmt.Sprintf("ledger.witnesses[%d]", i)
		u, err := url.Parse(w.URL)
		if w.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%s.url %q: use the witness's submission prefix, an http:// or https:// URL without query such as https://witness.example.com; attest posts to <url>/add-checkpoint", field, w.URL)
		}
		if u.User != nil {
			return fmt.Errorf("%s.url: remove the user name and password; the witness protocol needs no credentials", field)
		}
		v, err := witness.ParseKey(w.Key)
		if err != nil {
			return fmt.Errorf("%s.key: %v; paste the verifier key the witness's operator gives you (name+hash+base64; 'attest witness' prints its own at start)", field, err)
		}
		name := w.Name
		if name == "" {
			name = v.Name()
		}
		if !ledger.ValidID(name) {
			return fmt.Errorf("%s.name %q: use printable ASCII without spaces", field, name)
		}
		if names[name] {
			return fmt.Errorf("%s: the name %q is used twice; give each witness its own name", field, name)
		}
		names[name] = true
	}
	if _, err := witness.ParseKeys(l.WitnessKeys()); err != nil {
		return fmt.Errorf("ledger.witnesses: %w; list each witness once", err)
	}
	if len(l.Witnesses) > 0 && (l.WitnessQuorum < 1 || l.WitnessQuorum > len(l.Witnesses)) {
		return fmt.Errorf("ledger.witness_quorum %d: use a number from 1 to %d, the number of ledger.witnesses", l.WitnessQuorum, len(l.Witnesses))
	}
	if l.WitnessTimeout.Duration < 100*time.Millisecond {
		return fmt.Errorf("ledger.witness_timeout %s: use at least 100ms, such as 10s", l.WitnessTimeout)
	}
	return nil
}

// redact hides a password in a database URL for error messages.
func redact(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if i := strings.Index(u, "://"); i >= 0 && i < at {
			return u[:i+3] + "…@" + u[at+1:]
		}
	}
	return u
}

// ProxyNetworks parses TrustedProxies. A bare address is a network of one.
func (c *Config) ProxyNetworks() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range c.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("trusted_proxies[%d] %q: use a CIDR such as 10.0.0.0/8 or an address such as 10.0.0.5", i, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// splitList splits a comma-separated environment value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
