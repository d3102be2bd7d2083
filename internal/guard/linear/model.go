// Package linear holds the hashed-feature linear models behind the guard's
// classifiers: features are strings hashed into a fixed number of buckets,
// and a class score is the sum of the buckets' weights. Models are trained
// in Go (see Train), stored in a small binary format and checked against a
// SHA-256 digest when loaded.
package linear

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
)

// magic starts every model file; the digit is the format version.
const magic = "ATLM1"

// Model is a multi-class linear model over hashed features. Classes is 1
// for a binary logistic model, whose single score is the log-odds of the
// positive class.
type Model struct {
	Bits    uint8 // log2 of the number of buckets
	Classes int
	Bias    []float32 // per class
	W       []float32 // bucket-major: W[b*Classes+c]
}

// New returns a zero model.
func New(bits uint8, classes int) *Model {
	return &Model{Bits: bits, Classes: classes, Bias: make([]float32, classes), W: make([]float32, (1<<bits)*classes)}
}

// Bucket returns the bucket of a feature. FNV-1a is used rather than
// maphash because models must hash the same in every process.
func (m *Model) Bucket(feature string) uint32 { return Hash(feature) & (1<<m.Bits - 1) }

// Hash is 32-bit FNV-1a.
func Hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// HashBytes is Hash for a byte slice.
func HashBytes(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// Scores adds the weights of the given buckets to each class's bias and
// writes the totals into out, which must have Classes elements.
func (m *Model) Scores(buckets []uint32, out []float32) { m.ScaledScores(buckets, 1, out) }

// ScaledScores is Scores with every feature valued scale instead of one,
// as for length-normalised counts.
func (m *Model) ScaledScores(buckets []uint32, scale float32, out []float32) {
	m.MixedScores(buckets, scale, nil, out)
}

// MixedScores scores scaled features together with unit-valued ones, such
// as a few strong indicators next to many length-normalised n-grams.
func (m *Model) MixedScores(buckets []uint32, scale float32, unit []uint32, out []float32) {
	defer m.addUnit(unit, out)
	mask := uint32(1)<<m.Bits - 1
	if m.Classes == 1 {
		var sum float32
		for _, b := range buckets {
			sum += m.W[b&mask]
		}
		out[0] = m.Bias[0] + scale*sum
		return
	}
	if m.Classes == 3 && len(out) == 3 {
		// The name model's shape, unrolled: one bounds check per feature.
		var s0, s1, s2 float32
		for _, b := range buckets {
			i := int(b&mask) * 3
			w := m.W[i : i+3 : i+3]
			s0 += w[0]
			s1 += w[1]
			s2 += w[2]
		}
		out[0], out[1], out[2] = m.Bias[0]+scale*s0, m.Bias[1]+scale*s1, m.Bias[2]+scale*s2
		return
	}
	for c := range out {
		out[c] = 0
	}
	for _, b := range buckets {
		row := m.W[int(b&mask)*m.Classes:]
		for c := range out {
			out[c] += row[c]
		}
	}
	for c := range out {
		out[c] = m.Bias[c] + scale*out[c]
	}
}

func (m *Model) addUnit(unit []uint32, out []float32) {
	mask := uint32(1)<<m.Bits - 1
	for _, b := range unit {
		row := m.W[int(b&mask)*m.Classes:]
		for c := range out {
			out[c] += row[c]
		}
	}
}

// Sigmoid maps log-odds to a probability.
func Sigmoid(x float32) float64 { return 1 / (1 + math.Exp(-float64(x))) }

// MarshalBinary encodes the model with weights quantised to 16 bits.
func (m *Model) MarshalBinary() ([]byte, error) {
	var maxAbs float32
	for _, w := range m.W {
		maxAbs = max(maxAbs, float32(math.Abs(float64(w))))
	}
	scale := maxAbs / 32767
	if scale == 0 {
		scale = 1
	}
	var b bytes.Buffer
	b.WriteString(magic)
	b.WriteByte(m.Bits)
	binary.Write(&b, binary.LittleEndian, uint16(m.Classes))
	binary.Write(&b, binary.LittleEndian, scale)
	binary.Write(&b, binary.LittleEndian, m.Bias)
	q := make([]int16, len(m.W))
	for i, w := range m.W {
		q[i] = int16(math.Round(float64(w / scale)))
	}
	binary.Write(&b, binary.LittleEndian, q)
	return b.Bytes(), nil
}

// ErrDigest is returned when a model file does not match its recorded
// digest.
var ErrDigest = errors.New("model digest mismatch")

// Load decodes a model after checking that its SHA-256 digest equals the
// hex string want. A mismatch means the file was changed without
// retraining through the documented command, and the model is refused.
func Load(data []byte, want string) (*Model, error) {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("%w: file has sha256 %s, code expects %s; retrain with the documented command to refresh both", ErrDigest, got, want)
	}
	return Decode(data)
}

// Decode parses a model file without a digest check; it never panics on
// malformed input.
func Decode(data []byte) (*Model, error) {
	if len(data) < len(magic)+7 || string(data[:len(magic)]) != magic {
		return nil, errors.New("decode model: not a model file (bad magic); regenerate it with the trainer")
	}
	p := data[len(magic):]
	bits := p[0]
	classes := int(binary.LittleEndian.Uint16(p[1:3]))
	scale := math.Float32frombits(binary.LittleEndian.Uint32(p[3:7]))
	p = p[7:]
	if bits < 4 || bits > 24 || classes < 1 || classes > 16 || math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
		return nil, fmt.Errorf("decode model: implausible header (bits %d, classes %d)", bits, classes)
	}
	n := (1 << bits) * classes
	if len(p) != classes*4+n*2 {
		return nil, fmt.Errorf("decode model: %d bytes of weights, want %d", len(p), classes*4+n*2)
	}
	m := New(bits, classes)
	for c := range classes {
		m.Bias[c] = math.Float32frombits(binary.LittleEndian.Uint32(p[c*4:]))
	}
	p = p[classes*4:]
	for i := range n {
		m.W[i] = float32(int16(binary.LittleEndian.Uint16(p[i*2:]))) * scale
	}
	return m, nil
}

// Digest returns the hex SHA-256 of data, the form Load expects.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
