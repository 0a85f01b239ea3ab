//go:build !cgo || purego

package wave

func corrRowsC(stride int, g, lam, w []float32, z0, z1, x0, x1, h int) {
	panic("wave: no C kernel")
}
