package signing

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws one self-overwriting line: a bar, the share done, the
// bytes and the rate. It is meant for terminals only.
type progressBar struct {
	w     io.Writer
	label string
	start time.Time
	width int
}

func newProgressBar(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: label, start: time.Now(), width: 30}
}

// update is a HashOptions.Progress callback.
func (p *progressBar) update(done, total int64) {
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	filled := int(frac * float64(p.width))
	rate := 0.0
	if s := time.Since(p.start).Seconds(); s > 0 {
		rate = float64(done) / s / 1e6
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %s/%s %.0f MB/s ",
		p.label, strings.Repeat("#", filled), strings.Repeat(".", p.width-filled),
		100*frac, humanBytes(done), humanBytes(total), rate)
}

// finish ends the line so later output starts on a fresh one.
func (p *progressBar) finish() { fmt.Fprintln(p.w) }

func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
