package autograd

import (
	"fmt"

	"genfwi/tensor"
)

// reducedShape returns x's shape with the given axes set to 1 (keep) and the
// list of reduced axes normalised; no axes means all axes.
func reducedShape(op string, shape []int, axes []int) (keep []int, red []bool) {
	keep = append([]int(nil), shape...)
	red = make([]bool, len(shape))
	if len(axes) == 0 {
		for i := range keep {
			keep[i], red[i] = 1, true
		}
		return keep, red
	}
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		if a < 0 || a >= len(shape) {
			panic(fmt.Sprintf("autograd: %s: axis out of range for shape %v", op, shape))
		}
		keep[a], red[a] = 1, true
	}
	return keep, red
}

// squeeze drops the reduced axes from keep unless keepDims.
func squeeze(keep []int, red []bool, keepDims bool) []int {
	if keepDims {
		return keep
	}
	out := []int{}
	for i, s := range keep {
		if !red[i] {
			out = append(out, s)
		}
	}
	return out
}

// Sum sums x over axes (all axes if none are given). With keepDims the
// reduced axes stay as extent 1, otherwise they are removed. Accumulation is
// in float64.
func Sum(x *Var, keepDims bool, axes ...int) *Var {
	return sumScaled(x, "Sum", keepDims, axes, false)
}

// Mean averages x over axes (all if none are given); see Sum.
func Mean(x *Var, keepDims bool, axes ...int) *Var {
	return sumScaled(x, "Mean", keepDims, axes, true)
}

func sumScaled(x *Var, op string, keepDims bool, axes []int, mean bool) *Var {
	shape := x.Value.Shape
	keep, red := reducedShape(op, shape, axes)
	out := newOut(false, squeeze(keep, red, keepDims), x)
	no := len(out.Value.Data)
	scale := 1.0
	if mean && no > 0 {
		scale = float64(no) / float64(len(x.Value.Data))
	}
	// Rows of the collapsed iteration: the inner axis is either reduced
	// (stride 0 in the output: one accumulator) or kept (stride 1).
	cs, co, cx := collapse(shape, bstrides(keep, shape), tensor.Strides(shape))
	last := len(cs) - 1
	inner, sol := cs[last], co[last]
	rows := len(x.Value.Data) / max(inner, 1)
	acc := make([]float64, no)
	xd := x.Value.Data
	for r := 0; r < rows; r++ {
		_, io, ix := rowOffsets(cs, co, cx, r)
		row := xd[ix : ix+inner]
		if sol == 0 {
			var s float64
			for _, v := range row {
				s += float64(v)
			}
			acc[io] += s
			continue
		}
		for j, v := range row {
			acc[io+j*sol] += float64(v)
		}
	}
	for i, v := range acc {
		out.Value.Data[i] = float32(v * scale)
	}
	return record(out, op, []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		sc := float32(scale)
		for r := 0; r < rows; r++ {
			_, io, ix := rowOffsets(cs, co, cx, r)
			d := dx[ix : ix+inner]
			for j := range d {
				d[j] += sc * g.Data[io+j*sol]
			}
		}
	})
}

// Max returns the maximum of x over axes (all if none are given); see Sum for
// keepDims. The gradient goes to the first maximal element of each group.
func Max(x *Var, keepDims bool, axes ...int) *Var {
	shape := x.Value.Shape
	keep, red := reducedShape("Max", shape, axes)
	out := newOut(false, squeeze(keep, red, keepDims), x)
	od := out.Value.Data
	arg := make([]int, len(od))
	for i := range arg {
		arg[i] = -1
	}
	sk := bstrides(keep, shape)
	xd := x.Value.Data
	walk2(shape, sk, make([]int, len(shape)), func(i, io, _ int) {
		if arg[io] < 0 || xd[i] > od[io] {
			od[io], arg[io] = xd[i], i
		}
	})
	return record(out, "Max", []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		for io, i := range arg {
			dx[i] += g.Data[io]
		}
	})
}
