package ledger

import "testing"

func TestTilePaths(t *testing.T) {
	cases := []struct {
		level int
		index uint64
		width int
		path  string
	}{
		{0, 0, 256, "tile/0/000"},
		{0, 1234067, 256, "tile/0/x001/x234/067"},
		{2, 5, 17, "tile/2/005.p/17"},
		{-1, 1000, 256, "tile/entries/x001/000"},
		{-1, 3, 1, "tile/entries/003.p/1"},
	}
	for _, c := range cases {
		if got := FormatTilePath(c.level, c.index, c.width); got != c.path {
			t.Errorf("format %+v = %s", c, got)
		}
		l, n, w, err := ParseTilePath(c.path[len("tile/"):])
		if err != nil || l != c.level || n != c.index || w != c.width {
			t.Errorf("parse %s = %d %d %d %v", c.path, l, n, w, err)
		}
	}
	for _, bad := range []string{"", "0", "0/1", "0/x000/001", "64/000", "0/000.p/256", "0/000.p/0", "-1/000", "entries/x1/000", "0/0001", "01/000", "0/000.p/07"} {
		if _, _, _, err := ParseTilePath(bad); err == nil {
			t.Errorf("ParseTilePath(%q) accepted", bad)
		}
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"0/000", "entries/x001/x234/067.p/8", "3/x999/999.p/255"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		l, n, w, err := ParseTilePath(p)
		if err != nil {
			return
		}
		back := FormatTilePath(l, n, w)
		if back != "tile/"+p {
			t.Fatalf("round trip %q -> %q", p, back)
		}
	})
}
