//go:build cgo && !purego

package wave

// #cgo CFLAGS: -O3 -march=native -std=c11
// // wave_corr_rows forms lam = mu·invA on columns [a, b) of rows [z0, z1),
// // then adds lam[i+h_k]·w[i−h_k] to slab[k·fields + i] for every offset k
// // and the cells i of those rows in columns [x0s[k], x1s[k]): row by row,
// // all offsets, so that the λ and w rows stay in L1.
// static void wave_corr_rows(float *slab, long fields, int noff, const int *offs,
//                            const int *x0s, const int *x1s, float *lam,
//                            const float *mu, const float *invA, int a, int b,
//                            const float *w, long stride, int z0, int z1) {
// 	for (int z = z0; z < z1; z++) {
// 		const long row = (long)z * stride;
// 		float *restrict lw = lam + row;
// 		const float *restrict mr = mu + row;
// 		const float *restrict ir = invA + row;
// 		for (int x = a; x < b; x++) lw[x] = mr[x] * ir[x];
// 		for (int k = 0; k < noff; k++) {
// 			const int h = offs[k];
// 			float *restrict gr = slab + (long)k * fields + row;
// 			const float *restrict lr = lam + row + h;
// 			const float *restrict wr = w + row - h;
// 			for (int x = x0s[k]; x < x1s[k]; x++) gr[x] += lr[x] * wr[x];
// 		}
// 	}
// }
import "C"

import "unsafe"

func iptr(s []int32) *C.int { return (*C.int)(unsafe.Pointer(&s[0])) }

// corrRowsC is offsetImage.addRows in C for float32 fields.
func corrRowsC(slab []float32, fields int, offs, x0s, x1s []int32, lam, mu, invA []float32, a, b int, w []float32, stride, z0, z1 int) {
	if len(offs) == 0 {
		return
	}
	C.wave_corr_rows(fptr(slab), C.long(fields), C.int(len(offs)), iptr(offs), iptr(x0s), iptr(x1s),
		fptr(lam), fptr(mu), fptr(invA), C.int(a), C.int(b), fptr(w), C.long(stride), C.int(z0), C.int(z1))
}
