package wave

// stepForward dispatches one forward step over rows z0..z1−1 to the fastest
// kernel for T (the C kernel for float32 when built with cgo).
func stepForward[T float](c *coef[T], p0, p1, ws []T, z0, z1 int) {
	wrapRows(c, p1, z0, z1)
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel {
		fwdRowsC(c32, any(p0).([]float32), any(p1).([]float32), any(ws).([]float32), z0, z1)
		return
	}
	fwdRows(c, p0, p1, ws, z0, z1)
}

// stepTape is stepForward for the gradient's tape: when stream is set and the
// C kernels are in, w goes out with non-temporal stores (kernel_impl.h),
// which pays when the stored Laplacians are not read again until they have
// left the caches (see tape.stream). The values are the same either way.
func stepTape[T float](c *coef[T], p0, p1, ws []T, z0, z1 int, stream bool) {
	wrapRows(c, p1, z0, z1)
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel && stream && ws != nil {
		fwdRowsStreamC(c32, any(p0).([]float32), any(p1).([]float32), any(ws).([]float32), z0, z1)
		return
	}
	stepForward(c, p0, p1, ws, z0, z1)
}

// stepKept is stepTape storing w only on the rows of [a, b) inside [t0, t1)
// (the rows the adjoint images; the others are never read). The rows are
// independent within a step, so the split changes no value.
func stepKept[T float](c *coef[T], p0, p1, ws []T, a, b, t0, t1 int, stream bool) {
	ka, kb := max(a, t0), min(b, t1)
	switch {
	case ws == nil || (ka == a && kb == b):
		stepTape(c, p0, p1, ws, a, b, stream)
	case ka >= kb:
		stepTape(c, p0, p1, nil, a, b, stream)
	default:
		if a < ka {
			stepTape(c, p0, p1, nil, a, ka, stream)
		}
		stepTape(c, p0, p1, ws, ka, kb, stream)
		if kb < b {
			stepTape(c, p0, p1, nil, kb, b, stream)
		}
	}
}

// stepImage dispatches fwdImgRows.
func stepImage[T float](c *coef[T], p0, p1, wi, g []T, z0, z1 int) {
	wrapRows(c, p1, z0, z1)
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel {
		fwdImgRowsC(c32, any(p0).([]float32), any(p1).([]float32), any(wi).([]float32), any(g).([]float32), z0, z1)
		return
	}
	fwdImgRows(c, p0, p1, wi, g, z0, z1)
}

// stepImage2 dispatches fwdImg2Rows.
func stepImage2[T float](c *coef[T], p0, p1, wa, wb, g []T, z0, z1 int) {
	wrapRows(c, p1, z0, z1)
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel {
		fwdImg2RowsC(c32, any(p0).([]float32), any(p1).([]float32), any(wa).([]float32), any(wb).([]float32), any(g).([]float32), z0, z1)
		return
	}
	fwdImg2Rows(c, p0, p1, wa, wb, g, z0, z1)
}

// wrapInner restricts the second step [a2, b2) of a fused pair on a
// periodic grid to the rows that read no halo row: the first and last hw
// interior rows need the halo rows of the first step's output, which exist
// only once that step has finished every row (wrapRows). It returns the
// inner rows and the excluded rows below and above them (empty ranges when
// the grid is not periodic, or when the range is a row band's inner part).
func wrapInner[T float](c *coef[T], a2, b2 int) (lo, hi int, edges [2][2]int) {
	if !c.wrap || a2 >= b2 {
		return a2, b2, edges
	}
	lo, hi = max(a2, 2*c.hw), min(b2, c.nzp)
	if lo > hi {
		lo, hi = a2, a2 // every row is an edge row
		return lo, hi, [2][2]int{{a2, b2}, {b2, b2}}
	}
	return lo, hi, [2][2]int{{a2, lo}, {hi, b2}}
}

// fusedBackward dispatches bwd2RowsC (float32 with the C kernels only). On a
// periodic grid the second step's first and last hw interior rows run as
// single steps after the pass (wrapInner); same values.
func fusedBackward[T float](c *coef[T], l0, l1 []T, a1, b1 int, idx []int32, val []T, a2, b2 int, wa, wb, g []T, ia, ib int) {
	var gg []float32
	if g != nil {
		gg = any(g).([]float32)
	}
	wrapRows(c, l1, a1, b1)
	lo, hi, edges := wrapInner(c, a2, b2)
	bwd2RowsC(any(c).(*coef[float32]), any(l0).([]float32), any(l1).([]float32), a1, b1, idx, any(val).([]float32),
		lo, hi, any(wa).([]float32), any(wb).([]float32), gg, ia, ib)
	for _, e := range edges {
		for z := e[0]; z < e[1]; z++ {
			if g != nil && z >= ia && z < ib {
				stepImage2(c, l1, l0, wa, wb, g, z, z+1)
			} else {
				stepForward(c, l1, l0, nil, z, z+1)
			}
		}
	}
}

// fusedForward dispatches fwd2RowsC (float32 with the C kernels only),
// storing w only on rows [t0, t1). On a periodic grid the second step's
// first and last hw interior rows run as single steps after the pass
// (wrapInner); same values.
func fusedForward[T float](c *coef[T], p0, p1 []T, a1, b1 int, ws1 []T, src int, fsrc T, a2, b2 int, ws2 []T, stream bool, t0, t1 int) {
	var w1, w2 []float32
	if ws1 != nil {
		w1 = any(ws1).([]float32)
	}
	if ws2 != nil {
		w2 = any(ws2).([]float32)
	}
	wrapRows(c, p1, a1, b1)
	lo, hi, edges := wrapInner(c, a2, b2)
	fwd2RowsC(any(c).(*coef[float32]), any(p0).([]float32), any(p1).([]float32), a1, b1, w1, src, any(fsrc).(float32),
		lo, hi, w2, stream, t0, t1)
	for _, e := range edges {
		if e[0] < e[1] {
			stepKept(c, p1, p0, ws2, e[0], e[1], t0, t1, stream)
		}
	}
}

// BF16TapeSupported reports whether Options.TapeBF16 takes effect in this
// build: only the AVX-512 C kernels read and write a bfloat16 tape.
func BF16TapeSupported() bool { return haveAVX512 }

// KernelName reports which float32 kernels are compiled in: "c" (cgo,
// -O3 -march=native) or "go".
func KernelName() string {
	if haveCKernel {
		return "c"
	}
	return "go"
}

// wrapColsAny fills the halo columns of rows [z0, z1) of p from the opposite
// edge (periodic grids; no-op otherwise), with the C kernel for float32.
func wrapColsAny[T float](c *coef[T], p []T, z0, z1 int) {
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel {
		wrapColsC(c32, any(p).([]float32), z0, z1)
		return
	}
	wrapCols(c, p, z0, z1)
}
