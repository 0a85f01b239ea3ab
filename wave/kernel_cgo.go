//go:build cgo && !purego

package wave

// #cgo CFLAGS: -O3 -march=native -std=c11
// #include "kernel_impl.h"
import "C"

import "unsafe"

// haveCKernel reports whether the cgo float32 kernels are compiled in.
const haveCKernel = true

// haveAVX512 reports whether they use the AVX-512 rows (kernel_impl.h,
// row512: compiled for a CPU with AVX-512 F, BW and VL).
const haveAVX512 = C.WAVE_AVX512 == 1

func cCoef(c *coef[float32]) C.wave_coef {
	return C.wave_coef{order: C.int(c.order), hw: C.int(c.hw), nzp: C.int(c.nzp), nxp: C.int(c.nxp),
		rows: C.int(c.rows), stride: C.int(c.stride), tape16: cBool(c.tape16), wrap: cBool(c.wrap),
		c0: C.float(c.c0), w1: C.float(c.w1), w2: C.float(c.w2), w3: C.float(c.w3), w4: C.float(c.w4)}
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func fptr(s []float32) *C.float {
	if s == nil {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

// fwdRowsC is fwdRows in C (kernel_impl.h).
func fwdRowsC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) {
	cc := cCoef(c)
	C.wave_fwd_rows(&cc, fptr(c.A), fptr(c.Q), fptr(p0), fptr(p1), fptr(ws), C.int(z0), C.int(z1))
}

// fwdImgRowsC is fwdImgRows in C (kernel_impl.h).
func fwdImgRowsC(c *coef[float32], p0, p1, wi, g []float32, z0, z1 int) {
	cc := cCoef(c)
	C.wave_fwd_img_rows(&cc, fptr(c.A), fptr(c.Q), fptr(p0), fptr(p1), fptr(wi), fptr(g), C.int(z0), C.int(z1))
}

// fwdRowsStreamC is fwdRowsC with ws (non-nil) written by non-temporal
// stores, halo columns of the rows included (kernel_impl.h).
func fwdRowsStreamC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) {
	cc := cCoef(c)
	C.wave_fwd_rows_nt(&cc, fptr(c.A), fptr(c.Q), fptr(p0), fptr(p1), fptr(ws), C.int(z0), C.int(z1))
}

// fwdImg2RowsC is fwdImg2Rows in C (kernel_impl.h).
func fwdImg2RowsC(c *coef[float32], p0, p1, wa, wb, g []float32, z0, z1 int) {
	cc := cCoef(c)
	C.wave_fwd_img2_rows(&cc, fptr(c.A), fptr(c.Q), fptr(p0), fptr(p1), fptr(wa), fptr(wb), fptr(g), C.int(z0), C.int(z1))
}

// bwd2RowsC runs two fused backward steps (kernel_impl.h wave_bwd2_rows).
func bwd2RowsC(c *coef[float32], l0, l1 []float32, a1, b1 int, idx []int32, val []float32, a2, b2 int, wa, wb, g []float32, ia, ib int) {
	cc := cCoef(c)
	var pi *C.int
	var pv *C.float
	if len(idx) > 0 {
		pi, pv = (*C.int)(unsafe.Pointer(&idx[0])), fptr(val)
	}
	C.wave_bwd2_rows(&cc, fptr(c.A), fptr(c.Q), fptr(l0), fptr(l1), C.int(a1), C.int(b1), pi, pv, C.int(len(idx)),
		C.int(a2), C.int(b2), fptr(wa), fptr(wb), fptr(g), C.int(ia), C.int(ib))
}

// fwd2RowsC runs two fused forward steps (kernel_impl.h wave_fwd2_rows).
func fwd2RowsC(c *coef[float32], p0, p1 []float32, a1, b1 int, ws1 []float32, src int, fsrc float32, a2, b2 int, ws2 []float32, stream bool, ta, tb int) {
	cc := cCoef(c)
	st := C.int(0)
	if stream {
		st = 1
	}
	C.wave_fwd2_rows(&cc, fptr(c.A), fptr(c.Q), fptr(p0), fptr(p1), C.int(a1), C.int(b1), fptr(ws1),
		C.ptrdiff_t(src), C.float(fsrc), C.int(a2), C.int(b2), fptr(ws2), st, C.int(ta), C.int(tb))
}

// wrapColsC fills the halo columns of rows [z0, z1) of p from the opposite
// edge (kernel_impl.h wave_wrap_cols; no-op unless c.wrap).
func wrapColsC(c *coef[float32], p []float32, z0, z1 int) {
	cc := cCoef(c)
	C.wave_wrap_cols(&cc, fptr(p), C.int(z0), C.int(z1))
}
