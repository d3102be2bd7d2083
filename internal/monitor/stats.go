package monitor

import (
	"fmt"
	"math"
)

// psiFloor replaces empty bins' shares in PSI, whose logarithm would
// otherwise be infinite; 1e-4 is the customary choice.
const psiFloor = 1e-4

// PSI is the population stability index of current against reference:
// the sum over bins of (c - r) * ln(c / r) of the bin shares. Common
// readings: below 0.1 stable, 0.1 to 0.25 shifting, above 0.25 shifted.
func PSI(reference, current *Histogram) (float64, error) {
	r, c, err := shares(reference, current)
	if err != nil {
		return 0, err
	}
	var psi float64
	for i := range r {
		ri, ci := max(r[i], psiFloor), max(c[i], psiFloor)
		psi += (ci - ri) * math.Log(ci/ri)
	}
	return psi, nil
}

// JensenShannon is the Jensen-Shannon divergence of the two distributions
// in bits: 0 for equal ones, 1 for ones with no bin in common.
func JensenShannon(reference, current *Histogram) (float64, error) {
	p, q, err := shares(reference, current)
	if err != nil {
		return 0, err
	}
	var js float64
	for i := range p {
		m := (p[i] + q[i]) / 2
		if p[i] > 0 {
			js += p[i] * math.Log2(p[i]/m) / 2
		}
		if q[i] > 0 {
			js += q[i] * math.Log2(q[i]/m) / 2
		}
	}
	return max(js, 0), nil
}

// KSResult is a two-sample Kolmogorov-Smirnov test on binned data.
type KSResult struct {
	// D is the largest distance between the two cumulative distributions
	// at a bin boundary.
	D float64 `json:"d"`
	// P is the asymptotic p-value: how likely a D this large is when both
	// samples come from one distribution. Binning can only hide
	// differences, so the test errs on the side of no drift.
	P float64 `json:"p"`
}

// KS runs the two-sample Kolmogorov-Smirnov test over numeric histograms.
func KS(reference, current *Histogram) (KSResult, error) {
	if !reference.Numeric() {
		return KSResult{}, fmt.Errorf("the KS test needs ordered (numeric) bins")
	}
	r, c, err := shares(reference, current)
	if err != nil {
		return KSResult{}, err
	}
	var cr, cc, d float64
	for i := range r {
		cr += r[i]
		cc += c[i]
		d = max(d, math.Abs(cr-cc))
	}
	n, m := float64(reference.Total()), float64(current.Total())
	ne := n * m / (n + m)
	return KSResult{D: d, P: kolmogorovQ((math.Sqrt(ne) + 0.12 + 0.11/math.Sqrt(ne)) * d)}, nil
}

// kolmogorovQ is the survival function of the Kolmogorov distribution,
// 2 * sum_{j>=1} (-1)^(j-1) exp(-2 j^2 x^2), with the usual small-sample
// correction applied by the caller (Stephens 1970).
func kolmogorovQ(x float64) float64 {
	if x < 0.2 {
		return 1 // the series converges slowly here, and Q is 1 within 1e-12
	}
	var sum, sign float64 = 0, 1
	for j := 1; j <= 100; j++ {
		term := sign * math.Exp(-2*float64(j*j)*x*x)
		sum += term
		if math.Abs(term) < 1e-12 {
			break
		}
		sign = -sign
	}
	return min(max(2*sum, 0), 1)
}

func shares(a, b *Histogram) ([]float64, []float64, error) {
	if err := a.sameBins(b); err != nil {
		return nil, nil, err
	}
	if a.Total() == 0 || b.Total() == 0 {
		return nil, nil, fmt.Errorf("a histogram is empty; drift needs data in both windows")
	}
	return a.proportions(), b.proportions(), nil
}
