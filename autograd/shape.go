package autograd

import (
	"fmt"

	"genfwi/tensor"
)

// Reshape returns x with a new shape (one extent may be -1). The value shares
// x's data; no copy is made.
func Reshape(x *Var, shape ...int) *Var {
	s := tensor.InferShape(len(x.Value.Data), shape)
	out := &Var{Value: &tensor.Tensor{Shape: s, Data: x.Value.Data}, tape: x.tape}
	return record(out, "Reshape", []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		for i, v := range g.Data {
			dx[i] += v
		}
	})
}

// copyND copies (or adds, when acc is set) the block of the given shape from
// src (element strides ss) to dst (element strides ds). Axes are collapsed
// first, so contiguous runs become one copy; it is the workhorse of Permute,
// Slice, Concat and Pad.
func copyND(dst []float32, ds []int, src []float32, ss []int, shape []int, acc bool) {
	if tensor.Numel(shape) == 0 {
		return
	}
	cs, cd, cx := collapse(shape, ds, ss)
	last := len(cs) - 1
	inner, dl, sl := cs[last], cd[last], cx[last]
	rows := tensor.Numel(cs) / inner
	for r := 0; r < rows; r++ {
		_, id, is := rowOffsets(cs, cd, cx, r)
		switch {
		case dl == 1 && sl == 1 && !acc:
			copy(dst[id:id+inner], src[is:is+inner])
		case dl == 1 && sl == 1:
			d, s := dst[id:id+inner], src[is:is+inner]
			for j, v := range s {
				d[j] += v
			}
		case acc:
			for j := 0; j < inner; j++ {
				dst[id+j*dl] += src[is+j*sl]
			}
		default:
			for j := 0; j < inner; j++ {
				dst[id+j*dl] = src[is+j*sl]
			}
		}
	}
}

// Permute reorders the axes of x: output axis i is input axis perm[i]. It
// copies. It panics if perm is not a permutation of x's axes.
func Permute(x *Var, perm ...int) *Var {
	shape := x.Value.Shape
	if len(perm) != len(shape) {
		panic(fmt.Sprintf("autograd: Permute: %v is not a permutation of %d axes", perm, len(shape)))
	}
	seen := make([]bool, len(perm))
	outShape := make([]int, len(perm))
	xs := tensor.Strides(shape)
	srcStr := make([]int, len(perm)) // input stride of each output axis
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			panic(fmt.Sprintf("autograd: Permute: %v is not a permutation of %d axes", perm, len(shape)))
		}
		seen[p] = true
		outShape[i], srcStr[i] = shape[p], xs[p]
	}
	out := newOut(false, outShape, x)
	os := tensor.Strides(outShape)
	copyND(out.Value.Data, os, x.Value.Data, srcStr, outShape, false)
	return record(out, "Permute", []*Var{x}, func(g *tensor.Tensor) {
		copyND(gradOf(x).Data, srcStr, g.Data, os, outShape, true)
	})
}

// Transpose swaps axes a and b of x (negative axes count from the end).
func Transpose(x *Var, a, b int) *Var {
	r := len(x.Value.Shape)
	a, b = (a+r)%r, (b+r)%r
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	perm[a], perm[b] = b, a
	return Permute(x, perm...)
}

// Slice returns x restricted to [start, end) along axis. It copies.
func Slice(x *Var, axis, start, end int) *Var {
	shape := x.Value.Shape
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) || start < 0 || end > shape[axis] || start > end {
		panic(fmt.Sprintf("autograd: Slice: [%d,%d) on axis %d of shape %v", start, end, axis, shape))
	}
	outShape := append([]int(nil), shape...)
	outShape[axis] = end - start
	out := newOut(false, outShape, x)
	xs, os := tensor.Strides(shape), tensor.Strides(outShape)
	off := start * xs[axis]
	copyND(out.Value.Data, os, x.Value.Data[off:], xs, outShape, false)
	return record(out, "Slice", []*Var{x}, func(g *tensor.Tensor) {
		copyND(gradOf(x).Data[off:], xs, g.Data, os, outShape, true)
	})
}

// Concat joins xs along axis; all other extents must match. It copies.
func Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd: Concat: no inputs")
	}
	base := xs[0].Value.Shape
	if axis < 0 {
		axis += len(base)
	}
	outShape := append([]int(nil), base...)
	outShape[axis] = 0
	for _, x := range xs {
		s := x.Value.Shape
		for i := range s {
			if len(s) != len(base) || (i != axis && s[i] != base[i]) {
				panic(fmt.Sprintf("autograd: Concat: shape %v does not match %v on axis %d", s, base, axis))
			}
		}
		outShape[axis] += s[axis]
	}
	out := newOut(false, outShape, xs...)
	os := tensor.Strides(outShape)
	offs := make([]int, len(xs))
	pos := 0
	for i, x := range xs {
		offs[i] = pos * os[axis]
		copyND(out.Value.Data[offs[i]:], os, x.Value.Data, tensor.Strides(x.Value.Shape), x.Value.Shape, false)
		pos += x.Value.Shape[axis]
	}
	return record(out, "Concat", xs, func(g *tensor.Tensor) {
		for i, x := range xs {
			if x.requires {
				copyND(gradOf(x).Data, tensor.Strides(x.Value.Shape), g.Data[offs[i]:], os, x.Value.Shape, true)
			}
		}
	})
}

// Split cuts x along axis into pieces of the given sizes (which must sum to
// the extent of the axis).
func Split(x *Var, axis int, sizes ...int) []*Var {
	if axis < 0 {
		axis += len(x.Value.Shape)
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total != x.Value.Shape[axis] {
		panic(fmt.Sprintf("autograd: Split: sizes %v do not sum to extent %d of axis %d", sizes, x.Value.Shape[axis], axis))
	}
	out := make([]*Var, len(sizes))
	pos := 0
	for i, s := range sizes {
		out[i] = Slice(x, axis, pos, pos+s)
		pos += s
	}
	return out
}

// Pad surrounds x with value: pads[i] = {before, after} for axis i (missing
// trailing entries mean no padding). Pads must be non-negative. For an
// image, Pad(x, 0, [2]int{}, [2]int{}, [2]int{top, bottom}, [2]int{left, right}).
func Pad(x *Var, value float32, pads ...[2]int) *Var {
	shape := x.Value.Shape
	if len(pads) > len(shape) {
		panic(fmt.Sprintf("autograd: Pad: %d pads for shape %v", len(pads), shape))
	}
	outShape := append([]int(nil), shape...)
	for i, p := range pads {
		if p[0] < 0 || p[1] < 0 {
			panic(fmt.Sprintf("autograd: Pad: negative padding %v", pads))
		}
		outShape[i] += p[0] + p[1]
	}
	out := newOut(false, outShape, x)
	out.Value.Fill(value)
	os, xs := tensor.Strides(outShape), tensor.Strides(shape)
	off := 0
	for i, p := range pads {
		off += p[0] * os[i]
	}
	copyND(out.Value.Data[off:], os, x.Value.Data, xs, shape, false)
	return record(out, "Pad", []*Var{x}, func(g *tensor.Tensor) {
		copyND(gradOf(x).Data, xs, g.Data[off:], os, shape, true)
	})
}
