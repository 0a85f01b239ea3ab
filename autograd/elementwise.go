package autograd

import (
	"fmt"
	"math"

	"genfwi/tensor"
)

// minChunk is the smallest slice an elementwise op hands to one goroutine;
// below it, spawning costs more than the arithmetic.
const minChunk = 1 << 15

// unary applies f elementwise (y = f(x), written to y) and records the
// backward rule df, which must ADD dy·f'(x) into dx. Both run in parallel
// chunks.
func unary(x *Var, op string, f func(y, x []float32), df func(dx, dy, x, y []float32)) *Var {
	out := newOut(false, x.Value.Shape, x)
	xd, yd := x.Value.Data, out.Value.Data
	tensor.ParallelRange(len(xd), minChunk, func(lo, hi int) { f(yd[lo:hi], xd[lo:hi]) })
	return record(out, op, []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		tensor.ParallelRange(len(xd), minChunk, func(lo, hi int) { df(dx[lo:hi], g.Data[lo:hi], xd[lo:hi], yd[lo:hi]) })
	})
}

// Exp returns e^x elementwise. d/dx = e^x.
func Exp(x *Var) *Var {
	return unary(x, "Exp", func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Exp(float64(v)))
		}
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += dy[i] * y[i]
		}
	})
}

// Log returns ln x elementwise (NaN for x < 0, -Inf at 0). d/dx = 1/x.
func Log(x *Var) *Var {
	return unary(x, "Log", func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Log(float64(v)))
		}
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += dy[i] / x[i]
		}
	})
}

// Sqrt returns √x elementwise. d/dx = 1/(2√x).
func Sqrt(x *Var) *Var {
	return unary(x, "Sqrt", func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Sqrt(float64(v)))
		}
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += dy[i] * 0.5 / y[i]
		}
	})
}

// Abs returns |x| elementwise. d/dx = sign(x), taken as 0 at x = 0.
func Abs(x *Var) *Var {
	return unary(x, "Abs", func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Abs(float64(v)))
		}
	}, func(dx, dy, x, y []float32) {
		for i, v := range x {
			if v > 0 {
				dx[i] += dy[i]
			} else if v < 0 {
				dx[i] -= dy[i]
			}
		}
	})
}

// Pow returns x^p elementwise for a constant exponent p. d/dx = p·x^(p-1).
func Pow(x *Var, p float64) *Var {
	return unary(x, "Pow", func(y, x []float32) {
		for i, v := range x {
			y[i] = float32(math.Pow(float64(v), p))
		}
	}, func(dx, dy, x, y []float32) {
		for i, v := range x {
			dx[i] += dy[i] * float32(p*math.Pow(float64(v), p-1))
		}
	})
}

// Clamp returns min(max(x, lo), hi) elementwise. The gradient passes where
// lo ≤ x ≤ hi and is 0 elsewhere.
func Clamp(x *Var, lo, hi float32) *Var {
	return unary(x, "Clamp", func(y, x []float32) {
		for i, v := range x {
			y[i] = min(max(v, lo), hi)
		}
	}, func(dx, dy, x, y []float32) {
		for i, v := range x {
			if v >= lo && v <= hi {
				dx[i] += dy[i]
			}
		}
	})
}

// Neg returns -x.
func Neg(x *Var) *Var { return Scale(x, -1) }

// Scale returns s·x for a constant s.
func Scale(x *Var, s float32) *Var {
	return unary(x, "Scale", func(y, x []float32) {
		for i, v := range x {
			y[i] = s * v
		}
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += s * dy[i]
		}
	})
}

// AddScalar returns x + s for a constant s.
func AddScalar(x *Var, s float32) *Var {
	return unary(x, "AddScalar", func(y, x []float32) {
		for i, v := range x {
			y[i] = v + s
		}
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += dy[i]
		}
	})
}

// ReLU returns max(x, 0). The gradient at 0 is taken as 0.
func ReLU(x *Var) *Var { return LeakyReLU(x, 0) }

// reluMask writes dz = (y > 0 ? 0 + dy : 0), ReLU's input gradient given
// its output y, as ReLU's backward leaves it in a zeroed buffer.
func reluMask(dz, dy, y []float32) {
	tensor.ParallelRange(len(y), minChunk, func(lo, hi int) {
		reluMaskKernel(dz[lo:hi], dy[lo:hi], y[lo:hi], false)
	})
}

