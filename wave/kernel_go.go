//go:build !cgo || purego

package wave

// haveCKernel reports whether the cgo float32 kernels are compiled in.
const haveCKernel = false

func fwdRowsC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) { panic("wave: no C kernel") }
func fwdImgRowsC(c *coef[float32], p0, p1, wi, g []float32, z0, z1 int) {
	panic("wave: no C kernel")
}
func fwdRowsStreamC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) {
	panic("wave: no C kernel")
}
