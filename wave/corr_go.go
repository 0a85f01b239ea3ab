//go:build !cgo || purego

package wave

func corrRowsC(slab []float32, kst, zst, sbase int, offs, x0s, x1s []int32, lam, mu, invA []float32, a, b int, w []float32, stride, z0, z1 int) {
	panic("wave: no C kernel")
}

func lamRowsC(lam, mu, invA []float32, a, b, stride, z0, z1 int) { panic("wave: no C kernel") }

func corrBlockC(slab []float32, kst, zst, sbase int, offs, x0s, x1s []int32, lams, ws [][]float32, ptrs []uintptr, stride, z0, z1 int) {
	panic("wave: no C kernel")
}
