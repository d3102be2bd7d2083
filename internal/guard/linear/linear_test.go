package linear

import (
	"bytes"
	"errors"
	"testing"
)

func TestTrainSeparatesAndRoundTrips(t *testing.T) {
	// Feature 1 means class 1, feature 2 means class 0.
	var xs []Example
	for i := range 200 {
		c := i % 2
		xs = append(xs, Example{Buckets: []uint32{uint32(2 - c), uint32(10 + i%7)}, Class: c})
	}
	m := New(8, 1)
	Train(m, xs, Options{Seed: 1})
	var out [1]float32
	m.Scores([]uint32{1}, out[:])
	hi := out[0]
	m.Scores([]uint32{2}, out[:])
	if hi <= 0 || out[0] >= 0 {
		t.Fatalf("scores %v and %v do not separate the classes", hi, out[0])
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(b, Digest(b))
	if err != nil {
		t.Fatal(err)
	}
	m2.Scores([]uint32{1}, out[:])
	if d := out[0] - hi; d > 0.01 || d < -0.01 {
		t.Errorf("score after round trip %v, before %v", out[0], hi)
	}
	// Deterministic: the same data and seed give the same bytes.
	m3 := New(8, 1)
	Train(m3, xs, Options{Seed: 1})
	b3, _ := m3.MarshalBinary()
	if !bytes.Equal(b, b3) {
		t.Error("training is not deterministic")
	}
}

func TestLoadRejects(t *testing.T) {
	m := New(4, 3)
	b, _ := m.MarshalBinary()
	if _, err := Load(b, "00"); !errors.Is(err, ErrDigest) {
		t.Errorf("wrong digest: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("ATLM1"), []byte("XXXXX\x04\x03\x00\x00\x00\x00\x00"), b[:len(b)-1]} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode accepted %q", bad)
		}
	}
}

func TestMulticlass(t *testing.T) {
	var xs []Example
	for i := range 300 {
		xs = append(xs, Example{Buckets: []uint32{uint32(i % 3)}, Class: i % 3})
	}
	m := New(6, 3)
	Train(m, xs, Options{Seed: 2})
	out := make([]float32, 3)
	for c := range 3 {
		m.Scores([]uint32{uint32(c)}, out)
		Probabilities(out)
		if out[c] < 0.5 {
			t.Errorf("class %d probability %v", c, out[c])
		}
	}
}

func FuzzDecode(f *testing.F) {
	m := New(4, 2)
	b, _ := m.MarshalBinary()
	f.Add(b)
	f.Add([]byte("ATLM1\x18\x10\x00\x00\x00\x80\x7f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err == nil && len(m.W) != (1<<m.Bits)*m.Classes {
			t.Fatal("inconsistent model decoded")
		}
	})
}

// TestThreeClassScores checks the unrolled three-class path of
// MixedScores against a plain sum.
func TestThreeClassScores(t *testing.T) {
	m := New(6, 3)
	for i := range m.W {
		m.W[i] = float32(i%7) - 3
	}
	m.Bias = []float32{0.5, -1, 2}
	buckets := []uint32{1, 5, 64 + 5, 63, 200}
	var got [3]float32
	m.MixedScores(buckets, 0.5, []uint32{2}, got[:])
	for c := range 3 {
		var sum float32
		for _, b := range buckets {
			sum += m.W[int(b&63)*3+c]
		}
		want := m.Bias[c] + 0.5*sum + m.W[2*3+c]
		if got[c] != want {
			t.Errorf("class %d: got %v, want %v", c, got[c], want)
		}
	}
}

func TestRatios(t *testing.T) {
	// Bucket 1 occurs only in positives, bucket 2 in both alike, bucket 3
	// only in negatives; repeats within an example count once.
	xs := []Example{
		{Buckets: []uint32{1, 2, 1}, Class: 1},
		{Buckets: []uint32{1, 2}, Class: 1},
		{Buckets: []uint32{2, 3}, Class: 0},
		{Buckets: []uint32{2, 3}, Class: 0},
	}
	r := Ratios(xs, 4)
	if len(r) != 16 {
		t.Fatalf("%d ratios", len(r))
	}
	if r[1] < 0.5 || r[3] < 0.5 {
		t.Errorf("one-class buckets have ratios %v and %v", r[1], r[3])
	}
	if r[2] > 0.01 || r[0] > 0.01 {
		t.Errorf("shared and unused buckets have ratios %v and %v", r[2], r[0])
	}
}