// AddReLU returns ReLU(a + b) for a and b of the same shape in one op (no
// intermediate sum array, one pass instead of two), with the values and
// gradients of ReLU(Add(a, b)) bit for bit. Other shapes fall back to the
// pair (broadcasting).
func AddReLU(a, b *Var) *Var {
	if !sameShape(a.Value.Shape, b.Value.Shape) {
		return ReLU(Add(a, b))
	}
	out := newOut(false, a.Value.Shape, a, b)
	ad, bd, od := a.Value.Data, b.Value.Data, out.Value.Data
	tensor.ParallelRange(len(od), minChunk, func(lo, hi int) {
		addReLUKernel(od[lo:hi], ad[lo:hi], bd[lo:hi])
	})
	return record(out, "AddReLU", []*Var{a, b}, func(g *tensor.Tensor) {
		gd := g.Data
		for _, v := range []*Var{a, b} {
			if !v.requires {
				continue
			}
			// ReLU's input gradient d, added into zeros (fresh: 0 + d = d
			// bit for bit, as d is never −0) or into v's gradient.
			dv, fresh := gradFresh(v)
			tensor.ParallelRange(len(od), minChunk, func(lo, hi int) {
				reluMaskKernel(dv[lo:hi], gd[lo:hi], od[lo:hi], !fresh)
			})
		}
	})
}

// sameShape reports whether two shapes are equal.
func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LeakyReLU returns x for x > 0 and slope·x otherwise.
func LeakyReLU(x *Var, slope float32) *Var {
	return unary(x, "LeakyReLU", func(y, x []float32) {
		leakyReLUKernel(y, x, slope)
	}, func(dx, dy, x, y []float32) {
		leakyReLUBackKernel(dx, dy, x, slope)
	})
}

// Tanh returns tanh x. d/dx = 1 - tanh²x.
func Tanh(x *Var) *Var {
	return unary(x, "Tanh", func(y, x []float32) {
		for i, v := range x {
			// tanh v = 2σ(2v) - 1, via the fast exponential.
			y[i] = 2*sigmoid32(2*v) - 1
		}
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += dy[i] * (1 - y[i]*y[i])
		}
	})
}

// Sigmoid returns σ(x) = 1/(1+e^-x). d/dx = σ(1-σ).
func Sigmoid(x *Var) *Var {
	return unary(x, "Sigmoid", func(y, x []float32) {
		sigmoidKernel(y, x)
	}, func(dx, dy, x, y []float32) {
		for i := range dx {
			dx[i] += dy[i] * y[i] * (1 - y[i])
		}
	})
}

// SiLU returns x·σ(x) (swish). d/dx = σ + x·σ(1-σ) = σ·(1-y) + y. The
// forward pass keeps σ(x) on the tape so backward needs no exponential.
func SiLU(x *Var) *Var {
	out := newOut(false, x.Value.Shape, x)
	xd, yd := x.Value.Data, out.Value.Data
	var sd []float32
	if needGrad(x) {
		sd = out.tape.buf(len(xd), false)
	}
	tensor.ParallelRange(len(xd), minChunk, func(lo, hi int) {
		var ss []float32
		if sd != nil {
			ss = sd[lo:hi]
		}
		siluKernel(yd[lo:hi], ss, xd[lo:hi])
	})
	return record(out, "SiLU", []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		tensor.ParallelRange(len(xd), minChunk, func(lo, hi int) {
			siluBackKernel(dx[lo:hi], g.Data[lo:hi], sd[lo:hi], yd[lo:hi])
		})
	})
}

// Softplus returns ln(1+e^x), computed as x for x > 20 like PyTorch.
// d/dx = σ(x).
func Softplus(x *Var) *Var {
	return unary(x, "Softplus", func(y, x []float32) {
		for i, v := range x {
			if v > 20 {
				y[i] = v
			} else {
				y[i] = float32(math.Log1p(math.Exp(float64(v))))
			}
		}
	}, func(dx, dy, x, y []float32) {
		for i, v := range x {
			dx[i] += dy[i] * sigmoid32(v)
		}
	})
}

// broadcastShape returns the NumPy broadcast of shapes a and b.
func broadcastShape(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panic(fmt.Sprintf("autograd: %s: shapes %v and %v do not broadcast", op, a, b))
		}
	}
	return out
}

