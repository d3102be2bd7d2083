package shareddata

import (
	"syscall"
	"testing"
	"time"
)

// CPUClock measures the processor time the process spends, user and
// system, which unlike wall-clock time does not grow when other programs
// compete for the cores. Benchmarks report it next to ns/op because the
// development machines are shared.
type CPUClock struct{ start time.Duration }

// StartCPU reads the clock.
func StartCPU() CPUClock { return CPUClock{cpuTime()} }

// Report adds cpu-ns/op and, when bytes is positive, cpu-MB/s (bytes per
// processor second) to b's results.
func (c CPUClock) Report(b *testing.B, bytes int64) {
	b.Helper()
	if b.N == 0 {
		return
	}
	d := cpuTime() - c.start
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if bytes > 0 && d > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
