package autograd

import (
	"fmt"
	"math"

	"genfwi/tensor"
)

// normRows normalises each of R contiguous rows of length M of x into y:
// y = (x - mean)·rstd·γ[ch] + β[ch], where ch(j) = chOff(r) + j/inner picks the
// affine channel of element j of row r. mean and rstd (R) are written for
// the backward pass. Statistics accumulate in float64; rstd = 1/√(var+eps)
// with the biased variance, like PyTorch.
func normRows(y, x, mean, rstd []float32, R, M int, eps float64, gamma, beta []float32, chOff func(r int) int, inner int) {
	normRowsPost(y, x, mean, rstd, R, M, eps, gamma, beta, chOff, inner, nil, nil)
}

// normRowsPost is normRows with an optional post-processing of each row:
// when post is set, row r is normalised into the worker's scratch row
// z[wk] (M values) and post(r, z[wk]) writes the final values, so that a
// following elementwise op reads the normalised row from cache instead of
// from a full-size intermediate array.
func normRowsPost(y, x, mean, rstd []float32, R, M int, eps float64, gamma, beta []float32, chOff func(r int) int, inner int,
	z [][]float32, post func(r int, z []float32)) {
	tensor.Parallel(R, func(wk, r int) {
		row := x[r*M : (r+1)*M]
		yr := y[r*M : (r+1)*M]
		if post != nil {
			yr = z[wk]
			defer post(r, yr)
		}
		if chOff != nil && normRowKernel(yr, row, inner, gamma, beta, chOff(r), eps, &mean[r], &rstd[r]) {
			return
		}
		var s, ss float64
		for _, v := range row {
			s += float64(v)
		}
		mu := s / float64(M)
		for _, v := range row {
			d := float64(v) - mu
			ss += d * d
		}
		rs := 1 / math.Sqrt(ss/float64(M)+eps)
		mean[r], rstd[r] = float32(mu), float32(rs)
		m32, r32 := float32(mu), float32(rs)
		if gamma == nil {
			for j, v := range row {
				yr[j] = (v - m32) * r32
			}
			return
		}
		c0 := chOff(r)
		for j0 := 0; j0 < M; j0 += inner {
			c := c0 + j0/inner
			a := r32 * gamma[c]
			bb := beta[c] - m32*a
			for j := j0; j < j0+inner; j++ {
				yr[j] = row[j]*a + bb
			}
		}
	})
}

// normRowsBackward is the backward pass of normRows. With x̂ = (x-mean)·rstd
// and d = dy·γ, it adds dx = rstd·(d - mean(d) - x̂·mean(d·x̂)) per row and
// accumulates dγ[ch] += Σ dy·x̂, dβ[ch] += Σ dy (dγ, dβ may be nil). Rows run
// in parallel with per-worker partial sums for dγ and dβ.
func normRowsBackward(dx, dy, x, mean, rstd []float32, R, M int, gamma, dgamma, dbeta []float32, chOff func(r int) int, inner int) {
	normRowsBackwardPre(dx, dy, x, mean, rstd, R, M, gamma, dgamma, dbeta, chOff, inner, nil, nil)
}

