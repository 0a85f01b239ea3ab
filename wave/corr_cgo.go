//go:build cgo && !purego

package wave

// #cgo CFLAGS: -O3 -march=native -std=c11
// #include <stdint.h>
// #include <immintrin.h>
//
// // The correlations below must round exactly as the Go loops and each
// // other: every product is rounded, then added (-std=c11 leaves GCC's
// // floating-point contraction off, also for the vector intrinsics).
//
// // wave_corr_rows forms lam = mu·invA on columns [a, b) of rows [z0, z1),
// // then adds lam[i+h_k]·w[i−h_k] to slab[sbase + k·kst + z·zst + x] for
// // every offset k and the cells i = (z, x) of those rows in columns
// // [x0s[k], x1s[k]): row by row,
// // all offsets, so that the λ and w rows stay in L1. One step per call
// // (the reference order of the blocked kernel below, tuning.corrBlock 0).
// static void wave_corr_rows(float *slab, long kst, long zst, long sbase, int noff, const int *offs,
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
// 			const int x0 = x0s[k];
// 			float *restrict gr = slab + (sbase + k * kst + z * zst + x0);
// 			const float *restrict lr = lam + row + h + x0;
// 			const float *restrict wr = w + row - h + x0;
// 			for (int x = 0; x < x1s[k] - x0; x++) gr[x] += lr[x] * wr[x];
// 		}
// 	}
// }
//
// // wave_lam_rows forms lam = mu·invA on columns [a, b) of rows [z0, z1).
// static void wave_lam_rows(float *lam, const float *mu, const float *invA, int a, int b,
//                           long stride, int z0, int z1) {
// 	for (int z = z0; z < z1; z++) {
// 		const long row = (long)z * stride;
// 		float *restrict lw = lam + row;
// 		const float *restrict mr = mu + row;
// 		const float *restrict ir = invA + row;
// 		for (int x = a; x < b; x++) lw[x] = mr[x] * ir[x];
// 	}
// }
//
// // wave_corr_block adds, for the nt queued steps t = 0..nt−1 in that order,
// // lams[t][i+h_k]·ws[t][i−h_k] to slab[sbase + k·kst + z·zst + x] for every
// // offset k and the cells i = (z, x) of rows [z0, z1) in columns
// // [x0s[k], x1s[k]). Each sum is
// // kept in a register over the nt steps, so the slab is read and written
// // once per block instead of once per step; the additions happen in the
// // order of wave_corr_rows called step by step, so the sums are the same
// // bit for bit. lams and ws hold the addresses of Go-allocated fields that
// // the caller keeps alive (uintptr: an array of Go pointers may not be
// // passed to C).
// static void wave_corr_block(float *slab, long kst, long zst, long sbase, int noff, const int *offs,
//                             const int *x0s, const int *x1s, int nt,
//                             const uintptr_t *lams, const uintptr_t *ws,
//                             long stride, int z0, int z1) {
// 	for (int z = z0; z < z1; z++) {
// 		const long row = (long)z * stride;
// 		for (int k = 0; k < noff; k++) {
// 			const int h = offs[k], x0 = x0s[k], x1 = x1s[k];
// 			const long go = sbase + k * kst + z * zst;
// #if defined(__AVX512F__)
// 			// Four vectors (64 columns) at a time: four independent
// 			// chains of additions hide the latency of each (the sums of
// 			// one cell must be added one after the other), and each
// 			// step's row addresses are loaded once for the four.
// 			for (int x = x0; x < x1; x += 64) {
// 				__mmask16 m[4];
// 				for (int v = 0; v < 4; v++) {
// 					const int r = x1 - x - 16 * v;
// 					m[v] = r >= 16 ? (__mmask16)0xFFFF : r <= 0 ? (__mmask16)0 : (__mmask16)((1u << r) - 1);
// 				}
// 				float *g = slab + (go + x);
// 				__m512 a0 = _mm512_maskz_loadu_ps(m[0], g), a1 = _mm512_maskz_loadu_ps(m[1], g + 16);
// 				__m512 a2 = _mm512_maskz_loadu_ps(m[2], g + 32), a3 = _mm512_maskz_loadu_ps(m[3], g + 48);
// 				for (int t = 0; t < nt; t++) {
// 					const float *l = (const float *)lams[t] + row + h + x;
// 					const float *w = (const float *)ws[t] + row - h + x;
// 					a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_maskz_loadu_ps(m[0], l), _mm512_maskz_loadu_ps(m[0], w)));
// 					a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_maskz_loadu_ps(m[1], l + 16), _mm512_maskz_loadu_ps(m[1], w + 16)));
// 					a2 = _mm512_add_ps(a2, _mm512_mul_ps(_mm512_maskz_loadu_ps(m[2], l + 32), _mm512_maskz_loadu_ps(m[2], w + 32)));
// 					a3 = _mm512_add_ps(a3, _mm512_mul_ps(_mm512_maskz_loadu_ps(m[3], l + 48), _mm512_maskz_loadu_ps(m[3], w + 48)));
// 				}
// 				_mm512_mask_storeu_ps(g, m[0], a0);
// 				_mm512_mask_storeu_ps(g + 16, m[1], a1);
// 				_mm512_mask_storeu_ps(g + 32, m[2], a2);
// 				_mm512_mask_storeu_ps(g + 48, m[3], a3);
// 			}
// #else
// 			for (int x = x0; x < x1; x++) {
// 				float acc = slab[go + x];
// 				for (int t = 0; t < nt; t++)
// 					acc += ((const float *)lams[t])[row + h + x] * ((const float *)ws[t])[row - h + x];
// 				slab[go + x] = acc;
// 			}
// #endif
// 		}
// 	}
// }
import "C"

