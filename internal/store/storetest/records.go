package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/attest-ai/attest/internal/records"
)

type counter struct {
	N     int      `json:"n"`
	Notes []string `json:"notes"`
}

func testRecords(t *testing.T, st Store) {
	ctx := context.Background()
	tb := records.NewTable[counter](st, "counter")
	if err := tb.Create(ctx, "a", "c1", counter{N: 1}); err != nil {
		t.Fatal(err)
	}
	if err := tb.Create(ctx, "a", "c1", counter{}); !errors.Is(err, records.ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := tb.Get(ctx, "b", "c1"); !errors.Is(err, records.ErrNotFound) {
		t.Fatalf("other tenant's record: %v", err)
	}
	// Concurrent read-modify-write loses no update.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tb.Mutate(ctx, "a", "c1", func(c *counter) error { c.N++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := tb.Get(ctx, "a", "c1")
	if got.N != 21 {
		t.Fatalf("after 20 concurrent increments N = %d, want 21", got.N)
	}
	// A stale revision is refused.
	d, _ := st.GetDoc(ctx, "counter", "a", "c1")
	if _, err := st.PutDoc(ctx, records.Doc{Kind: "counter", Tenant: "a", ID: "c1", Rev: d.Rev - 1, Data: []byte(`{}`)}); !errors.Is(err, records.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	for i := 0; i < 1200; i++ {
		tb.Create(ctx, "b", string(rune('a'+i%26))+itoa(i), counter{N: i})
	}
	all, err := tb.List(ctx, "b")
	if err != nil || len(all) != 1200 {
		t.Fatalf("list: %d %v", len(all), err)
	}
	if every, _ := tb.List(ctx, ""); len(every) != 1201 {
		t.Fatalf("list across tenants: %d", len(every))
	}
	if err := tb.Delete(ctx, "a", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Delete(ctx, "a", "c1"); !errors.Is(err, records.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}
