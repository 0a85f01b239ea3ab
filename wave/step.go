package wave

import "context"

// stepForward dispatches one forward step over rows z0..z1−1 to the fastest
// kernel for T (the C kernel for float32 when built with cgo).
func stepForward[T float](c *coef[T], p0, p1, ws []T, z0, z1 int) {
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
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel && stream && ws != nil {
		fwdRowsStreamC(c32, any(p0).([]float32), any(p1).([]float32), any(ws).([]float32), z0, z1)
		return
	}
	stepForward(c, p0, p1, ws, z0, z1)
}

// stepImage dispatches fwdImgRows.
func stepImage[T float](c *coef[T], p0, p1, wi, g []T, z0, z1 int) {
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel {
		fwdImgRowsC(c32, any(p0).([]float32), any(p1).([]float32), any(wi).([]float32), any(g).([]float32), z0, z1)
		return
	}
	fwdImgRows(c, p0, p1, wi, g, z0, z1)
}

// stepImage2 dispatches fwdImg2Rows.
func stepImage2[T float](c *coef[T], p0, p1, wa, wb, g []T, z0, z1 int) {
	if c32, ok := any(c).(*coef[float32]); ok && haveCKernel {
		fwdImg2RowsC(c32, any(p0).([]float32), any(p1).([]float32), any(wa).([]float32), any(wb).([]float32), any(g).([]float32), z0, z1)
		return
	}
	fwdImg2Rows(c, p0, p1, wa, wb, g, z0, z1)
}

// useFuse enables the fused two-step kernels (a variable only so that tests
// can compare fused and single steps bit for bit).
var useFuse = true

// canFuse reports whether the fused two-step C kernels serve T.
func canFuse[T float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok && haveCKernel && useFuse
}

// fusedBackward dispatches bwd2RowsC (float32 with the C kernels only).
func fusedBackward[T float](c *coef[T], l0, l1 []T, a1, b1 int, idx []int32, val []T, a2, b2 int, wa, wb, g []T, ia, ib int) {
	var gg []float32
	if g != nil {
		gg = any(g).([]float32)
	}
	bwd2RowsC(any(c).(*coef[float32]), any(l0).([]float32), any(l1).([]float32), a1, b1, idx, any(val).([]float32),
		a2, b2, any(wa).([]float32), any(wb).([]float32), gg, ia, ib)
}

// fusedForward dispatches fwd2RowsC (float32 with the C kernels only).
func fusedForward[T float](c *coef[T], p0, p1 []T, a1, b1 int, ws1 []T, src int, fsrc T, a2, b2 int, ws2 []T, stream bool) {
	var w1, w2 []float32
	if ws1 != nil {
		w1 = any(ws1).([]float32)
	}
	if ws2 != nil {
		w2 = any(ws2).([]float32)
	}
	fwd2RowsC(any(c).(*coef[float32]), any(p0).([]float32), any(p1).([]float32), a1, b1, w1, src, any(fsrc).(float32),
		a2, b2, w2, stream)
}

// forwardFast is the production forward: shots in parallel; when they do
// not divide evenly among the workers (5 OpenFWI shots on 2 cores), the
// shots that do run in parallel and only the remainder with every step split
// into bands of rows (balance.go). Measured on OpenFWI, 2 cores, AVX-512
// kernels: 4 shots in parallel 37.9 ms + 1 banded 9.3 ms = 47.2 ms, against
// 55.1 ms for all 5 banded (5 shots in flight overflow the L2 caches and the
// banded kernels have no fused pairs).
func (r *run[T]) forwardFast(ctx context.Context, list []int, dst []T) error {
	nw := r.s.rawWorkers()
	if nw <= 1 || len(list)%nw == 0 || len(list) >= 4*nw {
		return r.forward(ctx, list, dst)
	}
	q := len(list) / nw * nw
	per := r.s.opts.Nt * r.s.nrec
	if q > 0 {
		if err := r.forward(ctx, list[:q], dst[:q*per]); err != nil {
			return err
		}
	}
	rest := list[q:]
	return r.forwardBalanced(ctx, rest, dst[q*per:], min(nw, len(rest)*r.c.nzp))
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