// normRowsBackwardPre is normRowsBackward with an optional pre-processing
// of the output gradient: when pre is set, pre(r, z[wk]) writes row r's
// output gradient into the worker's scratch row (dy is not read), the
// backward of a fused elementwise op that followed the normalisation.
func normRowsBackwardPre(dx, dy, x, mean, rstd []float32, R, M int, gamma, dgamma, dbeta []float32, chOff func(r int) int, inner int,
	z [][]float32, pre func(r int, z []float32)) {
	nw := tensor.Workers(R)
	nc := max(len(dgamma), len(dbeta))
	parts := make([][]float64, nw)
	for i := range parts {
		parts[i] = make([]float64, 2*nc)
	}
	tensor.Parallel(R, func(wk, r int) {
		row := x[r*M : (r+1)*M]
		var g []float32
		if pre != nil {
			g = z[wk]
			pre(r, g)
		} else {
			g = dy[r*M : (r+1)*M]
		}
		mu, rs := mean[r], rstd[r]
		c0 := 0
		if chOff != nil {
			c0 = chOff(r)
		}
		var dxr []float32
		if dx != nil {
			dxr = dx[r*M : (r+1)*M]
		}
		var part []float64
		if nc > 0 {
			part = parts[wk]
		}
		if normRowBackKernel(dxr, g, row, inner, gamma, c0, mu, rs, part) {
			return
		}
		var s1, s2 float64
		for j0 := 0; j0 < M; j0 += inner {
			c := c0 + j0/inner
			gm := float32(1)
			if gamma != nil {
				gm = gamma[c]
			}
			var sg, sgx float64
			for j := j0; j < j0+inner; j++ {
				xh := (row[j] - mu) * rs
				sg += float64(g[j])
				sgx += float64(g[j] * xh)
			}
			s1 += sg * float64(gm)
			s2 += sgx * float64(gm)
			if nc > 0 {
				parts[wk][2*c] += sgx
				parts[wk][2*c+1] += sg
			}
		}
		if dx == nil {
			return
		}
		m1, m2 := float32(s1/float64(M)), float32(s2/float64(M))
		for j0 := 0; j0 < M; j0 += inner {
			gm := float32(1)
			if gamma != nil {
				gm = gamma[c0+j0/inner]
			}
			for j := j0; j < j0+inner; j++ {
				xh := (row[j] - mu) * rs
				dxr[j] += rs * (g[j]*gm - m1 - xh*m2)
			}
		}
	})
	for _, p := range parts {
		for c := 0; c < nc; c++ {
			if dgamma != nil {
				dgamma[c] += float32(p[2*c])
			}
			if dbeta != nil {
				dbeta[c] += float32(p[2*c+1])
			}
		}
	}
}

// GroupNorm normalises x (N, C, ...) over each group of C/groups consecutive
// channels (and all spatial positions) of each sample, then applies the
// optional per-channel affine γ, β (C): y = (x-μ)/√(σ²+eps)·γ + β, PyTorch's
// GroupNorm. gamma and beta must both be nil or both be set.
func GroupNorm(x *Var, groups int, gamma, beta *Var, eps float64) *Var {
	xs := x.Value.Shape
	if len(xs) < 2 || groups <= 0 || xs[1]%groups != 0 {
		panic(fmt.Sprintf("autograd: GroupNorm: %d groups for shape %v", groups, xs))
	}
	N, C := xs[0], xs[1]
	inner := tensor.Numel(xs[2:])
	R, M := N*groups, C/groups*inner
	cpg := C / groups
	chOff := func(r int) int { return (r % groups) * cpg }
	return affineNorm(x, gamma, beta, "GroupNorm", R, M, C, inner, eps, chOff)
}

