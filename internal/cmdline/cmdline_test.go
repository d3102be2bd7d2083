package cmdline

import (
	"errors"
	"fmt"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Count(1, "page"), "1 page"},
		{Count(0, "page"), "0 pages"},
		{Count(2, "consistency proof"), "2 consistency proofs"},
		{Count(uint64(1), "entry"), "1 entry"},
		{Count(uint64(7), "entry"), "7 entries"},
		{Count(int64(3), "hash"), "3 hashes"},
		{Count(2, "witness"), "2 witnesses"},
		{Count(2, "data key"), "2 data keys"},
		{Count(5, "finding"), "5 findings"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestUsagef(t *testing.T) {
	err := fmt.Errorf("scan: %w", Usagef("unknown format %q", "xml"))
	if !errors.Is(err, ErrUsage) || err.Error() != `scan: unknown format "xml": usage` {
		t.Fatalf("%v", err)
	}
}
