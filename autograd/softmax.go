package autograd

import (
	"fmt"
	"math"

	"genfwi/tensor"
)

// mapRows is the forward pass shared by Softmax and LogSoftmax: it calls
// f(row, y, max(row)) for every row of x's last axis (length D, R rows), in
// parallel, with y the row's place in a new output of x's shape. op names
// the caller in the panic for a scalar input.
func mapRows(x *Var, op string, f func(row, y []float32, m float32)) (out *Var, D, R int) {
	xs := x.Value.Shape
	if len(xs) == 0 {
		panic("autograd: " + op + ": scalar input")
	}
	D = xs[len(xs)-1]
	R = len(x.Value.Data) / D
	out = newOut(false, xs, x)
	xd, yd := x.Value.Data, out.Value.Data
	tensor.ParallelRange(R, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := xd[r*D : (r+1)*D]
			m := float32(math.Inf(-1))
			for _, v := range row {
				m = max(m, v)
			}
			f(row, yd[r*D:(r+1)*D], m)
		}
	})
	return out, D, R
}

// Softmax returns exp(x_i - max x)/Σ_j exp(x_j - max x) along the last axis.
// Backward: dx = y ⊙ (dy - Σ dy⊙y).
func Softmax(x *Var) *Var {
	out, D, R := mapRows(x, "Softmax", func(row, y []float32, m float32) {
		var s float64
		for j, v := range row {
			e := exp32(v - m)
			y[j] = e
			s += float64(e)
		}
		inv := float32(1 / s)
		for j := range y {
			y[j] *= inv
		}
	})
	yd := out.Value.Data
	return record(out, "Softmax", []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		tensor.ParallelRange(R, 64, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				y, gy := yd[r*D:(r+1)*D], g.Data[r*D:(r+1)*D]
				var s float64
				for j := range y {
					s += float64(y[j] * gy[j])
				}
				s32 := float32(s)
				d := dx[r*D : (r+1)*D]
				for j := range y {
					d[j] += y[j] * (gy[j] - s32)
				}
			}
		})
	})
}

// LogSoftmax returns x - max x - log Σ exp(x - max x) along the last axis.
// Backward: dx = dy - softmax(x)·Σ dy.
func LogSoftmax(x *Var) *Var {
	out, D, R := mapRows(x, "LogSoftmax", func(row, y []float32, m float32) {
		var s float64
		for _, v := range row {
			s += float64(exp32(v - m))
		}
		lse := m + float32(math.Log(s))
		for j, v := range row {
			y[j] = v - lse
		}
	})
	yd := out.Value.Data
	return record(out, "LogSoftmax", []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		for r := 0; r < R; r++ {
			y, gy := yd[r*D:(r+1)*D], g.Data[r*D:(r+1)*D]
			var s float32
			for _, v := range gy {
				s += v
			}
			d := dx[r*D : (r+1)*D]
			for j := range y {
				d[j] += gy[j] - exp32(y[j])*s
			}
		}
	})
}

// Attention is multi-head scaled dot-product attention without projections:
// q (B, Lq, D), k and v (B, Lk, D) are split into heads of D/heads channels,
// each head computes softmax(q·kᵀ/√(D/heads))·v, and the heads are joined back
// to (B, Lq, D). It is a composition of Reshape, Permute, MatMul and Softmax,
// so its gradient comes from theirs.
func Attention(q, k, v *Var, heads int) *Var {
	qs, ks, vs := q.Value.Shape, k.Value.Shape, v.Value.Shape
	if len(qs) != 3 || len(ks) != 3 || !tensor.SameShape(ks, vs) || qs[0] != ks[0] || qs[2] != ks[2] || heads <= 0 || qs[2]%heads != 0 {
		panic(fmt.Sprintf("autograd: Attention: q %v, k %v, v %v with %d heads", qs, ks, vs, heads))
	}
	B, Lq, Lk, D := qs[0], qs[1], ks[1], qs[2]
	dh := D / heads
	split := func(x *Var, L int) *Var {
		x = Reshape(x, B, L, heads, dh)
		x = Permute(x, 0, 2, 1, 3)
		return Reshape(x, B*heads, L, dh)
	}
	qh, kh, vh := split(q, Lq), split(k, Lk), split(v, Lk)
	s := Scale(MatMul(qh, kh, false, true), float32(1/math.Sqrt(float64(dh))))
	o := MatMul(Softmax(s), vh, false, false) // (B·heads, Lq, dh)
	o = Permute(Reshape(o, B, heads, Lq, dh), 0, 2, 1, 3)
	return Reshape(o, B, Lq, D)
}
