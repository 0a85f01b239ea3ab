package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Map geometry and velocity bounds (OpenFWI).
const (
	NZ   = 70     // rows (depth)
	NX   = 70     // columns
	VMin = 1500.0 // m/s
	VMax = 4500.0 // m/s
)

// Generator draws velocity maps of one family.
type Generator interface {
	// Name is the OpenFWI dataset name the generator imitates ("flatvel-a").
	Name() string
	// Generate writes one 70×70 map [z][x] in m/s to dst, drawing all
	// randomness from rng. It panics if len(dst) != 4900.
	Generate(dst []float32, rng *rand.Rand)
}

// presets maps dataset names to constructors.
var presets = map[string]func() Generator{
	"flatvel-a":    func() Generator { return FlatVelA() },
	"flatvel-b":    func() Generator { return FlatVelB() },
	"curvevel-a":   func() Generator { return CurveVelA() },
	"curvevel-b":   func() Generator { return CurveVelB() },
	"flatfault-a":  func() Generator { return FlatFaultA() },
	"flatfault-b":  func() Generator { return FlatFaultB() },
	"curvefault-a": func() Generator { return CurveFaultA() },
	"curvefault-b": func() Generator { return CurveFaultB() },
	"style-a":      func() Generator { return StyleA() },
	"style-b":      func() Generator { return StyleB() },
}

// Names lists the generator names accepted by New, sorted.
func Names() []string {
	var s []string
	for k := range presets {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// New returns the preset generator for an OpenFWI dataset name ("flatvel-a",
// "FlatVel_A" and "FlatVel-A" are equivalent).
func New(name string) (Generator, error) {
	key := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if f, ok := presets[key]; ok {
		return f(), nil
	}
	return nil, fmt.Errorf("unknown generator %q (have %s)", name, strings.Join(Names(), ", "))
}

// RNG returns the random source of map index of file file of dataset name:
// a PCG seeded with the first 16 bytes of SHA-256("genfwi/gen/v1", name,
// file, index). The same triple always gives the same stream.
func RNG(name string, file, index int) *rand.Rand {
	h := sha256.Sum256([]byte("genfwi/gen/v1\x00" + name + "\x00" + strconv.Itoa(file) + "\x00" + strconv.Itoa(index)))
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])))
}

// Sample writes map index of file file of g into dst, deterministically.
func Sample(g Generator, file, index int, dst []float32) {
	g.Generate(dst, RNG(g.Name(), file, index))
}

func checkDst(dst []float32) {
	if len(dst) != NZ*NX {
		panic(fmt.Sprintf("gen: len(dst) = %d, want %d", len(dst), NZ*NX))
	}
}

// uniformInt returns an integer uniform in [lo, hi].
func uniformInt(rng *rand.Rand, lo, hi int) int { return lo + rng.IntN(hi-lo+1) }

// uniform returns a float uniform in [lo, hi).
func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// velocities draws n integer velocities uniform in [1500, 4500] m/s, sorted
// ascending when sorted is set (A versions) and in random order otherwise.
func velocities(rng *rand.Rand, n int, sorted bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(uniformInt(rng, VMin, VMax))
	}
	if sorted {
		slices.Sort(v)
	}
	return v
}

// layering is a 1-D stack of layers: layer i spans depths [tops[i],
// tops[i+1]) in cells, the first layer extends upwards without bound and the
// last downwards.
type layering struct {
	tops []float64 // tops[0] = -Inf, then interface depths ascending
	vel  []float64
}

// at returns the velocity at depth y (cells, any real number).
func (l *layering) at(y float64) float64 {
	return l.vel[layerIndex(l.tops, y)]
}

// layerIndex returns the index of the last top <= y.
func layerIndex(tops []float64, y float64) int {
	i, _ := slices.BinarySearch(tops, y)
	// BinarySearch gives the first index with tops[i] >= y.
	if i < len(tops) && tops[i] == y {
		return i
	}
	return i - 1
}

func clampV(v float64) float64 { return math.Max(VMin, math.Min(VMax, v)) }
