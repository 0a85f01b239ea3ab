package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Tensor is a contiguous row-major float32 array.
type Tensor struct {
	// Shape lists the extent of each axis, slowest first (NCHW for images).
	Shape []int
	// Data holds Numel() elements in row-major order.
	Data []float32
}

// Numel returns the number of elements of a shape (1 for a scalar shape).
func Numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// New allocates a zeroed tensor of the given shape.
// It panics if an extent is negative.
func New(shape ...int) *Tensor {
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("tensor: negative extent in shape %v", shape))
		}
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// FromSlice wraps data (not copied) as a tensor of the given shape.
// It panics if len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	if len(data) != Numel(shape) {
		panic(fmt.Sprintf("tensor: %d elements do not fit shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Repeat returns n copies of t stacked along a new leading axis of length n
// in place of t's first axis, which must have length 1: (1, ...) → (n, ...),
// as a condition shared by a batch of draws. It allocates.
func (t *Tensor) Repeat(n int) *Tensor {
	if len(t.Shape) == 0 || t.Shape[0] != 1 || n < 0 {
		panic(fmt.Sprintf("tensor: Repeat(%d) of shape %v: want n >= 0 and a leading axis of 1", n, t.Shape))
	}
	r := New(append([]int{n}, t.Shape[1:]...)...)
	for i := 0; i < n; i++ {
		copy(r.Data[i*len(t.Data):], t.Data)
	}
	return r
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{Shape: []int{}, Data: []float32{v}} }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.Data) }

// Dim returns the number of axes.
func (t *Tensor) Dim() int { return len(t.Shape) }

// Clone returns a deep copy. It allocates.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Reshape returns a tensor sharing t's data with a new shape. One extent may be
// -1 and is inferred. It panics if the element count changes.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	return &Tensor{Shape: InferShape(len(t.Data), shape), Data: t.Data}
}

// InferShape resolves a single -1 extent in shape so that it holds n elements.
// It returns a new slice and panics if that is impossible.
func InferShape(n int, shape []int) []int {
	out := append([]int(nil), shape...)
	neg, prod := -1, 1
	for i, s := range out {
		if s == -1 {
			if neg >= 0 {
				panic(fmt.Sprintf("tensor: more than one -1 in shape %v", shape))
			}
			neg = i
			continue
		}
		prod *= s
	}
	if neg >= 0 {
		if prod == 0 || n%prod != 0 {
			panic(fmt.Sprintf("tensor: cannot reshape %d elements to %v", n, shape))
		}
		out[neg] = n / prod
		prod *= out[neg]
	}
	if prod != n {
		panic(fmt.Sprintf("tensor: cannot reshape %d elements to %v", n, shape))
	}
	return out
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// CopyFrom copies src's elements into t. It panics if the counts differ.
func (t *Tensor) CopyFrom(src *Tensor) {
	if len(src.Data) != len(t.Data) {
		panic(fmt.Sprintf("tensor: CopyFrom %v into %v", src.Shape, t.Shape))
	}
	copy(t.Data, src.Data)
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool { return slices.Equal(a, b) }

// Randn returns a tensor of independent N(0, std²) samples drawn from rng.
// It allocates.
func Randn(rng *rand.Rand, std float64, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64() * std)
	}
	return t
}

// Uniform returns a tensor of independent U(lo, hi) samples drawn from rng.
// It allocates.
func Uniform(rng *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return t
}

// MaxAbsDiff returns max |a_i - b_i| in float64. It panics if the counts differ.
func MaxAbsDiff(a, b *Tensor) float64 {
	if len(a.Data) != len(b.Data) {
		panic(fmt.Sprintf("tensor: MaxAbsDiff %v vs %v", a.Shape, b.Shape))
	}
	m := 0.0
	for i := range a.Data {
		m = math.Max(m, math.Abs(float64(a.Data[i])-float64(b.Data[i])))
	}
	return m
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}
