//go:build cgo && !noblas

package autograd

/*
#cgo CFLAGS: -O3
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#include <immintrin.h>

// Direct stride-1 convolution kernels for "thin" layers (few input or few
// output channels, see useDirect in dconv.go). oneDNN pads channels to
// blocks of 16 and reorders every activation to its blocked layout and
// back, which dominates such layers; im2col copies the input KH·KW times.
// These kernels read the engine's NCHW arrays in place: each output row is
// cut into chunks of 16 columns held in AVX-512 registers for up to 8
// output channels at once, and every input channel, kernel row and kernel
// column adds one (masked) load of the shifted input row times a broadcast
// weight. Out-of-image pixels (padding) are masked-out lanes, so there are
// no branches per pixel. Masked-out lanes of a masked load are not read
// (no fault even when the address lies outside the array).

static int gf_dconv_ok(void) { return __builtin_cpu_supports("avx512f"); }

// lanes returns the mask of lanes j in [0, 16) with lo <= j < hi.
static inline __mmask16 lanes(long lo, long hi) {
	lo = lo < 0 ? 0 : (lo > 16 ? 16 : lo);
	hi = hi < 0 ? 0 : (hi > 16 ? 16 : hi);
	if (hi <= lo) return 0;
	return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

typedef struct {
	long C, H, W;      // input planes
	long F, OH, OW;    // output planes
	long KH, KW;       // kernel
	long PT, PL;       // offset: output (oh, ow) reads input (oh - PT + ki*DH, ow - PL + kj*DW)
	long DH, DW;       // dilation
} gf_dgeom;

// dconv_tile computes output channels f0 … f0+FT-1 of output row oh of
// sample n for the NCH chunks of 16 columns starting at ow0. wt is the
// weight in (C, KH, KW, F) order. acc = 1 adds to y; else y = bias + sum
// (bias may be NULL).
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void dconv_tile(const gf_dgeom* g, const float* x, const float* wt,
		const float* bias, float* y, long n, long f0, long oh, long ow0, int acc, int relu, const int FT, const int NCH) {
	__m512 a0[8], a1[8];
	__mmask16 om0 = lanes(0, g->OW - ow0), om1 = lanes(0, g->OW - ow0 - 16);
	for (int f = 0; f < FT; f++) {
		float* yr = y + ((n * g->F + f0 + f) * g->OH + oh) * g->OW + ow0;
		if (acc) {
			a0[f] = _mm512_maskz_loadu_ps(om0, yr);
			if (NCH == 2) a1[f] = _mm512_maskz_loadu_ps(om1, yr + 16);
		} else {
			a0[f] = bias ? _mm512_set1_ps(bias[f0 + f]) : _mm512_setzero_ps();
			if (NCH == 2) a1[f] = a0[f];
		}
	}
	const long KW = g->KW;
	__mmask16 m0[16], m1[16];
	for (long kj = 0; kj < KW; kj++) {
		long s = ow0 - g->PL + kj * g->DW; // input column of lane 0
		m0[kj] = om0 & lanes(-s, g->W - s);
		m1[kj] = om1 & lanes(-s - 16, g->W - s - 16);
	}
	for (long c = 0; c < g->C; c++) {
		const float* xc = x + (n * g->C + c) * g->H * g->W;
		for (long ki = 0; ki < g->KH; ki++) {
			long ih = oh - g->PT + ki * g->DH;
			if (ih < 0 || ih >= g->H) continue;
			const float* xr = xc + ih * g->W + ow0 - g->PL;
			const float* wp = wt + ((c * g->KH + ki) * KW) * g->F + f0;
			for (long kj = 0; kj < KW; kj++, wp += g->F) {
				const float* xs = xr + kj * g->DW;
				__m512 v0 = _mm512_maskz_loadu_ps(m0[kj], xs);
				__m512 v1;
				if (NCH == 2) v1 = _mm512_maskz_loadu_ps(m1[kj], xs + 16);
				for (int f = 0; f < FT; f++) {
					__m512 wv = _mm512_set1_ps(wp[f]);
					a0[f] = _mm512_fmadd_ps(wv, v0, a0[f]);
					if (NCH == 2) a1[f] = _mm512_fmadd_ps(wv, v1, a1[f]);
				}
			}
		}
	}
	if (relu) {
		// v > 0 ? v : 0·v, lane by lane: the bits of lrelu_fwd with slope 0.
		const __m512 z = _mm512_setzero_ps();
		for (int f = 0; f < FT; f++) {
			a0[f] = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a0[f], z, _CMP_GT_OQ), _mm512_mul_ps(a0[f], z), a0[f]);
			if (NCH == 2) a1[f] = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a1[f], z, _CMP_GT_OQ), _mm512_mul_ps(a1[f], z), a1[f]);
		}
	}
	for (int f = 0; f < FT; f++) {
		float* yr = y + ((n * g->F + f0 + f) * g->OH + oh) * g->OW + ow0;
		_mm512_mask_storeu_ps(yr, om0, a0[f]);
		if (NCH == 2) _mm512_mask_storeu_ps(yr + 16, om1, a1[f]);
	}
}

#define DCONV_CASE(FT, NCH) case FT: dconv_tile(g, x, wt, bias, y, n, f0, oh, ow0, acc, relu, FT, NCH); break;

__attribute__((target("avx512f")))
static void dconv_rows(const gf_dgeom* g, const float* x, const float* wt, const float* bias, float* y,
		long n, long f0, long ft, int acc, int relu) {
	for (long oh = 0; oh < g->OH; oh++) {
		long ow0 = 0;
		for (; ow0 + 16 < g->OW; ow0 += 32) {
			switch (ft) {
			DCONV_CASE(1, 2) DCONV_CASE(2, 2) DCONV_CASE(3, 2) DCONV_CASE(4, 2)
			DCONV_CASE(5, 2) DCONV_CASE(6, 2) DCONV_CASE(7, 2) DCONV_CASE(8, 2)
			}
		}
		if (ow0 < g->OW) {
			switch (ft) {
			DCONV_CASE(1, 1) DCONV_CASE(2, 1) DCONV_CASE(3, 1) DCONV_CASE(4, 1)
			DCONV_CASE(5, 1) DCONV_CASE(6, 1) DCONV_CASE(7, 1) DCONV_CASE(8, 1)
			}
		}
	}
}

// gf_dconv runs work items it0 … it1-1 of a direct convolution: item i is
// sample i / tiles and output channels 8·(i % tiles) … (at most 8), with
// tiles = ⌈F/8⌉. relu applies ReLU to the results (not with acc).
static void gf_dconv(const gf_dgeom* g, const float* x, const float* wt, const float* bias, float* y,
		long it0, long it1, int acc, int relu) {
	long tiles = (g->F + 7) / 8;
	for (long i = it0; i < it1; i++) {
		long n = i / tiles, f0 = 8 * (i % tiles);
		long ft = g->F - f0 < 8 ? g->F - f0 : 8;
		dconv_rows(g, x, wt, bias, y, n, f0, ft, acc, relu);
	}
}

// dconv_wtile adds to dw the weight gradient of input channel c, kernel tap
// (ki, kj) and output channels f0 … f0+FT-1: the sum over samples and
// output pixels of g[n, f, oh, ow]·x[n, c, oh - PT + ki·DH, ow - PL + kj·DW].
// dw is laid out (F, C, KH, KW).
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void dconv_wtile(const gf_dgeom* g, long N, const float* x, const float* gy,
		float* dw, long c, long ki, long kj, long f0, const int FT) {
	// Two accumulator sets (even and odd rows) so that one or two output
	// channels still keep several FMA chains in flight.
	__m512 a[8], b[8];
	for (int f = 0; f < FT; f++) a[f] = b[f] = _mm512_setzero_ps();
	const long P = g->OH * g->OW;
	for (long n = 0; n < N; n++) {
		const float* xc = x + (n * g->C + c) * g->H * g->W;
		const float* gn = gy + (n * g->F + f0) * P;
		for (long oh = 0; oh < g->OH; oh++) {
			long ih = oh - g->PT + ki * g->DH;
			if (ih < 0 || ih >= g->H) continue;
			const float* xr = xc + ih * g->W - g->PL + kj * g->DW;
			for (long ow0 = 0; ow0 < g->OW; ow0 += 16) {
				long s = ow0 - g->PL + kj * g->DW;
				__mmask16 om = lanes(0, g->OW - ow0);
				__mmask16 m = om & lanes(-s, g->W - s);
				if (!m) continue;
				__m512 v = _mm512_maskz_loadu_ps(m, xr + ow0);
				const float* gr = gn + oh * g->OW + ow0;
				if (oh & 1)
					for (int f = 0; f < FT; f++)
						b[f] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, gr + f * P), v, b[f]);
				else
					for (int f = 0; f < FT; f++)
						a[f] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, gr + f * P), v, a[f]);
			}
		}
	}
	for (int f = 0; f < FT; f++)
		dw[(((f0 + f) * g->C + c) * g->KH + ki) * g->KW + kj] += _mm512_reduce_add_ps(_mm512_add_ps(a[f], b[f]));
}

#define DCONVW_CASE(FT) case FT: dconv_wtile(g, N, x, gy, dw, c, ki, kj, f0, FT); break;

// gf_dconv_wgrad runs work items it0 … it1-1 of the weight gradient: item
// i is input channel i / tiles and output channels 8·(i % tiles) …
// (at most 8), every kernel tap.
__attribute__((target("avx512f")))
static void gf_dconv_wgrad(const gf_dgeom* g, long N, const float* x, const float* gy, float* dw, long it0, long it1) {
	long tiles = (g->F + 7) / 8;
	for (long i = it0; i < it1; i++) {
		long c = i / tiles, f0 = 8 * (i % tiles);
		long ft = g->F - f0 < 8 ? g->F - f0 : 8;
		for (long ki = 0; ki < g->KH; ki++)
			for (long kj = 0; kj < g->KW; kj++) {
				switch (ft) {
				DCONVW_CASE(1) DCONVW_CASE(2) DCONVW_CASE(3) DCONVW_CASE(4)
				DCONVW_CASE(5) DCONVW_CASE(6) DCONVW_CASE(7) DCONVW_CASE(8)
				}
			}
	}
}
*/
import "C"

