package signing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Serialization methods defined by OMS 1.0, section 6.3.
const (
	MethodFiles  = "files"
	MethodShards = "shards"
)

// HashSHA256 is the only hash algorithm this package computes.
const HashSHA256 = "sha256"

// Shard size bounds for the automatic choice; see autoShardSize.
const (
	minAutoShard = 1 << 20
	maxAutoShard = 1 << 30
)

// Serialization records how a model was enumerated and hashed, so a
// verifier can do the same (OMS 1.0, section 5.2.2).
type Serialization struct {
	Method        string   `json:"method"`
	HashType      string   `json:"hash_type"`
	ShardSize     int64    `json:"shard_size,omitempty"`
	AllowSymlinks bool     `json:"allow_symlinks"`
	IgnorePaths   []string `json:"ignore_paths,omitempty"`
}

// Resource is one entry of the signed file manifest: a file, or with shard
// serialization a byte range "path:start:end" of one.
type Resource struct {
	Name      string `json:"name"`
	Digest    string `json:"digest"`
	Algorithm string `json:"algorithm"`
}

// Manifest is a hashed model: the predicate body of an OMS statement.
type Manifest struct {
	// Name is the basename of the model path, the statement subject name.
	Name          string        `json:"-"`
	Resources     []Resource    `json:"resources"`
	Serialization Serialization `json:"serialization"`
	// Bytes is how many bytes were hashed. It is not part of the signature.
	Bytes int64 `json:"-"`
}

// RootDigest is the SHA-256 over the raw resource digests in manifest
// order (OMS 1.0, section 6.5.1): the model's identity in one hash.
func (m *Manifest) RootDigest() (string, error) {
	h := sha256.New()
	for _, r := range m.Resources {
		b, err := hex.DecodeString(r.Digest)
		if err != nil {
			return "", fmt.Errorf("resource %q has a digest that is not hex: %w", r.Name, err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HashOptions controls how HashModel enumerates and hashes a model.
type HashOptions struct {
	// Method is MethodShards (the default) or MethodFiles. Shards let
	// every core work on one large file; files give one digest per file.
	Method string
	// ShardSize is the shard length in bytes for MethodShards. Zero picks
	// one from the model's size, see autoShardSize.
	ShardSize int64
	// IgnorePaths are extra paths, relative to the model directory, left
	// out of the signature with their subtrees. The defaults of OMS (.git
	// and friends) always apply.
	IgnorePaths []string
	// AllowSymlinks follows symbolic links to regular files inside the
	// model. Links that resolve outside the model are always refused.
	AllowSymlinks bool
	// SignaturePath is excluded from the model when it lies inside it.
	SignaturePath string
	// Progress, if set, is called about ten times a second with the bytes
	// hashed so far and the total.
	Progress func(done, total int64)
}

// HashModel hashes the file or directory at path in parallel and returns
// its manifest, resources sorted by name.
func HashModel(ctx context.Context, path string, opt HashOptions) (*Manifest, error) {
	ignore, err := ignoreList(path, opt.IgnorePaths, opt.SignaturePath)
	if err != nil {
		return nil, err
	}
	ser := Serialization{
		Method:        opt.Method,
		HashType:      HashSHA256,
		ShardSize:     opt.ShardSize,
		AllowSymlinks: opt.AllowSymlinks,
		IgnorePaths:   ignore,
	}
	switch ser.Method {
	case "":
		ser.Method = MethodShards
	case MethodFiles, MethodShards:
	default:
		return nil, fmt.Errorf("serialization method %q is unknown: use %q or %q", ser.Method, MethodShards, MethodFiles)
	}
	if ser.Method == MethodFiles && ser.ShardSize != 0 {
		return nil, fmt.Errorf("a shard size only applies to the %q method", MethodShards)
	}
	if ser.ShardSize < 0 {
		return nil, fmt.Errorf("shard size must be positive, got %d", ser.ShardSize)
	}
	return hashModel(ctx, path, ser, opt.Progress)
}

// hashModel hashes a model as ser describes; a zero shard size for the
// shards method is replaced by the automatic choice.
func hashModel(ctx context.Context, path string, ser Serialization, progress func(done, total int64)) (*Manifest, error) {
	if ser.HashType != HashSHA256 {
		return nil, fmt.Errorf("hash type %q is not supported: only %q is", ser.HashType, HashSHA256)
	}
	m, err := openModel(path, walkOptions{ignore: ser.IgnorePaths, allowSymlinks: ser.AllowSymlinks})
	if err != nil {
		return nil, err
	}
	defer m.Close()

	var total int64
	for _, f := range m.files {
		total += f.size
	}
	if ser.Method == MethodShards && ser.ShardSize == 0 {
		ser.ShardSize = autoShardSize(total)
	}
	spans := split(m.files, ser)
	if len(spans) == 0 {
		return nil, fmt.Errorf("every file of the model is empty, and shard serialization leaves empty files out: sign it with the %q method", MethodFiles)
	}
	if err := hashSpans(ctx, m, spans, progress); err != nil {
		return nil, err
	}
	man := &Manifest{Name: m.name, Serialization: ser, Bytes: total}
	man.Resources = make([]Resource, len(spans))
	for i, s := range spans {
		name := m.files[s.file].name
		if ser.Method == MethodShards {
			name = shardName(name, s.start, s.end)
		}
		man.Resources[i] = Resource{Name: name, Digest: hex.EncodeToString(s.digest[:]), Algorithm: HashSHA256}
	}
	slices.SortFunc(man.Resources, func(a, b Resource) int { return strings.Compare(a.Name, b.Name) })
	return man, nil
}

// split turns files into spans: one per file, or consecutive shards with
// empty files left out (OMS 1.0, section 6.3.2).
func split(files []file, ser Serialization) []span {
	var spans []span
	for i, f := range files {
		if ser.Method == MethodFiles {
			spans = append(spans, span{file: i, end: f.size})
			continue
		}
		for start := int64(0); start < f.size; start += ser.ShardSize {
			spans = append(spans, span{file: i, start: start, end: min(start+ser.ShardSize, f.size)})
		}
	}
	return spans
}

// autoShardSize picks a power-of-two shard size near 1/256 of the model,
// between 1 MiB and 1 GiB. Some 256 shards keep every vector lane of every
// core busy until the end, while the manifest stays small.
func autoShardSize(total int64) int64 {
	want := (total + 255) / 256
	if want <= minAutoShard {
		return minAutoShard
	}
	if want >= maxAutoShard {
		return maxAutoShard
	}
	return 1 << bits.Len64(uint64(want-1))
}

func shardName(name string, start, end int64) string {
	return name + ":" + strconv.FormatInt(start, 10) + ":" + strconv.FormatInt(end, 10)
}

// parseShardName splits "path:start:end" at its last two colons, since the
// path may itself contain colons.
func parseShardName(name string) (path string, start, end int64, err error) {
	i := strings.LastIndexByte(name, ':')
	if i < 0 {
		return "", 0, 0, fmt.Errorf("shard resource %q lacks the \":start:end\" suffix", name)
	}
	j := strings.LastIndexByte(name[:i], ':')
	if j < 0 {
		return "", 0, 0, fmt.Errorf("shard resource %q lacks the \":start:end\" suffix", name)
	}
	start, err1 := strconv.ParseInt(name[j+1:i], 10, 64)
	end, err2 := strconv.ParseInt(name[i+1:], 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end <= start || j == 0 {
		return "", 0, 0, fmt.Errorf("shard resource %q needs a path and decimal offsets with start < end", name)
	}
	return name[:j], start, end, nil
}