// bstrides returns the strides of shape aligned to the rank of out, with 0 on
// broadcast axes, so that element idx of out reads shape's element Σ idx_i·s_i.
func bstrides(shape, out []int) []int {
	s := make([]int, len(out))
	st := tensor.Strides(shape)
	off := len(out) - len(shape)
	for i := range shape {
		if shape[i] != 1 {
			s[off+i] = st[i]
		}
	}
	return s
}

// walk2 calls fn(o, ia, ib) for every element o of shape with the matching
// offsets into two operands of strides sa and sb. It is the general
// (broadcasting) loop; same-shape cases take a flat fast path instead.
func walk2(shape, sa, sb []int, fn func(o, ia, ib int)) {
	n := tensor.Numel(shape)
	if n == 0 {
		return
	}
	r := len(shape)
	if r == 0 {
		fn(0, 0, 0)
		return
	}
	idx := make([]int, r)
	ia, ib := 0, 0
	last := r - 1
	for o := 0; o < n; {
		// Inner axis in one go.
		sal, sbl := sa[last], sb[last]
		for j := 0; j < shape[last]; j++ {
			fn(o, ia+j*sal, ib+j*sbl)
			o++
		}
		// Advance the odometer over the outer axes.
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			ia += sa[d]
			ib += sb[d]
			if idx[d] < shape[d] {
				break
			}
			ia -= sa[d] * shape[d]
			ib -= sb[d] * shape[d]
			idx[d] = 0
		}
	}
}

// binOp selects the arithmetic of binary; a switch per row (not a call per
// element) keeps the broadcasting loops fast.
type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opMax
)

// collapse drops extent-1 axes and merges neighbouring axes that are
// contiguous in both operands, so that e.g. (N,C,H,W) + (1,C,1,1) becomes
// rows of H·W elements with a constant second operand.
func collapse(shape, sa, sb []int) (cs, ca, cb []int) {
	for i := range shape {
		if shape[i] == 1 {
			continue
		}
		if n := len(cs); n > 0 && ca[n-1] == sa[i]*shape[i] && cb[n-1] == sb[i]*shape[i] {
			cs[n-1] *= shape[i]
			ca[n-1], cb[n-1] = sa[i], sb[i]
			continue
		}
		cs, ca, cb = append(cs, shape[i]), append(ca, sa[i]), append(cb, sb[i])
	}
	if len(cs) == 0 {
		return []int{1}, []int{0}, []int{0}
	}
	return cs, ca, cb
}

// rowOffsets returns the output, a and b offsets of row r of a collapsed
// iteration (rows run over all axes but the last).
func rowOffsets(shape, sa, sb []int, r int) (o, ia, ib int) {
	last := len(shape) - 1
	o = r * shape[last]
	for d := last - 1; d >= 0; d-- {
		i := r % shape[d]
		r /= shape[d]
		ia += i * sa[d]
		ib += i * sb[d]
	}
	return o, ia, ib
}

// binRow writes od[j] = a[j·sa] op b[j·sb] for j < len(od).
func binRow(op binOp, od, ad []float32, sa int, bd []float32, sb int) {
	if binRowKernel(op, od, ad, sa, bd, sb) {
		return
	}
	binRowGo(op, od, ad, sa, bd, sb)
}

// binRowGo is binRow's Go loop (the reference for binRowKernel).
func binRowGo(op binOp, od, ad []float32, sa int, bd []float32, sb int) {
	switch op {
	case opAdd:
		for j := range od {
			od[j] = ad[j*sa] + bd[j*sb]
		}
	case opSub:
		for j := range od {
			od[j] = ad[j*sa] - bd[j*sb]
		}
	case opMul:
		for j := range od {
			od[j] = ad[j*sa] * bd[j*sb]
		}
	case opDiv:
		for j := range od {
			od[j] = ad[j*sa] / bd[j*sb]
		}
	case opMax:
		for j := range od {
			od[j] = max(ad[j*sa], bd[j*sb])
		}
	}
}

