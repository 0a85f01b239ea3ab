//go:build !cgo || purego

package wave

func corrRowsC(slab []float32, fields int, offs, x0s, x1s []int32, lam, mu, invA []float32, a, b int, w []float32, stride, z0, z1 int) {
	panic("wave: no C kernel")
}
