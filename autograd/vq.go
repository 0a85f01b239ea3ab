package autograd

import (
	"fmt"
	"math/rand/v2"

	"genfwi/tensor"
)

// Embedding gathers rows of table (K, D): the output is (len(idx), D) with
// row i = table[idx[i]]. The backward pass scatter-adds into table's
// gradient. It panics if an index is out of range.
func Embedding(table *Var, idx []int) *Var {
	ts := table.Value.Shape
	if len(ts) != 2 {
		panic(fmt.Sprintf("autograd: Embedding: table must be (K, D), got %v", ts))
	}
	K, D := ts[0], ts[1]
	for _, i := range idx {
		if i < 0 || i >= K {
			panic(fmt.Sprintf("autograd: Embedding: index %d outside [0,%d)", i, K))
		}
	}
	idx = append([]int(nil), idx...)
	out := newOut(false, []int{len(idx), D}, table)
	td, od := table.Value.Data, out.Value.Data
	for r, i := range idx {
		copy(od[r*D:(r+1)*D], td[i*D:(i+1)*D])
	}
	return record(out, "Embedding", []*Var{table}, func(g *tensor.Tensor) {
		dt := gradOf(table).Data
		for r, i := range idx {
			row := dt[i*D : (i+1)*D]
			for j, v := range g.Data[r*D : (r+1)*D] {
				row[j] += v
			}
		}
	})
}

// NearestCode returns, for each row of h (M, D), the index of the closest row
// of the codebook e (K, D) in Euclidean distance, argmin_k ‖h_m - e_k‖²,
// computed as ‖e_k‖² - 2·h_m·e_k with one GEMM (‖h_m‖² does not change the
// argmin). Ties go to the lowest index. It is not differentiable (use
// Embedding on the result with a straight-through estimator). It allocates
// an M×K distance matrix in chunks of at most 256 rows.
func NearestCode(h, e *tensor.Tensor) []int {
	if len(h.Shape) != 2 || len(e.Shape) != 2 || h.Shape[1] != e.Shape[1] {
		panic(fmt.Sprintf("autograd: NearestCode: h %v and codebook %v must be (M, D) and (K, D)", h.Shape, e.Shape))
	}
	M, D, K := h.Shape[0], h.Shape[1], e.Shape[0]
	en := make([]float32, K)
	for k := range en {
		var s float64
		for _, v := range e.Data[k*D : (k+1)*D] {
			s += float64(v) * float64(v)
		}
		en[k] = float32(s)
	}
	idx := make([]int, M)
	const chunk = 256
	dist := make([]float32, min(chunk, M)*K)
	for m0 := 0; m0 < M; m0 += chunk {
		rows := min(chunk, M-m0)
		d := dist[:rows*K]
		tensor.GemmParallel(false, true, rows, K, D, -2, h.Data[m0*D:], D, e.Data, D, 0, d, K)
		for r := 0; r < rows; r++ {
			best, bk := d[r*K]+en[0], 0
			for k := 1; k < K; k++ {
				if v := d[r*K+k] + en[k]; v < best {
					best, bk = v, k
				}
			}
			idx[m0+r] = bk
		}
	}
	return idx
}

// StopGrad returns x's value as a Var through which no gradient flows
// (sg[x]). The value is shared, not copied. Straight-through estimation is
// Add(h, StopGrad(Sub(zq, h))): forward zq, gradient identity onto h.
func StopGrad(x *Var) *Var { return &Var{Value: x.Value, tape: x.tape, op: "StopGrad"} }

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1-p), drawing the mask from rng (so runs are reproducible). Outside
// training, or with p == 0, it returns x unchanged.
func Dropout(x *Var, p float64, training bool, rng *rand.Rand) *Var {
	if !training || p == 0 {
		return x
	}
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("autograd: Dropout: p = %g outside [0, 1)", p))
	}
	out := newOut(false, x.Value.Shape, x)
	mask := out.tape.buf(len(x.Value.Data), false)
	scale := float32(1 / (1 - p))
	for i := range mask {
		if rng.Float64() >= p {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
	xd, od := x.Value.Data, out.Value.Data
	for i, m := range mask {
		od[i] = xd[i] * m
	}
	return record(out, "Dropout", []*Var{x}, func(g *tensor.Tensor) {
		dx := gradOf(x).Data
		for i, m := range mask {
			dx[i] += g.Data[i] * m
		}
	})
}
