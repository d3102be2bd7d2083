package vendor

import (
	"bytes"
	"embed"
	"io/fs"
	"regexp"
	"strconv"
	"time"
)

// The demo packet is synthetic: a fictional vendor's SOC 2 Type 2 report
// with AI components in scope, a bridge letter and a penetration-test
// summary, written for attest's tests. It is what `attest serve --demo`
// reviews.
//
//go:embed testdata/fixtures/soc2-type2-ai-in-scope.txt testdata/fixtures/bridge-letter.txt testdata/fixtures/pentest-summary.txt
var demoFS embed.FS

// demoLatest is the month of the packet's latest date, its bridge letter.
var demoLatest = time.Date(2025, time.October, 1, 0, 0, 0, 0, time.UTC)

// DemoPacket returns the synthetic demo packet as review inputs, its dates
// moved so that its bridge letter is a month old at now: a demo reviewed on
// any day then shows a current report, as a real packet would be when it
// is reviewed, rather than one that went stale after the fixture was
// written.
func DemoPacket(now time.Time) []Input {
	shift := (now.Year()-demoLatest.Year())*12 + int(now.Month()) - int(demoLatest.Month()) - 1
	var out []Input
	fs.WalkDir(demoFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := demoFS.ReadFile(p)
		b = shiftDates(b, shift)
		in, err := ReadInput(d.Name(), bytes.NewReader(b), int64(len(b))+1)
		if err == nil {
			out = append(out, in)
		}
		return nil
	})
	return out
}

var longDate = regexp.MustCompile(`(January|February|March|April|May|June|July|August|September|October|November|December) ([0-9]{1,2}), ([0-9]{4})`)

// shiftDates moves every "Month D, YYYY" date in text by months. A month's
// last day stays its month's last day, so a period ending March 31 still
// ends on a month's end.
func shiftDates(text []byte, months int) []byte {
	if months == 0 {
		return text
	}
	return longDate.ReplaceAllFunc(text, func(m []byte) []byte {
		t, err := time.Parse("January 2, 2006", string(m))
		if err != nil {
			return m
		}
		first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
		last := first.AddDate(0, 1, -1).Day()
		day := t.Day()
		if day == t.AddDate(0, 0, 1-t.Day()).AddDate(0, 1, -1).Day() || day > last {
			day = last
		}
		return []byte(first.Month().String() + " " + strconv.Itoa(day) + ", " + strconv.Itoa(first.Year()))
	})
}
