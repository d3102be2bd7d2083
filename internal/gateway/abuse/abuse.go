// Package abuse watches each API key for signs of abuse and model
// extraction: request and token volume spikes, error spikes, requests from
// new source networks, and systematic sweeps of near-identical prompts.
//
// The detector keeps only counters and hashes in memory, never prompt text
// or addresses.
package abuse

import (
	"hash/maphash"
	"math"
	"net/netip"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Config tunes the detector. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Throttle refuses a key's requests for ThrottleFor after an alert.
	Throttle    bool          `yaml:"throttle"`
	ThrottleFor time.Duration `yaml:"throttle_for"`
	// Cooldown is the least time between two alerts of one signal for one
	// key.
	Cooldown time.Duration `yaml:"cooldown"`

	// Volume: a minute with more than MinRequests requests and more than
	// SpikeFactor times the key's usual rate, or an hour with more than
	// HourlyRequests.
	MinRequests    int     `yaml:"min_requests"`
	SpikeFactor    float64 `yaml:"spike_factor"`
	HourlyRequests int     `yaml:"hourly_requests"`
	// Tokens: the same rule for tokens per minute.
	MinTokens int `yaml:"min_tokens"`
	// Errors: a minute with at least MinErrors errors making up at least
	// ErrorRatio of the key's requests.
	MinErrors  int     `yaml:"min_errors"`
	ErrorRatio float64 `yaml:"error_ratio"`
	// Networks: NewNetworks source networks (IPv4 /24, IPv6 /48) not seen
	// before within NetworkWindow, once the key is older than WarmUp.
	NewNetworks   int           `yaml:"new_networks"`
	NetworkWindow time.Duration `yaml:"network_window"`
	WarmUp        time.Duration `yaml:"warm_up"`
	// Sweeps: within SweepWindow, at least SweepMin requests of which at
	// least SweepRatio are near-duplicates (similar but not equal) of the
	// key's recent prompts.
	SweepWindow time.Duration `yaml:"sweep_window"`
	SweepMin    int           `yaml:"sweep_min"`
	SweepRatio  float64       `yaml:"sweep_ratio"`
}

