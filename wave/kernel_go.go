//go:build !cgo || purego

package wave

// haveCKernel reports whether the cgo float32 kernels are compiled in.
const haveCKernel = false

// haveAVX512: the pure-Go kernels have no AVX-512 rows.
const haveAVX512 = false

func fwdRowsC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) { panic("wave: no C kernel") }
func fwdImgRowsC(c *coef[float32], p0, p1, wi, g []float32, z0, z1 int) {
	panic("wave: no C kernel")
}
func fwdRowsStreamC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) {
	panic("wave: no C kernel")
}
func fwdImg2RowsC(c *coef[float32], p0, p1, wa, wb, g []float32, z0, z1 int) {
	panic("wave: no C kernel")
}
func bwd2RowsC(c *coef[float32], l0, l1 []float32, a1, b1 int, idx []int32, val []float32, a2, b2 int, wa, wb, g []float32, ia, ib int) {
	panic("wave: no C kernel")
}
func fwd2RowsC(c *coef[float32], p0, p1 []float32, a1, b1 int, ws1 []float32, src int, fsrc float32, a2, b2 int, ws2 []float32, stream bool, ta, tb int) {
	panic("wave: no C kernel")
}
func wrapColsC(c *coef[float32], p []float32, z0, z1 int) { panic("wave: no C kernel") }
