package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

// runReport reads load results (one JSON object a line, with a "phase"
// prefix "phase\t{...}") and prints medians over the runs as a table.
func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	in := fs.String("in", "results.txt", "results file written by run.sh")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct{ phase, target string }
	runs := map[key][]result{}
	var order []key
	extra := map[string][]float64{}
	var extraOrder []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		phase, rest, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(rest), &r); err != nil {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err == nil {
				if _, seen := extra[phase]; !seen {
					extraOrder = append(extraOrder, phase)
				}
				extra[phase] = append(extra[phase], v)
			}
			continue
		}
		k := key{phase, r.Target}
		if _, seen := runs[k]; !seen {
			order = append(order, k)
		}
		runs[k] = append(runs[k], r)
	}
	med := func(rs []result, f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	fmt.Printf("%-11s %-9s %5s %9s %9s %9s %9s %9s %9s %7s\n", "phase", "target", "runs", "rps", "p50 µs", "p99 µs", "ttft50", "ttft99", "+p50 µs", "errors")
	base := map[string]result{}
	for _, k := range order {
		rs := runs[k]
		m := result{
			AchievedRPS: med(rs, func(r result) float64 { return r.AchievedRPS }),
			P50:         med(rs, func(r result) float64 { return r.P50 }),
			P99:         med(rs, func(r result) float64 { return r.P99 }),
			TTFT50:      med(rs, func(r result) float64 { return r.TTFT50 }),
			TTFT99:      med(rs, func(r result) float64 { return r.TTFT99 }),
			Errors:      int64(med(rs, func(r result) float64 { return float64(r.Errors) })),
		}
		if k.target == "direct" {
			base[k.phase] = m
		}
		// Added latency is computed per run against that run's direct
		// figures, then the median is taken.
		added := "-"
		if k.target != "direct" {
			var d []float64
			for i, r := range rs {
				if b := runs[key{k.phase, "direct"}]; i < len(b) {
					x := r.P50 - b[i].P50
					if r.Stream {
						x = r.TTFT50 - b[i].TTFT50
					}
					d = append(d, x)
				}
			}
			if len(d) > 0 {
				added = fmt.Sprintf("%.0f", median(d))
			}
		}
		fmt.Printf("%-11s %-9s %5d %9.0f %9.0f %9.0f %9.0f %9.0f %9s %7d\n", k.phase, k.target, len(rs), m.AchievedRPS, m.P50, m.P99, m.TTFT50, m.TTFT99, added, m.Errors)
	}
	// p99 added, per run against direct.
	fmt.Println()
	for _, k := range order {
		if k.target == "direct" {
			continue
		}
		var d []float64
		for i, r := range runs[k] {
			if b := runs[key{k.phase, "direct"}]; i < len(b) {
				x := r.P99 - b[i].P99
				if r.Stream {
					x = r.TTFT99 - b[i].TTFT99
				}
				d = append(d, x)
			}
		}
		if len(d) > 0 {
			fmt.Printf("added p99 (%s, %s): %.0f µs (median of %d runs)\n", k.phase, k.target, median(d), len(d))
		}
	}
	for _, p := range extraOrder {
		fmt.Printf("%s: %.1f (median of %d)\n", p, median(extra[p]), len(extra[p]))
	}
	return nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