// binRowGrad adds the row's contributions to the operand gradients ga, gb
// (either may be nil) given the output gradient gd and the forward values.
func binRowGrad(op binOp, gd, ga []float32, sa int, gb []float32, sb int, ad, bd, od []float32) {
	if sa == 1 && sb == 1 && binRowGradKernel(op, gd, ga, gb, ad, bd) {
		return
	}
	binRowGradGo(op, gd, ga, sa, gb, sb, ad, bd, od)
}

// binRowGradGo is binRowGrad's Go loop (the reference for binRowGradKernel).
func binRowGradGo(op binOp, gd, ga []float32, sa int, gb []float32, sb int, ad, bd, od []float32) {
	for j, g := range gd {
		x, y := ad[j*sa], bd[j*sb]
		var dx, dy float32
		switch op {
		case opAdd:
			dx, dy = g, g
		case opSub:
			dx, dy = g, -g
		case opMul:
			dx, dy = g*y, g*x
		case opDiv:
			dx, dy = g/y, -g*od[j]/y
		case opMax:
			if x >= y {
				dx = g
			} else {
				dy = g
			}
		}
		if ga != nil {
			ga[j*sa] += dx
		}
		if gb != nil {
			gb[j*sb] += dy
		}
	}
}

// binary evaluates out = a op b with NumPy broadcasting. Rows of the
// collapsed iteration run in parallel forward; backward runs in parallel
// only when neither operand is broadcast (otherwise several outputs add into
// the same input element).
func binary(a, b *Var, name string, op binOp) *Var {
	shape := broadcastShape(name, a.Value.Shape, b.Value.Shape)
	out := newOut(false, shape, a, b)
	ad, bd, od := a.Value.Data, b.Value.Data, out.Value.Data
	cs, ca, cb := collapse(shape, bstrides(a.Value.Shape, shape), bstrides(b.Value.Shape, shape))
	last := len(cs) - 1
	inner, sai, sbi := cs[last], ca[last], cb[last]
	rows := len(od) / max(inner, 1)
	same := len(ad) == len(od) && len(bd) == len(od)
	if same {
		// One contiguous row: split it into chunks.
		tensor.ParallelRange(len(od), minChunk, func(lo, hi int) {
			binRow(op, od[lo:hi], ad[lo:hi], 1, bd[lo:hi], 1)
		})
	} else {
		tensor.ParallelRange(rows, max(1, minChunk/max(inner, 1)), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				o, ia, ib := rowOffsets(cs, ca, cb, r)
				binRow(op, od[o:o+inner], ad[ia:], sai, bd[ib:], sbi)
			}
		})
	}
	return record(out, name, []*Var{a, b}, func(g *tensor.Tensor) {
		gd := g.Data
		var ga, gb []float32
		if a.requires {
			ga = gradOf(a).Data
		}
		if b.requires {
			gb = gradOf(b).Data
		}
		if same {
			tensor.ParallelRange(len(od), minChunk, func(lo, hi int) {
				var gal, gbl []float32
				if ga != nil {
					gal = ga[lo:hi]
				}
				if gb != nil {
					gbl = gb[lo:hi]
				}
				binRowGrad(op, gd[lo:hi], gal, 1, gbl, 1, ad[lo:hi], bd[lo:hi], od[lo:hi])
			})
			return
		}
		for r := 0; r < rows; r++ {
			o, ia, ib := rowOffsets(cs, ca, cb, r)
			var gar, gbr []float32
			if ga != nil {
				gar = ga[ia:]
			}
			if gb != nil {
				gbr = gb[ib:]
			}
			binRowGrad(op, gd[o:o+inner], gar, sai, gbr, sbi, ad[ia:], bd[ib:], od[o:o+inner])
		}
	})
}

// Add returns a + b with NumPy broadcasting.
func Add(a, b *Var) *Var { return binary(a, b, "Add", opAdd) }

// Sub returns a - b with NumPy broadcasting.
func Sub(a, b *Var) *Var { return binary(a, b, "Sub", opSub) }

// Mul returns a ⊙ b with NumPy broadcasting.
func Mul(a, b *Var) *Var { return binary(a, b, "Mul", opMul) }

// Div returns a / b with NumPy broadcasting.
func Div(a, b *Var) *Var { return binary(a, b, "Div", opDiv) }

// Maximum returns max(a, b) elementwise with broadcasting; the gradient goes
// to a where a ≥ b, else to b.
func Maximum(a, b *Var) *Var { return binary(a, b, "Maximum", opMax) }
