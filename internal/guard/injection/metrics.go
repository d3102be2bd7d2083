package injection

import (
	"cmp"
	"slices"
)

// ROC summarises how well scores separate attacks (label 1) from benign
// text (label 0).
type ROC struct {
	AUC      float64
	TPRAt1   float64 // true-positive rate at 1% false positives
	TPRAt5   float64 // at 5%
	Thresh1  float64 // lowest score threshold keeping false positives at or below 1%
	Thresh5  float64
	Positive int
	Negative int
}

// Evaluate computes the ROC summary. Tied scores are ranked together.
func Evaluate(scores []float64, labels []int) ROC {
	var r ROC
	pts := make([]scored, len(scores))
	for i := range scores {
		pts[i] = scored{scores[i], labels[i]}
		if labels[i] == 1 {
			r.Positive++
		} else {
			r.Negative++
		}
	}
	if r.Positive == 0 || r.Negative == 0 {
		return r
	}
	// Highest score first.
	slices.SortFunc(pts, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	// AUC by ranks (Mann-Whitney): rank n is the lowest score.
	var rankSum float64
	n := len(pts)
	for i := 0; i < n; {
		j := i
		for j < n && pts[j].s == pts[i].s {
			j++
		}
		// Ranks from the bottom of positions i..j-1 are n-j+1..n-i.
		avg := float64((n-j+1)+(n-i)) / 2
		for k := i; k < j; k++ {
			if pts[k].l == 1 {
				rankSum += avg
			}
		}
		i = j
	}
	p, q := float64(r.Positive), float64(r.Negative)
	r.AUC = (rankSum - p*(p+1)/2) / (p * q)
	r.TPRAt1, r.Thresh1 = tprAt(pts, 0.01, r.Positive, r.Negative)
	r.TPRAt5, r.Thresh5 = tprAt(pts, 0.05, r.Positive, r.Negative)
	return r
}

type scored struct {
	s float64
	l int
}

// tprAt walks thresholds from the top and returns the best true-positive
// rate whose false-positive rate stays within maxFPR, and that threshold.
func tprAt(pts []scored, maxFPR float64, pos, neg int) (float64, float64) {
	tp, fp := 0, 0
	best, thr := 0.0, 1.0
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].s == pts[i].s {
			if pts[j].l == 1 {
				tp++
			} else {
				fp++
			}
			j++
		}
		if float64(fp)/float64(neg) <= maxFPR {
			best, thr = float64(tp)/float64(pos), pts[i].s
		}
		i = j
	}
	return best, thr
}