import "genfwi/tensor"

// directConvCPU reports whether the CPU runs the direct kernels (AVX-512).
var directConvCPU = C.gf_dconv_ok() != 0

func (d *dgeom) c() C.gf_dgeom {
	return C.gf_dgeom{C: C.long(d.C), H: C.long(d.H), W: C.long(d.W), F: C.long(d.F), OH: C.long(d.OH), OW: C.long(d.OW),
		KH: C.long(d.KH), KW: C.long(d.KW), PT: C.long(d.PT), PL: C.long(d.PL), DH: C.long(d.DH), DW: C.long(d.DW)}
}

// run writes (acc false: y = bias + conv, then ReLU if relu) or adds (acc
// true) the direct convolution of x (N, C, H, W) with wt laid out (C, KH, KW, F) into y
// (N, F, OH, OW), in parallel over samples and blocks of 8 output channels.
func (d *dgeom) run(N int, x, wt, bias, y []float32, acc, relu bool) {
	g := d.c()
	a, r := C.int(0), C.int(0)
	if acc {
		a = 1
	}
	if relu {
		r = 1
	}
	items := N * ((d.F + 7) / 8)
	tensor.ParallelRange(items, 1, func(lo, hi int) {
		C.gf_dconv(&g, fp(x), fp(wt), fpOrNil(bias), fp(y), C.long(lo), C.long(hi), a, r)
	})
}

// wgrad adds the weight gradient (F, C, KH, KW) of the direct convolution
// of x with output gradient gy into dw, in parallel over input channels
// and blocks of 8 output channels (each weight has one writer, so the sum
// does not depend on the thread count).
func (d *dgeom) wgrad(N int, x, gy, dw []float32) {
	g := d.c()
	items := d.C * ((d.F + 7) / 8)
	tensor.ParallelRange(items, 1, func(lo, hi int) {
		C.gf_dconv_wgrad(&g, C.long(N), fp(x), fp(gy), fp(dw), C.long(lo), C.long(hi))
	})
}