// GroupNormSiLU returns SiLU(GroupNorm(x, groups, gamma, beta, eps)) with
// the values and gradients of the two ops applied one after the other, bit
// for bit. Fused, each normalised row goes through SiLU while it is in
// cache, and neither the normalised array nor its gradient is stored (the
// backward pass recomputes SiLU's input gradient row by row from the saved
// σ and output): one full-size array and two passes over memory less than
// the pair, the pattern of every norm in nn-refae and the UNets.
func GroupNormSiLU(x *Var, groups int, gamma, beta *Var, eps float64) *Var {
	xs := x.Value.Shape
	if len(xs) < 2 || groups <= 0 || xs[1]%groups != 0 {
		panic(fmt.Sprintf("autograd: GroupNormSiLU: %d groups for shape %v", groups, xs))
	}
	if (gamma == nil) != (beta == nil) {
		panic("autograd: GroupNormSiLU: gamma and beta must both be given or both be nil")
	}
	N, C := xs[0], xs[1]
	inner := tensor.Numel(xs[2:])
	R, M := N*groups, C/groups*inner
	cpg := C / groups
	chOff := func(r int) int { return (r % groups) * cpg }
	var gd, bd []float32
	if gamma != nil {
		if len(gamma.Value.Data) != C || len(beta.Value.Data) != C {
			panic(fmt.Sprintf("autograd: GroupNormSiLU: affine shapes %v, %v for %d channels", gamma.Value.Shape, beta.Value.Shape, C))
		}
		gd, bd = gamma.Value.Data, beta.Value.Data
	}
	out := newOut(false, xs, x, gamma, beta)
	tp := out.tape
	stats := tp.buf(2*R, false)
	mean, rstd := stats[:R], stats[R:]
	yd := out.Value.Data
	var sd []float32 // σ of the normalised values, for the backward pass
	if needGrad(x, gamma, beta) {
		sd = tp.buf(len(yd), false)
	}
	z := make([][]float32, tensor.Workers(R))
	for i := range z {
		z[i] = tp.scratch(M)
	}
	normRowsPost(yd, x.Value.Data, mean, rstd, R, M, eps, gd, bd, chOff, inner, z, func(r int, zr []float32) {
		var sr []float32
		if sd != nil {
			sr = sd[r*M : (r+1)*M]
		}
		siluKernel(yd[r*M:(r+1)*M], sr, zr)
	})
	tp.release(z...)
	return record(out, "GroupNormSiLU", []*Var{x, gamma, beta}, func(g *tensor.Tensor) {
		dx, dg, db := gradData(x, x.requires), gradData(gamma, gamma != nil && gamma.requires), gradData(beta, beta != nil && beta.requires)
		z := make([][]float32, tensor.Workers(R))
		for i := range z {
			z[i] = tp.scratch(M)
		}
		normRowsBackwardPre(dx, nil, x.Value.Data, mean, rstd, R, M, gd, dg, db, chOff, inner, z, func(r int, zr []float32) {
			// SiLU's backward adds into a zeroed gradient: the same bits.
			clear(zr)
			lo, hi := r*M, (r+1)*M
			siluBackKernel(zr, g.Data[lo:hi], sd[lo:hi], yd[lo:hi])
		})
		tp.release(z...)
	})
}

// LayerNorm normalises x over its last axis (length D) and applies the
// optional affine γ, β (D), PyTorch's LayerNorm(D).
func LayerNorm(x *Var, gamma, beta *Var, eps float64) *Var {
	xs := x.Value.Shape
	D := xs[len(xs)-1]
	R := len(x.Value.Data) / D
	return affineNorm(x, gamma, beta, "LayerNorm", R, D, D, 1, eps, func(int) int { return 0 })
}

func affineNorm(x, gamma, beta *Var, op string, R, M, C, inner int, eps float64, chOff func(int) int) *Var {
	if (gamma == nil) != (beta == nil) {
		panic(fmt.Sprintf("autograd: %s: gamma and beta must both be given or both be nil", op))
	}
	var gd, bd []float32
	if gamma != nil {
		if len(gamma.Value.Data) != C || len(beta.Value.Data) != C {
			panic(fmt.Sprintf("autograd: %s: affine shapes %v, %v for %d channels", op, gamma.Value.Shape, beta.Value.Shape, C))
		}
		gd, bd = gamma.Value.Data, beta.Value.Data
	}
	out := newOut(false, x.Value.Shape, x, gamma, beta)
	tp := out.tape
	stats := tp.buf(2*R, false)
	mean, rstd := stats[:R], stats[R:]
	normRows(out.Value.Data, x.Value.Data, mean, rstd, R, M, eps, gd, bd, chOff, inner)
	return record(out, op, []*Var{x, gamma, beta}, func(g *tensor.Tensor) {
		dx, dg, db := gradData(x, x.requires), gradData(gamma, gamma != nil && gamma.requires), gradData(beta, beta != nil && beta.requires)
		normRowsBackward(dx, g.Data, x.Value.Data, mean, rstd, R, M, gd, dg, db, chOff, inner)
	})
}

// BNStats holds BatchNorm running statistics (C each), updated in place in
// training mode: r ← (1-Momentum)·r + Momentum·batch, with the unbiased batch
// variance, like PyTorch (Momentum 0.1 by default when zero).
type BNStats struct {
	Mean, Var []float32
	Momentum  float64
}