// DefaultConfig returns the thresholds used when a field is zero.
func DefaultConfig() Config {
	return Config{
		Enabled:        true,
		ThrottleFor:    5 * time.Minute,
		Cooldown:       10 * time.Minute,
		MinRequests:    300,
		SpikeFactor:    5,
		HourlyRequests: 6000,
		MinTokens:      200_000,
		MinErrors:      30,
		ErrorRatio:     0.5,
		NewNetworks:    3,
		NetworkWindow:  time.Hour,
		WarmUp:         time.Hour,
		SweepWindow:    10 * time.Minute,
		SweepMin:       60,
		SweepRatio:     0.6,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setD(&c.ThrottleFor, d.ThrottleFor)
	setD(&c.Cooldown, d.Cooldown)
	set(&c.MinRequests, d.MinRequests)
	setF(&c.SpikeFactor, d.SpikeFactor)
	set(&c.HourlyRequests, d.HourlyRequests)
	set(&c.MinTokens, d.MinTokens)
	set(&c.MinErrors, d.MinErrors)
	setF(&c.ErrorRatio, d.ErrorRatio)
	set(&c.NewNetworks, d.NewNetworks)
	setD(&c.NetworkWindow, d.NetworkWindow)
	setD(&c.WarmUp, d.WarmUp)
	setD(&c.SweepWindow, d.SweepWindow)
	set(&c.SweepMin, d.SweepMin)
	setF(&c.SweepRatio, d.SweepRatio)
	return c
}

// Signals.
const (
	SignalVolume   = "request_volume"
	SignalTokens   = "token_volume"
	SignalErrors   = "error_spike"
	SignalNetworks = "new_networks"
	SignalSweep    = "systematic_sweep"
)

// Observation is one finished request of a key.
type Observation struct {
	Tenant string
	KeyID  string
	Time   time.Time
	// Addr is the client address; only its network's hash is kept.
	Addr netip.Addr
	// Prompt is the last user message; only hashes of it are kept.
	Prompt string
	Tokens int
	Error  bool
}

// Alert is one detection.
type Alert struct {
	Tenant    string
	KeyID     string
	Signal    string
	Value     float64
	Threshold float64
	Window    time.Duration
	// ThrottledUntil is set when the key was throttled.
	ThrottledUntil time.Time
}

// Detector holds per-key state.
type Detector struct {
	cfg  Config
	seed maphash.Seed
	salt uint64

	mu   sync.Mutex
	keys map[string]*keyState
}

// New returns a detector.
func New(cfg Config) *Detector {
	seed := maphash.MakeSeed()
	return &Detector{cfg: cfg.withDefaults(), seed: seed, salt: maphash.String(seed, "salt"), keys: map[string]*keyState{}}
}

const sigSize = 24
const recentPrompts = 32

type keyState struct {
	first time.Time
	last  time.Time

	minute               time.Time
	reqs, toks, errs     int
	baseReqs, baseToks   float64
	hourStart            time.Time
	hourReqs             int
	nets                 map[uint64]struct{}
	newNets              []time.Time
	sweepStart           time.Time
	sweepReqs, sweepNear int
	recent               [recentPrompts]signature
	nrecent              int
	lastAlert            map[string]time.Time
	throttledUntil       time.Time
}

type signature struct {
	exact uint64
	mins  [sigSize]uint64
	n     int
}

// Throttled reports whether key is throttled at now and for how long.
func (d *Detector) Throttled(key string, now time.Time) (bool, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.keys[key]
	if s == nil || !now.Before(s.throttledUntil) {
		return false, 0
	}
	return true, s.throttledUntil.Sub(now)
}

// Observe records a request and returns the alerts it raised.
func (d *Detector) Observe(o Observation) []Alert {
	if !d.cfg.Enabled {
		return nil
	}
	// Hashing happens outside the lock.
	sig := d.sign(o.Prompt)
	var netHash uint64
	hasNet := o.Addr.IsValid()
	if hasNet {
		netHash = d.network(o.Addr)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.keys[o.KeyID]
	if s == nil {
		s = &keyState{first: o.Time, minute: o.Time.Truncate(time.Minute), hourStart: o.Time, sweepStart: o.Time,
			nets: map[uint64]struct{}{}, lastAlert: map[string]time.Time{}}
		d.keys[o.KeyID] = s
		d.evict(o.Time)
	}
	s.last = o.Time
	var alerts []Alert
	raise := func(signal string, value, threshold float64, window time.Duration) {
		if t, ok := s.lastAlert[signal]; ok && o.Time.Sub(t) < d.cfg.Cooldown {
			return
		}
		s.lastAlert[signal] = o.Time
		a := Alert{Tenant: o.Tenant, KeyID: o.KeyID, Signal: signal, Value: value, Threshold: threshold, Window: window}
		if d.cfg.Throttle {
			s.throttledUntil = o.Time.Add(d.cfg.ThrottleFor)
			a.ThrottledUntil = s.throttledUntil
		}
		alerts = append(alerts, a)
	}

	// Minute buckets with an exponentially weighted baseline of past
	// minutes; idle minutes decay it.
	if m := o.Time.Truncate(time.Minute); m.After(s.minute) {
		gap := int(m.Sub(s.minute) / time.Minute)
		s.baseReqs = 0.8*s.baseReqs + 0.2*float64(s.reqs)
		s.baseToks = 0.8*s.baseToks + 0.2*float64(s.toks)
		decay := math.Pow(0.8, float64(min(gap-1, 60)))
		s.baseReqs *= decay
		s.baseToks *= decay
		s.minute, s.reqs, s.toks, s.errs = m, 0, 0, 0
	}
	s.reqs++
	s.toks += o.Tokens
	if o.Error {
		s.errs++
	}
	if th := max(float64(d.cfg.MinRequests), d.cfg.SpikeFactor*s.baseReqs); float64(s.reqs) > th {
		raise(SignalVolume, float64(s.reqs), th, time.Minute)
	}
	if o.Time.Sub(s.hourStart) >= time.Hour {
		s.hourStart, s.hourReqs = o.Time, 0
	}
	s.hourReqs++
	if s.hourReqs > d.cfg.HourlyRequests {
		raise(SignalVolume, float64(s.hourReqs), float64(d.cfg.HourlyRequests), time.Hour)
	}
	if th := max(float64(d.cfg.MinTokens), d.cfg.SpikeFactor*s.baseToks); float64(s.toks) > th {
		raise(SignalTokens, float64(s.toks), th, time.Minute)
	}
	if s.errs >= d.cfg.MinErrors && float64(s.errs) >= d.cfg.ErrorRatio*float64(s.reqs) {
		raise(SignalErrors, float64(s.errs)/float64(s.reqs), d.cfg.ErrorRatio, time.Minute)
	}

	if hasNet {
		if _, seen := s.nets[netHash]; !seen {
			if len(s.nets) < 4096 {
				s.nets[netHash] = struct{}{}
			}
			if o.Time.Sub(s.first) >= d.cfg.WarmUp {
				s.newNets = append(s.newNets, o.Time)
			}
		}
		for len(s.newNets) > 0 && o.Time.Sub(s.newNets[0]) > d.cfg.NetworkWindow {
			s.newNets = s.newNets[1:]
		}
		if len(s.newNets) >= d.cfg.NewNetworks {
			raise(SignalNetworks, float64(len(s.newNets)), float64(d.cfg.NewNetworks), d.cfg.NetworkWindow)
		}
	}

	if o.Prompt != "" {
		if o.Time.Sub(s.sweepStart) >= d.cfg.SweepWindow {
			s.sweepStart, s.sweepReqs, s.sweepNear = o.Time, 0, 0
		}
		s.sweepReqs++
		if s.nearDuplicate(sig) {
			s.sweepNear++
		}
		s.recent[s.nrecent%recentPrompts] = sig
		s.nrecent++
		if s.sweepReqs >= d.cfg.SweepMin {
			ratio := float64(s.sweepNear) / float64(s.sweepReqs)
			if ratio >= d.cfg.SweepRatio {
				raise(SignalSweep, ratio, d.cfg.SweepRatio, d.cfg.SweepWindow)
			}
		}
	}
	return alerts
}

// nearDuplicate reports whether sig is similar to, but not the same as,
// one of the key's recent prompts. Exact repeats are retries, not sweeps.
func (s *keyState) nearDuplicate(sig signature) bool {
	n := min(s.nrecent, recentPrompts)
	for i := 0; i < n; i++ {
		r := &s.recent[i]
		if r.exact == sig.exact {
			continue
		}
		if similarity(&r.mins, r.n, &sig.mins, sig.n) >= 0.5 {
			return true
		}
	}
	return false
}

// similarity estimates the Jaccard similarity of two sets from their
// bottom-k sketches: among the k smallest hashes of the union, the share
// that both sets hold.
func similarity(a *[sigSize]uint64, na int, b *[sigSize]uint64, nb int) float64 {
	i, j, seen, both := 0, 0, 0, 0
	for seen < sigSize && (i < na || j < nb) {
		switch {
		case j >= nb || (i < na && a[i] < b[j]):
			i++
		case i >= na || b[j] < a[i]:
			j++
		default:
			both++
			i++
			j++
		}
		seen++
	}
	if seen == 0 {
		return 0
	}
	return float64(both) / float64(seen)
}

// sign computes a bottom-k sketch (the k smallest hashes) of the prompt's
// words and word pairs, with letters lower-cased and digit runs folded so
// that enumerations like "item 1", "item 2" look alike. It allocates
// nothing and costs one comparison per word in the common case.
func (d *Detector) sign(prompt string) signature {
	var sig signature
	sig.exact = maphash.String(d.seed, prompt)
	var prev uint64
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	inWord, lastDigit := false, false
	flush := func() {
		w := mix(h ^ d.salt)
		sig.add(w)
		if prev != 0 {
			sig.add(mix(prev*31 + w))
		}
		prev = w
		h, inWord, lastDigit = offset, false, false
	}
	for _, r := range prompt {
		if r < utf8.RuneSelf {
			// ASCII, the common case, without the Unicode tables; the
			// result is the same as below.
			switch {
			case r >= '0' && r <= '9':
				if !lastDigit {
					h = (h ^ '#') * prime
				}
				inWord, lastDigit = true, true
			case r|0x20 >= 'a' && r|0x20 <= 'z':
				h = (h ^ uint64(r|0x20)) * prime
				inWord, lastDigit = true, false
			default:
				if inWord {
					flush()
				}
			}
			continue
		}
		switch {
		case unicode.IsDigit(r):
			if !lastDigit {
				h = (h ^ '#') * prime
			}
			inWord, lastDigit = true, true
		case unicode.IsLetter(r):
			h = (h ^ uint64(unicode.ToLower(r))) * prime
			inWord, lastDigit = true, false
		default:
			if inWord {
				flush()
			}
		}
	}
	if inWord {
		flush()
	}
	return sig
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// add inserts h into the sorted bottom-k sketch.
func (s *signature) add(h uint64) {
	if s.n == sigSize && h >= s.mins[sigSize-1] {
		return
	}
	i := 0
	for i < s.n && s.mins[i] < h {
		i++
	}
	if i < s.n && s.mins[i] == h {
		return
	}
	end := s.n
	if end == sigSize {
		end-- // the largest falls out
	}
	copy(s.mins[i+1:end+1], s.mins[i:end])
	s.mins[i] = h
	if s.n < sigSize {
		s.n++
	}
}

func (d *Detector) network(a netip.Addr) uint64 {
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return 0
	}
	return maphash.String(d.seed, p.String())
}

// evict drops keys idle for a day, so state stays bounded by active keys.
func (d *Detector) evict(now time.Time) {
	if len(d.keys)%1024 != 0 {
		return
	}
	for k, s := range d.keys {
		if now.Sub(s.last) > 24*time.Hour {
			delete(d.keys, k)
		}
	}
}
