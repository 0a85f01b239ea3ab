package autograd

import (
	"fmt"

	"genfwi/tensor"
)

// MatMul returns op(a)·op(b), where op transposes the last two axes when
// transA / transB is set. a is (..., M, K) — (..., K, M) if transA — and b is
// (..., K, N) — (..., N, K) if transB — with identical leading (batch) axes,
// or b is 2-D and shared by every batch (then transA must be false). The
// result is (..., M, N). Batches run in parallel, one single-threaded GEMM
// each; a single large product is split across threads.
func MatMul(a, b *Var, transA, transB bool) *Var {
	as, bs := a.Value.Shape, b.Value.Shape
	if len(as) < 2 || len(bs) < 2 {
		panic(fmt.Sprintf("autograd: MatMul: operands must be at least 2-D, got %v and %v", as, bs))
	}
	// A shared 2-D b with untransposed a: fold the batch into M.
	if len(bs) == 2 && len(as) > 2 {
		if transA {
			panic(fmt.Sprintf("autograd: MatMul: transA with a shared 2-D b (%v, %v) is not supported", as, bs))
		}
		m := tensor.Numel(as[:len(as)-1])
		flat := Reshape(a, m, as[len(as)-1])
		y := MatMul(flat, b, false, transB)
		return Reshape(y, append(append([]int(nil), as[:len(as)-1]...), y.Value.Shape[1])...)
	}
	if len(as) != len(bs) || !tensor.SameShape(as[:len(as)-2], bs[:len(bs)-2]) {
		panic(fmt.Sprintf("autograd: MatMul: batch axes of %v and %v differ", as, bs))
	}
	r := len(as)
	m, k := as[r-2], as[r-1]
	if transA {
		m, k = k, m
	}
	kb, n := bs[r-2], bs[r-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("autograd: MatMul: inner dimensions differ: %v (transA=%v) · %v (transB=%v)", as, transA, bs, transB))
	}
	batch := tensor.Numel(as[:r-2])
	outShape := append(append([]int(nil), as[:r-2]...), m, n)
	out := newOut(false, outShape, a, b)
	ad, bd, od := a.Value.Data, b.Value.Data, out.Value.Data
	lda, ldb := as[r-1], bs[r-1]
	sa, sb, so := m*k, k*n, m*n
	gemmBatch(batch, func(i int, gemm gemmFunc) {
		gemm(transA, transB, m, n, k, 1, ad[i*sa:], lda, bd[i*sb:], ldb, 0, od[i*so:], n)
	})
	return record(out, "MatMul", []*Var{a, b}, func(g *tensor.Tensor) {
		gd := g.Data
		if a.requires {
			da := gradOf(a).Data
			gemmBatch(batch, func(i int, gemm gemmFunc) {
				// d op(A) = G·op(B)ᵀ (m×k).
				if !transA {
					gemm(false, !transB, m, k, n, 1, gd[i*so:], n, bd[i*sb:], ldb, 1, da[i*sa:], lda)
				} else {
					gemm(transB, true, k, m, n, 1, bd[i*sb:], ldb, gd[i*so:], n, 1, da[i*sa:], lda)
				}
			})
		}
		if b.requires {
			db := gradOf(b).Data
			gemmBatch(batch, func(i int, gemm gemmFunc) {
				// d op(B) = op(A)ᵀ·G (k×n).
				if !transB {
					gemm(!transA, false, k, n, m, 1, ad[i*sa:], lda, gd[i*so:], n, 1, db[i*sb:], ldb)
				} else {
					gemm(true, transA, n, k, m, 1, gd[i*so:], n, ad[i*sa:], lda, 1, db[i*sb:], ldb)
				}
			})
		}
	})
}

type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// gemmBatch runs fn for each of n independent products: in parallel over the
// batch when there are several, else as one thread-split GEMM.
func gemmBatch(n int, fn func(i int, gemm gemmFunc)) {
	if n == 1 {
		fn(0, tensor.GemmParallel)
		return
	}
	tensor.Parallel(n, func(_, i int) { fn(i, tensor.Gemm) })
}

// Linear returns x·wᵀ + b for x (..., In), w (Out, In) and optional b (Out),
// PyTorch's layout. The result is (..., Out).
func Linear(x, w, b *Var) *Var {
	y := MatMul(x, w, false, true)
	if b != nil {
		y = Add(y, b)
	}
	return y
}
