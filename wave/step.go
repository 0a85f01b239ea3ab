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

// forwardFast is the production forward: shots in parallel, or, when the
// shots do not divide evenly among the workers (5 OpenFWI shots on 2 cores),
// every step split into bands of rows (balance.go).
func (r *run[T]) forwardFast(ctx context.Context, list []int, dst []T) error {
	if nw := r.s.rawWorkers(); nw > 1 && len(list)%nw != 0 && len(list) < 4*nw {
		return r.forwardBalanced(ctx, list, dst, min(nw, len(list)*r.c.nzp))
	}
	return r.forward(ctx, list, dst)
}

// KernelName reports which float32 kernels are compiled in: "c" (cgo,
// -O3 -march=native) or "go".
func KernelName() string {
	if haveCKernel {
		return "c"
	}
	return "go"
}
