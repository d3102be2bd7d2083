package vendor

import (
	"bytes"
	"math"
	"slices"
	"strings"
)

// textLine is a set of spans sharing a baseline.
type textLine struct {
	y, size float64
	spans   []textSpan
}

// layoutSpans turns spans into lines of text, top to bottom and left to right
// in each reading direction, the dominant direction first. Wide gaps
// become runs of spaces, as in pdftotext's layout mode, so table columns
// stay apart.
func layoutSpans(spans []textSpan) string {
	counts := map[int]int{}
	var dirs []int
	for _, s := range spans {
		if counts[s.dir] == 0 {
			dirs = append(dirs, s.dir)
		}
		counts[s.dir] += len(s.text)
	}
	slices.Sort(dirs)
	slices.SortStableFunc(dirs, func(a, b int) int { return counts[b] - counts[a] })
	var out strings.Builder
	for _, d := range dirs {
		var group []textSpan
		for _, s := range spans {
			if s.dir == d {
				group = append(group, s)
			}
		}
		if out.Len() > 0 {
			out.WriteString("\n\n")
		}
		writeLines(&out, groupLines(group))
	}
	return out.String()
}

func groupLines(spans []textSpan) []textLine {
	slices.SortStableFunc(spans, func(a, b textSpan) int {
		switch {
		case a.y > b.y:
			return -1
		case a.y < b.y:
			return 1
		}
		return 0
	})
	var lines []textLine
	for _, s := range spans {
		if n := len(lines); n > 0 {
			ln := &lines[n-1]
			if math.Abs(ln.y-s.y) < 0.45*math.Min(ln.size, s.size) {
				ln.spans = append(ln.spans, s)
				ln.size = math.Max(ln.size, s.size)
				continue
			}
		}
		lines = append(lines, textLine{y: s.y, size: s.size, spans: []textSpan{s}})
	}
	return lines
}

func writeLines(out *strings.Builder, lines []textLine) {
	for i, ln := range lines {
		if i > 0 {
			out.WriteByte('\n')
			if gap := lines[i-1].y - ln.y; gap > 1.9*math.Max(ln.size, lines[i-1].size) {
				out.WriteByte('\n')
			}
		}
		writeLine(out, ln.spans)
	}
}

func writeLine(out *strings.Builder, spans []textSpan) {
	slices.SortStableFunc(spans, func(a, b textSpan) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	var buf []byte
	var prev *textSpan
	for i := range spans {
		s := &spans[i]
		text := s.text
		if prev != nil {
			// Drop text painted twice at the same place (fake bold, shadows).
			if bytes.Equal(prev.text, text) && math.Abs(prev.x-s.x) < 0.2*s.size {
				continue
			}
			gap := s.x - prev.end
			em := math.Max(s.size, prev.size)
			endsSpace := len(buf) > 0 && buf[len(buf)-1] == ' '
			switch {
			case gap >= 1.0*em:
				n := min(max(2, int(gap/(0.5*em))), 8)
				buf = bytes.TrimRight(buf, " ")
				buf = append(buf, strings.Repeat(" ", n)...)
				text = bytes.TrimLeft(text, " ")
			case gap > 0.15*em && !endsSpace && (len(text) == 0 || text[0] != ' '):
				buf = append(buf, ' ')
			}
		} else {
			text = bytes.TrimLeft(text, " ")
		}
		buf = append(buf, text...)
		prev = s
	}
	out.Write(bytes.TrimRight(buf, " "))
}
