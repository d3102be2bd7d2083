package monitor

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)

const hour = time.Hour

// traffic fills a window with n synthetic exchanges; longer makes prompts
// about four times longer and refusals far more common.
func traffic(seed uint64, n int, longer bool) *Window {
	rng := rand.New(rand.NewPCG(seed, 3))
	w := NewWindow(t0, t0.Add(hour))
	for range n {
		words := 5 + rng.IntN(20)
		refusal := rng.IntN(50) == 0
		if longer {
			words *= 4
			refusal = rng.IntN(5) == 0
		}
		prompt := ""
		for range words {
			prompt += "word "
		}
		response := "Here you go."
		if refusal {
			response = "I'm sorry, but I can't help with that."
		}
		w.Add(Describe(prompt, response, rng.IntN(2), false))
	}
	return w
}

func TestDetectorQuietOnSameDistribution(t *testing.T) {
	d := Detector{Reference: traffic(1, 2000, false), Thresholds: DefaultThresholds}
	r, err := d.Compare(traffic(2, 2000, false))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Judged || len(r.Alerts) != 0 {
		t.Fatalf("alerts on unchanged traffic: %+v", r.Alerts)
	}
	if len(r.Drift) != len(d.Reference.Histograms) {
		t.Fatalf("%d descriptors compared, want all %d", len(r.Drift), len(d.Reference.Histograms))
	}
}

func TestDetectorAlertsOnShift(t *testing.T) {
	d := Detector{Reference: traffic(1, 2000, false), Thresholds: DefaultThresholds}
	r, err := d.Compare(traffic(2, 2000, true))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range r.Alerts {
		got[a.Descriptor+"/"+a.Statistic] = true
		if a.Statistic == "ks_p_value" && a.Value >= a.Threshold || a.Statistic != "ks_p_value" && a.Value <= a.Threshold {
			t.Errorf("alert %+v is on the wrong side of its threshold", a)
		}
	}
	for _, want := range []string{"prompt_chars/psi", "prompt_chars/ks_p_value", "prompt_tokens/jensen_shannon", "refusal/psi"} {
		if !got[want] {
			t.Errorf("no %s alert; alerts %v", want, got)
		}
	}
	for key := range got {
		if d, _, _ := strings.Cut(key, "/"); d == DescError || d == DescScript {
			t.Errorf("alert %s on a descriptor that did not move", key)
		}
	}
}

func TestDetectorMinSamplesAndErrors(t *testing.T) {
	d := Detector{Reference: traffic(1, 2000, false), Thresholds: DefaultThresholds}
	r, err := d.Compare(traffic(2, 50, true))
	if err != nil {
		t.Fatal(err)
	}
	if r.Judged || len(r.Alerts) != 0 || len(r.Drift) == 0 {
		t.Fatalf("small window: judged %v, %d alerts, %d stats", r.Judged, len(r.Alerts), len(r.Drift))
	}
	other := NewWindow(t0, t0)
	delete(other.Histograms, DescError)
	if _, err := d.Compare(other); err == nil {
		t.Fatal("windows with different descriptors compared")
	}
	if _, err := (&Detector{}).Compare(other); err == nil {
		t.Fatal("detector without reference compared")
	}
}

func TestWindowMerge(t *testing.T) {
	a, b := traffic(1, 10, false), traffic(2, 15, false)
	b.Start, b.End = t0.Add(hour), t0.Add(2*hour)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if a.Samples != 25 || a.Histograms[DescPromptChars].Total() != 25 || !a.End.Equal(t0.Add(2*hour)) {
		t.Fatalf("merged window: %d samples, end %v", a.Samples, a.End)
	}
}

// FuzzCompareWindow feeds windows as they could arrive from storage or an
// API: whatever validates must compare without panicking.
func FuzzCompareWindow(f *testing.F) {
	ref := traffic(1, 500, false)
	seed, _ := json.Marshal(traffic(2, 500, true))
	f.Add(seed)
	f.Add([]byte(`{"histograms":{"error":{"labels":["no","yes"],"counts":[0,0]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w Window
		if json.Unmarshal(data, &w) != nil || w.Validate() != nil {
			return
		}
		d := Detector{Reference: ref, Thresholds: DefaultThresholds}
		if r, err := d.Compare(&w); err == nil {
			for _, dd := range r.Drift {
				if math.IsNaN(dd.PSI) || math.IsNaN(dd.JensenShannon) {
					t.Fatalf("NaN statistic for %s", dd.Descriptor)
				}
			}
		}
	})
}
