//go:build cgo && !purego

package wave

// #cgo CFLAGS: -O3 -march=native -std=c11
// // wave_corr_rows adds lam[i+h]·w[i−h] to g[i] for rows [z0, z1) and
// // columns [x0, x1) of fields with the given row stride.
// static void wave_corr_rows(float *g, const float *lam, const float *w, long stride,
//                            int z0, int z1, int x0, int x1, int h) {
// 	for (int z = z0; z < z1; z++) {
// 		float *restrict gr = g + (long)z * stride;
// 		const float *restrict lr = lam + (long)z * stride + h;
// 		const float *restrict wr = w + (long)z * stride - h;
// 		for (int x = x0; x < x1; x++) gr[x] += lr[x] * wr[x];
// 	}
// }
import "C"

// corrRowsC is corrRows in C for float32 fields (offsetImage.addRows).
func corrRowsC(stride int, g, lam, w []float32, z0, z1, x0, x1, h int) {
	C.wave_corr_rows(fptr(g), fptr(lam), fptr(w), C.long(stride), C.int(z0), C.int(z1), C.int(x0), C.int(x1), C.int(h))
}
