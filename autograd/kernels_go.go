//go:build !cgo || noblas

package autograd

// siluKernel writes y = x·σ(x) and, if s is non-nil, s = σ(x).
func siluKernel(y, s, x []float32) {
	if s == nil {
		s = make([]float32, len(x))
	}
	sigmoidSlice(s, x)
	for i, v := range x {
		y[i] = v * s[i]
	}
}

// siluBackKernel adds dy·(s·(1-y)+y) into dx.
func siluBackKernel(dx, dy, s, y []float32) {
	for i := range dx {
		dx[i] += dy[i] * (s[i]*(1-y[i]) + y[i])
	}
}

// sigmoidKernel writes s = σ(x).
func sigmoidKernel(s, x []float32) { sigmoidSlice(s, x) }

// kernelPaths lists the kernels' code paths: the Go loops only.
func kernelPaths() []int { return []int{0} }

// siluKernelPath is siluKernel (one path only).
func siluKernelPath(y, s, x []float32, _ int) { siluKernel(y, s, x) }

// sigmoidKernelPath is sigmoidKernel (one path only).
func sigmoidKernelPath(s, x []float32, _ int) { sigmoidKernel(s, x) }

func leakyReLUKernel(y, x []float32, slope float32) {
	for i, v := range x {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = slope * v
		}
	}
}

func leakyReLUBackKernel(dx, dy, x []float32, slope float32) {
	for i, v := range x {
		if v > 0 {
			dx[i] += dy[i]
		} else {
			dx[i] += slope * dy[i]
		}
	}
}

func (g *convGeom) im2col(col, img []float32) { g.im2colGo(col, img) }
func (g *convGeom) col2im(img, col []float32) { g.col2imGo(img, col) }

// normRowKernel reports false: the Go loops in norm.go do the work.
func normRowKernel(y, x []float32, inner int, gamma, beta []float32, c0 int, eps float64, mean, rstd *float32) bool {
	return false
}

// normRowBackKernel reports false: the Go loops in norm.go do the work.
func normRowBackKernel(dx, g, x []float32, inner int, gamma []float32, c0 int, mu, rs float32, part []float64) bool {
	return false
}

// bnSum returns Σ x in float64.
func bnSum(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// bnSqDev returns Σ (x − mu)² in float64.
func bnSqDev(x []float32, mu float64) float64 {
	var s float64
	for _, v := range x {
		d := float64(v) - mu
		s += d * d
	}
	return s
}

// bnAffine writes y = x·a + b.
func bnAffine(y, x []float32, a, b float32) {
	for j, v := range x {
		y[j] = v*a + b
	}
}

// bnGradSums adds Σ g and Σ g·(x − mu)·rs to sg and sgx.
func bnGradSums(g, x []float32, mu, rs float32, sg, sgx *float64) {
	for j, v := range x {
		*sg += float64(g[j])
		*sgx += float64(g[j] * ((v - mu) * rs))
	}
}

// bnDx adds BatchNorm's input gradient for one plane: with batch
// statistics rs·(g·gm − m1 − x̂·m2), x̂ = (x − mu)·rs; with fixed ones g·gm·rs.
func bnDx(dx, g, x []float32, mu, rs, gm, m1, m2 float32, training bool) {
	if !training {
		k := gm * rs
		for j := range x {
			dx[j] += g[j] * k
		}
		return
	}
	for j, v := range x {
		xh := (v - mu) * rs
		dx[j] += rs * (g[j]*gm - m1 - xh*m2)
	}
}

// binRowKernel reports false: binRow's Go loop is the only path.
func binRowKernel(op binOp, od, ad []float32, sa int, bd []float32, sb int) bool { return false }

// binRowGradKernel reports false: binRowGrad's Go loop is the only path.
func binRowGradKernel(op binOp, gd, ga, gb, ad, bd []float32) bool { return false }

// normPath has one value without the C kernels.
var normPath = 0

// addBiasKernel reports false: addBias's Go loop is the only path.
func addBiasKernel(y, b []float32, p int) bool { return false }

// dup2Kernel reports false: ResizeNearest's Go loop is the only path.
func dup2Kernel(d, s []float32) bool { return false }

// sum2Kernel reports false: ResizeNearest's Go loop is the only path.
func sum2Kernel(d, s []float32) bool { return false }

// reluInPlace applies ReLU to y in place (x > 0 ? x : 0·x).
func reluInPlace(y []float32) {
	for i, v := range y {
		if !(v > 0) {
			y[i] = 0 * v
		}
	}
}

// addReLUKernel writes o = ReLU(a + b).
func addReLUKernel(o, a, b []float32) {
	for i := range o {
		v := a[i] + b[i]
		if !(v > 0) {
			v = 0 * v
		}
		o[i] = v
	}
}

// reluMaskKernel writes (add false) or adds (add true) y > 0 ? 0 + dy : 0
// into dz.
func reluMaskKernel(dz, dy, y []float32, add bool) {
	for i, v := range y {
		var d float32
		if v > 0 {
			d = 0 + dy[i]
		}
		if add {
			dz[i] += d
		} else {
			dz[i] = d
		}
	}
}
