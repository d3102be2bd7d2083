package ledger

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatTilePath is the C2SP tlog-tiles path of a tile (level >= 0) or of an
// entry bundle (level < 0), with the ".p/W" suffix for partial tiles.
func FormatTilePath(level int, index uint64, width int) string {
	var b strings.Builder
	b.WriteString("tile/")
	if level < 0 {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(level))
	}
	b.WriteByte('/')
	b.WriteString(formatIndex(index))
	if width > 0 && width < tileWidth {
		fmt.Fprintf(&b, ".p/%d", width)
	}
	return b.String()
}

// formatIndex writes N as 3-digit groups, all but the last prefixed by x.
func formatIndex(n uint64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// ParseTilePath parses the part of a tile URL after "tile/". It returns
// level -1 for entry bundles and width 256 for full tiles.
func ParseTilePath(p string) (level int, index uint64, width int, err error) {
	bad := func(why string) (int, uint64, int, error) {
		return 0, 0, 0, fmt.Errorf("tile path %q: %s; want <L>/<N>[.p/<W>] or entries/<N>[.p/<W>] with N in x001/x234/067 form", p, why)
	}
	head, rest, ok := strings.Cut(p, "/")
	if !ok {
		return bad("missing index")
	}
	if head == "entries" {
		level = -1
	} else {
		l, err := strconv.Atoi(head)
		if err != nil || l < 0 || l > 63 || strconv.Itoa(l) != head {
			return bad("level must be 0..63")
		}
		level = l
	}
	width = tileWidth
	if i := strings.Index(rest, ".p/"); i >= 0 {
		w, err := strconv.Atoi(rest[i+3:])
		if err != nil || w < 1 || w > 255 || strconv.Itoa(w) != rest[i+3:] {
			return bad("partial width must be 1..255")
		}
		width, rest = w, rest[:i]
	}
	parts := strings.Split(rest, "/")
	if len(parts) > 7 {
		return bad("index too large")
	}
	for i, part := range parts {
		last := i == len(parts)-1
		if !last {
			if !strings.HasPrefix(part, "x") {
				return bad("non-final index groups start with x")
			}
			part = part[1:]
		}
		if len(part) != 3 {
			return bad("index groups have three digits")
		}
		d, err := strconv.Atoi(part)
		if err != nil || d < 0 {
			return bad("index groups are decimal digits")
		}
		if i == 0 && d == 0 && !last {
			return bad("index has a leading zero group")
		}
		index = index*1000 + uint64(d)
	}
	return level, index, width, nil
}
