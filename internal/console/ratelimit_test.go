package console

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(3, time.Minute, 100, func() time.Time { return now })
	for i := range 3 {
		if b, _ := l.blocked("k"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("k")
	}
	if b, left := l.blocked("k"); !b || left != time.Minute {
		t.Fatalf("after 3 failures: blocked=%v left=%v", b, left)
	}
	if b, _ := l.blocked("other"); b {
		t.Fatal("keys are not independent")
	}
	now = now.Add(time.Minute)
	if b, _ := l.blocked("k"); b {
		t.Fatal("the window did not expire")
	}
	l.fail("k")
	l.fail("k")
	l.reset("k")
	l.fail("k")
	if b, _ := l.blocked("k"); b {
		t.Fatal("reset did not clear the count")
	}
}

func TestLimiterStaysBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(3, time.Minute, 50, func() time.Time { return now })
	for i := range 1000 {
		l.fail(fmt.Sprint("addr-", i))
	}
	if n := len(l.hits); n > 50 {
		t.Fatalf("%d keys kept, the bound is 50", n)
	}
}
