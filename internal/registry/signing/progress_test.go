package signing

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	bar := newProgressBar(&buf, "hashing")
	bar.update(1_500_000_000, 3_000_000_000)
	bar.finish()
	out := buf.String()
	for _, want := range []string{"\rhashing [", strings.Repeat("#", 15) + strings.Repeat(".", 15), " 50% ", "1.50 GB/3.00 GB", "MB/s", "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress line %q lacks %q", out, want)
		}
	}
	buf.Reset()
	bar.update(0, 0)
	if !strings.Contains(buf.String(), "100%") {
		t.Errorf("empty model should show as done: %q", buf.String())
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1500: "1.5 kB", 2_500_000: "2.5 MB", 4_294_967_296: "4.29 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