// BatchNorm2d normalises x (N, C, H, W) per channel. In training mode it uses
// the batch statistics over (N, H, W) and, if st is non-nil, updates the
// running statistics; in eval mode it uses st's running statistics (st must
// be non-nil). gamma, beta (C) are optional (both or neither).
func BatchNorm2d(x *Var, gamma, beta *Var, st *BNStats, training bool, eps float64) *Var {
	xs := x.Value.Shape
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: BatchNorm2d: want (N,C,H,W), got %v", xs))
	}
	if (gamma == nil) != (beta == nil) {
		panic("autograd: BatchNorm2d: gamma and beta must both be given or both be nil")
	}
	N, C, HW := xs[0], xs[1], xs[2]*xs[3]
	if st != nil && (len(st.Mean) != C || len(st.Var) != C) {
		panic(fmt.Sprintf("autograd: BatchNorm2d: running stats of length %d for %d channels", len(st.Mean), C))
	}
	if !training && st == nil {
		panic("autograd: BatchNorm2d: eval mode needs running statistics")
	}
	out := newOut(false, xs, x, gamma, beta)
	tp := out.tape
	stats := tp.buf(2*C, false)
	mean, rstd := stats[:C], stats[C:]
	xd, yd := x.Value.Data, out.Value.Data
	M := N * HW
	tensor.ParallelRange(C, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var mu, variance float64
			if training {
				var s, ss float64
				for n := 0; n < N; n++ {
					s += bnSum(xd[(n*C+c)*HW : (n*C+c+1)*HW])
				}
				mu = s / float64(M)
				for n := 0; n < N; n++ {
					ss += bnSqDev(xd[(n*C+c)*HW:(n*C+c+1)*HW], mu)
				}
				variance = ss / float64(M)
				if st != nil {
					m := st.Momentum
					if m == 0 {
						m = 0.1
					}
					unb := variance
					if M > 1 {
						unb = ss / float64(M-1)
					}
					st.Mean[c] = float32((1-m)*float64(st.Mean[c]) + m*mu)
					st.Var[c] = float32((1-m)*float64(st.Var[c]) + m*unb)
				}
			} else {
				mu, variance = float64(st.Mean[c]), float64(st.Var[c])
			}
			rs := 1 / math.Sqrt(variance+eps)
			mean[c], rstd[c] = float32(mu), float32(rs)
			a, b := float32(rs), -float32(mu*rs)
			if gamma != nil {
				a, b = a*gamma.Value.Data[c], b*gamma.Value.Data[c]+beta.Value.Data[c]
			}
			for n := 0; n < N; n++ {
				o := (n*C + c) * HW
				bnAffine(yd[o:o+HW], xd[o:o+HW], a, b)
			}
		}
	})
	return record(out, "BatchNorm2d", []*Var{x, gamma, beta}, func(g *tensor.Tensor) {
		gd := g.Data
		dx, dg, db := gradData(x, x.requires), gradData(gamma, gamma != nil && gamma.requires), gradData(beta, beta != nil && beta.requires)
		tensor.ParallelRange(C, 1, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				mu, rs := mean[c], rstd[c]
				gm := float32(1)
				if gamma != nil {
					gm = gamma.Value.Data[c]
				}
				var sg, sgx float64
				for n := 0; n < N; n++ {
					o := (n*C + c) * HW
					bnGradSums(gd[o:o+HW], xd[o:o+HW], mu, rs, &sg, &sgx)
				}
				if dg != nil {
					dg[c] += float32(sgx)
				}
				if db != nil {
					db[c] += float32(sg)
				}
				if dx == nil {
					continue
				}
				// With fixed (eval) statistics y is affine in x; with batch
				// statistics the mean and variance depend on x too.
				m1, m2 := float32(sg/float64(M))*gm, float32(sgx/float64(M))*gm
				for n := 0; n < N; n++ {
					o := (n*C + c) * HW
					bnDx(dx[o:o+HW], gd[o:o+HW], xd[o:o+HW], mu, rs, gm, m1, m2, training)
				}
			}
		})
	})
}