import (
	"runtime"
	"unsafe"
)

func iptr(s []int32) *C.int { return (*C.int)(unsafe.Pointer(&s[0])) }

// corrRowsC is offsetImage.addRows in C for float32 fields.
func corrRowsC(slab []float32, kst, zst, sbase int, offs, x0s, x1s []int32, lam, mu, invA []float32, a, b int, w []float32, stride, z0, z1 int) {
	if len(offs) == 0 {
		return
	}
	C.wave_corr_rows(fptr(slab), C.long(kst), C.long(zst), C.long(sbase), C.int(len(offs)), iptr(offs), iptr(x0s), iptr(x1s),
		fptr(lam), fptr(mu), fptr(invA), C.int(a), C.int(b), fptr(w), C.long(stride), C.int(z0), C.int(z1))
}

// lamRowsC forms lam = mu·invA on columns [a, b) of rows [z0, z1).
func lamRowsC(lam, mu, invA []float32, a, b, stride, z0, z1 int) {
	C.wave_lam_rows(fptr(lam), fptr(mu), fptr(invA), C.int(a), C.int(b), C.long(stride), C.int(z0), C.int(z1))
}

// corrBlockC runs the correlations of the queued steps (lams[t], ws[t]) on
// rows [z0, z1) in one pass (wave_corr_block). ptrs is scratch of at least
// 2·len(lams) values.
func corrBlockC(slab []float32, kst, zst, sbase int, offs, x0s, x1s []int32, lams, ws [][]float32, ptrs []uintptr, stride, z0, z1 int) {
	nt := len(lams)
	if len(offs) == 0 || nt == 0 {
		return
	}
	lp, wp := ptrs[:nt], ptrs[nt:2*nt]
	for t := range nt {
		lp[t] = uintptr(unsafe.Pointer(&lams[t][0]))
		wp[t] = uintptr(unsafe.Pointer(&ws[t][0]))
	}
	C.wave_corr_block(fptr(slab), C.long(kst), C.long(zst), C.long(sbase), C.int(len(offs)), iptr(offs), iptr(x0s), iptr(x1s), C.int(nt),
		(*C.uintptr_t)(unsafe.Pointer(&lp[0])), (*C.uintptr_t)(unsafe.Pointer(&wp[0])), C.long(stride), C.int(z0), C.int(z1))
	runtime.KeepAlive(lams)
	runtime.KeepAlive(ws)
}
