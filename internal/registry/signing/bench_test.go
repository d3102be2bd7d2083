package signing

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkHash compares parallel model hashing with one SHA-256 stream
// over the same file, in the same run. ATTEST_BENCH_HASH_MB sets the file
// size (default 256).
func BenchmarkHash(b *testing.B) {
	mb := 256
	if v := os.Getenv("ATTEST_BENCH_HASH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("ATTEST_BENCH_HASH_MB=%q is not a positive number of megabytes", v)
		}
		mb = n
	}
	size := int64(mb) << 20
	path := filepath.Join(b.TempDir(), "model.bin")
	writeRandom(b, path, size)

	b.Run("single-stream", func(b *testing.B) {
		b.SetBytes(size)
		buf := make([]byte, readSize)
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(h, f, buf); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := HashModel(context.Background(), path, HashOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel-sha-ni", func(b *testing.B) {
		useLanes = false
		defer func() { useLanes = hasLanes }()
		b.SetBytes(size)
		for b.Loop() {
			if _, err := HashModel(context.Background(), path, HashOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func writeRandom(b *testing.B, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]byte, 1<<20)
	for written := int64(0); written < size; written += int64(len(buf)) {
		for i := 0; i < len(buf); i += 8 {
			v := rng.Uint64()
			for j := range 8 {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		if _, err := f.Write(buf[:min(int64(len(buf)), size-written)]); err != nil {
			b.Fatal(err)
		}
	}
}
