//go:build !cgo || purego

package wave

// haveCKernel reports whether the cgo float32 kernels are compiled in.
const haveCKernel = false

func fwdRowsC(c *coef[float32], p0, p1, ws []float32, z0, z1 int) { panic("wave: no C kernel") }
func adjRowsC(c *coef[float32], l0, l1 []float32, z0, z1 int)     { panic("wave: no C kernel") }
