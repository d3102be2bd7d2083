package abuse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// corpus makes natural-looking prompts: frequent function words mixed
// with a long tail of content words, as in real traffic.
type corpus struct {
	rng   *rand.Rand
	stop  []string
	words []string
}

func newCorpus(seed uint64) *corpus {
	c := &corpus{rng: rand.New(rand.NewPCG(seed, 1)),
		stop: strings.Fields("the a of to and in is it that for on with as was what how why can you me my please this be are")}
	for i := 0; i < 3000; i++ {
		n := 3 + c.rng.IntN(7)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + c.rng.IntN(26))
		}
		c.words = append(c.words, string(b))
	}
	return c
}

func (c *corpus) sentence(min, max int) string {
	n := min + c.rng.IntN(max-min+1)
	w := make([]string, n)
	for i := range w {
		if c.rng.Float64() < 0.4 {
			w[i] = c.stop[c.rng.IntN(len(c.stop))]
		} else {
			// Zipf-like: low indices are much more frequent.
			w[i] = c.words[int(math.Pow(c.rng.Float64(), 2.5)*float64(len(c.words)))]
		}
	}
	return strings.Join(w, " ")
}

type event struct {
	at  time.Time
	obs Observation
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// normalMix is mixHours of ordinary traffic from 40 keys: chat users, batch
// jobs, template apps (translation, summaries, a low-rate lookup bot),
// keys used from a few networks and keys with occasional upstream errors.
func normalMix(c *corpus) []event {
	var out []event
	for k := 0; k < 40; k++ {
		key := fmt.Sprintf("key-%02d", k)
		rate := 0.005 + c.rng.Float64()*0.1 // requests a second at peak
		nets := []netip.Addr{addr(fmt.Sprintf("10.%d.1.5", k)), addr(fmt.Sprintf("10.%d.2.5", k))}
		errRate := 0.01
		if k%10 == 3 {
			errRate = 0.05
		}
		for t := t0; t.Before(t0.Add(mixHours * time.Hour)); {
			// Daily cycle: busy in the working day, quiet at night.
			h := float64(t.Hour())
			r := rate * (0.15 + 0.85*math.Max(0, math.Sin((h-6)/12*math.Pi)))
			t = t.Add(time.Duration(c.rng.ExpFloat64() / math.Max(r, 0.002) * float64(time.Second)))
			var p string
			switch k % 5 {
			case 0:
				p = "Translate to French: " + c.sentence(8, 20)
			case 1:
				p = "Summarize the following article. " + c.sentence(80, 200)
			case 2:
				p = c.sentence(4, 30)
			case 3:
				p = c.sentence(10, 60) + "? " + c.sentence(5, 20)
			case 4:
				if k == 4 {
					// A lookup bot with a short template, at a low rate.
					if c.rng.Float64() > 0.1 {
						continue
					}
					p = "What is the weather in " + c.words[c.rng.IntN(len(c.words))] + " today?"
				} else {
					p = c.sentence(20, 40)
				}
			}
			out = append(out, event{t, Observation{KeyID: key, Tenant: "t", Time: t, Addr: nets[c.rng.IntN(len(nets))], Prompt: p,
				Tokens: len(p)/4 + 200, Error: c.rng.Float64() < errRate}})
		}
		// Key 7 runs a nightly batch job: 200 requests a minute for ten
		// minutes.
		if k == 7 {
			for i := 0; i < 2000; i++ {
				t := t0.Add(2*time.Hour + time.Duration(i)*300*time.Millisecond)
				p := "Classify this support ticket: " + c.sentence(30, 80)
				out = append(out, event{t, Observation{KeyID: key, Tenant: "t", Time: t, Addr: nets[0], Prompt: p, Tokens: 400}})
			}
		}
	}
	return out
}

func sortEvents(ev []event) {
	slices.SortStableFunc(ev, func(a, b event) int { return a.at.Compare(b.at) })
}

type raised struct {
	Alert
	at time.Time
}

func run(d *Detector, ev []event) []raised {
	var alerts []raised
	for _, e := range ev {
		for _, a := range d.Observe(e.obs) {
			alerts = append(alerts, raised{a, e.at})
		}
	}
	return alerts
}

var (
	mixOnce   sync.Once
	normalDay []event
)

// sharedMix is the normal day every attack scenario runs inside.
func sharedMix() []event {
	mixOnce.Do(func() { normalDay = normalMix(newCorpus(2)) })
	return slices.Clone(normalDay)
}

// TestNormalTrafficRaisesNoAlerts is the false-alert half of the scenario.
func TestNormalTrafficRaisesNoAlerts(t *testing.T) {
	c := newCorpus(1)
	ev := normalMix(c)
	sortEvents(ev)
	alerts := run(New(DefaultConfig()), ev)
	t.Logf("normal mix: %d requests from 40 keys over %dh, %d false alerts", len(ev), mixHours, len(alerts))
	for _, a := range alerts {
		t.Errorf("false alert: %+v", a.Alert)
	}
}

// TestExtractionScenario scripts model-extraction attacks inside the
// normal mix and measures how long each takes to detect.
func TestExtractionScenario(t *testing.T) {
	for _, tc := range []struct {
		name   string
		attack func(c *corpus, start time.Time) []event
		signal string
		within time.Duration
	}{
		{"template sweep at 1 rps", func(c *corpus, start time.Time) []event {
			var out []event
			for i := 0; i < 3600; i++ {
				t := start.Add(time.Duration(i) * time.Second)
				p := fmt.Sprintf("Rate the sentiment of review %d from 1 to 5: the product was %s", i, c.words[i%len(c.words)])
				out = append(out, event{t, Observation{KeyID: "attacker", Tenant: "t", Time: t, Addr: addr("192.0.2.7"), Prompt: p, Tokens: 60}})
			}
			return out
		}, SignalSweep, 5 * time.Minute},
		{"numeric enumeration at 0.2 rps", func(c *corpus, start time.Time) []event {
			var out []event
			for i := 0; i < 720; i++ {
				t := start.Add(time.Duration(i) * 5 * time.Second)
				p := fmt.Sprintf("What is %d times %d? Answer with the number only.", i/7, i%7)
				out = append(out, event{t, Observation{KeyID: "attacker", Tenant: "t", Time: t, Addr: addr("192.0.2.7"), Prompt: p, Tokens: 30}})
			}
			return out
		}, SignalSweep, 10 * time.Minute},
		{"diverse harvesting at 10 rps", func(c *corpus, start time.Time) []event {
			var out []event
			for i := 0; i < 6000; i++ {
				t := start.Add(time.Duration(i) * 100 * time.Millisecond)
				p := c.sentence(10, 40)
				out = append(out, event{t, Observation{KeyID: "attacker", Tenant: "t", Time: t, Addr: addr("192.0.2.7"), Prompt: p, Tokens: 800}})
			}
			return out
		}, SignalVolume, time.Minute},
		{"key spread over new networks", func(c *corpus, start time.Time) []event {
			var out []event
			for i := 0; i < 60; i++ {
				t := start.Add(time.Duration(i) * 20 * time.Second)
				p := c.sentence(10, 30)
				out = append(out, event{t, Observation{KeyID: "attacker", Tenant: "t", Time: t, Addr: addr(fmt.Sprintf("198.51.%d.9", i)), Prompt: p, Tokens: 200}})
			}
			return out
		}, SignalNetworks, 2 * time.Minute},
		{"probing with errors", func(c *corpus, start time.Time) []event {
			var out []event
			for i := 0; i < 600; i++ {
				t := start.Add(time.Duration(i) * time.Second)
				out = append(out, event{t, Observation{KeyID: "attacker", Tenant: "t", Time: t, Addr: addr("192.0.2.7"), Prompt: c.sentence(3, 10), Error: i%4 != 0}})
			}
			return out
		}, SignalErrors, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCorpus(3)
			ev := sharedMix()
			// Two hours of ordinary use by the attacker's key first.
			for i := 0; i < 720; i++ {
				at := t0.Add(2*time.Hour + time.Duration(i)*10*time.Second)
				ev = append(ev, event{at, Observation{KeyID: "attacker", Tenant: "t", Time: at, Addr: addr("192.0.2.7"), Prompt: c.sentence(5, 30), Tokens: 300}})
			}
			start := t0.Add(4 * time.Hour)
			ev = append(ev, tc.attack(c, start)...)
			sortEvents(ev)
			alerts := run(New(DefaultConfig()), ev)
			var first *raised
			falseAlerts := 0
			for i, a := range alerts {
				if a.KeyID != "attacker" {
					falseAlerts++
					continue
				}
				if first == nil && a.Signal == tc.signal {
					first = &alerts[i]
				}
			}
			if falseAlerts > 0 {
				t.Errorf("%d false alerts on other keys", falseAlerts)
			}
			if first == nil {
				t.Fatalf("attack never detected as %s; alerts: %+v", tc.signal, alerts)
			}
			delay := first.at.Sub(start)
			t.Logf("%s: detected as %s after %v (threshold %.2f, value %.2f), %d false alerts", tc.name, first.Signal, delay, first.Threshold, first.Value, falseAlerts)
			if delay > tc.within {
				t.Errorf("detected after %v, want within %v", delay, tc.within)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Throttle = true
	cfg.MinErrors = 2
	d := New(cfg)
	var got []Alert
	for i := 0; i < 3; i++ {
		got = append(got, d.Observe(Observation{KeyID: "k", Time: t0.Add(time.Duration(i) * time.Second), Error: true})...)
	}
	if len(got) != 1 || got[0].Signal != SignalErrors || !got[0].ThrottledUntil.Equal(t0.Add(time.Second+5*time.Minute)) {
		t.Fatalf("alerts %+v", got)
	}
	if th, wait := d.Throttled("k", t0.Add(time.Minute)); !th || wait != 4*time.Minute+time.Second {
		t.Errorf("throttled %v for %v", th, wait)
	}
	if th, _ := d.Throttled("other", t0.Add(time.Minute)); th {
		t.Error("an unrelated key is throttled")
	}
	if th, _ := d.Throttled("k", t0.Add(time.Hour)); th {
		t.Error("the throttle never ends")
	}
}

func BenchmarkObserve(b *testing.B) {
	d := New(DefaultConfig())
	c := newCorpus(3)
	prompts := make([]string, 256)
	for i := range prompts {
		prompts[i] = c.sentence(100, 200)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Observe(Observation{KeyID: "k", Time: t0.Add(time.Duration(i) * time.Millisecond), Addr: addr("10.0.0.1"), Prompt: prompts[i%256], Tokens: 300})
	}
}
