package monitor

import "fmt"

// Thresholds say when a statistic raises an alert. A zero field disables
// that statistic's alert.
type Thresholds struct {
	PSI           float64 `json:"psi"`            // alert when PSI exceeds it
	JensenShannon float64 `json:"jensen_shannon"` // alert when the divergence (bits) exceeds it
	KSPValue      float64 `json:"ks_p_value"`     // alert when the KS p-value falls below it
	// MinSamples is the smallest window, on either side, worth judging;
	// below it statistics are reported but raise no alert.
	MinSamples uint64 `json:"min_samples"`
}

// DefaultThresholds are conventional starting points: PSI 0.25 is the
// usual "significant shift", 0.1 bits of Jensen-Shannon a clear change in
// shape, and a KS p-value under 0.001 stays quiet on busy days.
var DefaultThresholds = Thresholds{PSI: 0.25, JensenShannon: 0.1, KSPValue: 0.001, MinSamples: 100}

// DescriptorDrift holds the statistics of one descriptor.
type DescriptorDrift struct {
	Descriptor    string    `json:"descriptor"`
	PSI           float64   `json:"psi"`
	JensenShannon float64   `json:"jensen_shannon"`
	KS            *KSResult `json:"ks,omitempty"` // numeric descriptors only
}

// Alert is one statistic past its threshold.
type Alert struct {
	Descriptor string  `json:"descriptor"`
	Statistic  string  `json:"statistic"` // psi, jensen_shannon or ks_p_value
	Value      float64 `json:"value"`
	Threshold  float64 `json:"threshold"`
}

// Report compares a current window with the reference window.
type Report struct {
	ReferenceSamples uint64            `json:"reference_samples"`
	CurrentSamples   uint64            `json:"current_samples"`
	Drift            []DescriptorDrift `json:"drift"`
	Alerts           []Alert           `json:"alerts,omitempty"`
	// Judged is false when a window was smaller than MinSamples.
	Judged bool `json:"judged"`
}

// Detector compares traffic windows against a reference window.
type Detector struct {
	Reference  *Window
	Thresholds Thresholds
}

// Compare computes every statistic for every descriptor and lists alerts.
// A descriptor empty on either side is skipped.
func (d *Detector) Compare(current *Window) (*Report, error) {
	if d.Reference == nil {
		return nil, fmt.Errorf("the detector has no reference window")
	}
	if err := d.Reference.sameDescriptors(current); err != nil {
		return nil, err
	}
	t := d.Thresholds
	r := &Report{
		ReferenceSamples: d.Reference.Samples,
		CurrentSamples:   current.Samples,
		Judged:           d.Reference.Samples >= t.MinSamples && current.Samples >= t.MinSamples,
	}
	for _, name := range d.Reference.names() {
		ref, cur := d.Reference.Histograms[name], current.Histograms[name]
		if ref.Total() == 0 || cur.Total() == 0 {
			continue
		}
		dd := DescriptorDrift{Descriptor: name}
		var err error
		if dd.PSI, err = PSI(ref, cur); err != nil {
			return nil, fmt.Errorf("descriptor %s: %w", name, err)
		}
		if dd.JensenShannon, err = JensenShannon(ref, cur); err != nil {
			return nil, fmt.Errorf("descriptor %s: %w", name, err)
		}
		if ref.Numeric() {
			ks, err := KS(ref, cur)
			if err != nil {
				return nil, fmt.Errorf("descriptor %s: %w", name, err)
			}
			dd.KS = &ks
		}
		r.Drift = append(r.Drift, dd)
		if r.Judged {
			r.Alerts = append(r.Alerts, alerts(dd, t)...)
		}
	}
	return r, nil
}

func alerts(dd DescriptorDrift, t Thresholds) []Alert {
	var out []Alert
	if t.PSI > 0 && dd.PSI > t.PSI {
		out = append(out, Alert{dd.Descriptor, "psi", dd.PSI, t.PSI})
	}
	if t.JensenShannon > 0 && dd.JensenShannon > t.JensenShannon {
		out = append(out, Alert{dd.Descriptor, "jensen_shannon", dd.JensenShannon, t.JensenShannon})
	}
	if t.KSPValue > 0 && dd.KS != nil && dd.KS.P < t.KSPValue {
		out = append(out, Alert{dd.Descriptor, "ks_p_value", dd.KS.P, t.KSPValue})
	}
	return out
}
