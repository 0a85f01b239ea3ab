// Implementation of kernel.h, included once by kernel_cgo.go (a .c file
// would break builds with the purego tag, which must not compile C).
#include "kernel.h"
#include <xmmintrin.h>

// Values far ahead of a wavefront decay into subnormal floats, which cost
// ~100 cycles each on x86; the kernels run with flush-to-zero and
// denormals-are-zero and restore the caller's MXCSR on return.
#define FTZ_ON()                                                               \
	const unsigned int csr_ = _mm_getcsr();                                    \
	_mm_setcsr(csr_ | 0x8040)
#define FTZ_OFF() _mm_setcsr(csr_)

// One row per call; restrict-qualified parameters let GCC vectorise without
// run-time alias checks. P = Q − 1, so o = A l + Q (p − o) + o.
#define ROW_FN(NAME, LAP)                                                      \
	static inline void NAME(int n, ptrdiff_t s, float *restrict o,             \
	                        const float *restrict pc, const float *restrict a, \
	                        const float *restrict q, float *restrict w,        \
	                        float c0, float w1, float w2, float w3, float w4) {\
		(void)w2; (void)w3; (void)w4;                                          \
		if (w) {                                                               \
			for (int x = 0; x < n; x++) {                                      \
				const float l = LAP;                                           \
				w[x] = l;                                                      \
				o[x] = a[x] * l + q[x] * (pc[x] - o[x]) + o[x];                \
			}                                                                  \
		} else {                                                               \
			for (int x = 0; x < n; x++) {                                      \
				const float l = LAP;                                           \
				o[x] = a[x] * l + q[x] * (pc[x] - o[x]) + o[x];                \
			}                                                                  \
		}                                                                      \
	}

#define L2(P) (c0 * P[x] + w1 * (P[x - 1] + P[x + 1] + P[x - s] + P[x + s]))
#define L4(P) (L2(P) + w2 * (P[x - 2] + P[x + 2] + P[x - 2 * s] + P[x + 2 * s]))
#define L8(P)                                                                  \
	(L4(P) + w3 * (P[x - 3] + P[x + 3] + P[x - 3 * s] + P[x + 3 * s]) +        \
	 w4 * (P[x - 4] + P[x + 4] + P[x - 4 * s] + P[x + 4 * s]))

ROW_FN(fwd_row2, L2(pc))
ROW_FN(fwd_row4, L4(pc))
ROW_FN(fwd_row8, L8(pc))

static void wave_fwd_rows(const wave_coef *c, const float *A, const float *Q,
                          float *p0, const float *p1, float *ws, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	FTZ_ON();
	for (int z = z0; z < z1; z++) {
		const ptrdiff_t b = (ptrdiff_t)z * s + hw;
		float *w = ws ? ws + b : 0;
		switch (c->order) {
		case 2:
			fwd_row2(n, s, p0 + b, p1 + b, A + b, Q + b, w, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		case 4:
			fwd_row4(n, s, p0 + b, p1 + b, A + b, Q + b, w, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		default:
			fwd_row8(n, s, p0 + b, p1 + b, A + b, Q + b, w, c->c0, c->w1, c->w2, c->w3, c->w4);
		}
	}
	FTZ_OFF();
}

// Adjoint: l0 = (c0 + L)(A l1) + Q (l1 − l0) + l0, with A l1 formed on the fly.
#define ADJ_FN(NAME, LAP)                                                      \
	static inline void NAME(int n, ptrdiff_t s, float *restrict o,             \
	                        const float *restrict l, const float *restrict a,  \
	                        const float *restrict q, float c0, float w1,       \
	                        float w2, float w3, float w4) {                    \
		(void)w2; (void)w3; (void)w4;                                          \
		for (int x = 0; x < n; x++) {                                          \
			const float y = LAP;                                               \
			o[x] = y + q[x] * (l[x] - o[x]) + o[x];                            \
		}                                                                      \
	}
#define Y(k) (a[x + (k)] * l[x + (k)])
#define Y2 (c0 * Y(0) + w1 * (Y(-1) + Y(1) + Y(-s) + Y(s)))
#define Y4 (Y2 + w2 * (Y(-2) + Y(2) + Y(-2 * s) + Y(2 * s)))
#define Y8 (Y4 + w3 * (Y(-3) + Y(3) + Y(-3 * s) + Y(3 * s)) + w4 * (Y(-4) + Y(4) + Y(-4 * s) + Y(4 * s)))
ADJ_FN(adj_row2, Y2)
ADJ_FN(adj_row4, Y4)
ADJ_FN(adj_row8, Y8)

static void wave_adj_rows(const wave_coef *c, const float *A, const float *Q,
                          float *l0, const float *l1, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	FTZ_ON();
	for (int z = z0; z < z1; z++) {
		const ptrdiff_t b = (ptrdiff_t)z * s + hw;
		switch (c->order) {
		case 2:
			adj_row2(n, s, l0 + b, l1 + b, A + b, Q + b, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		case 4:
			adj_row4(n, s, l0 + b, l1 + b, A + b, Q + b, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		default:
			adj_row8(n, s, l0 + b, l1 + b, A + b, Q + b, c->c0, c->w1, c->w2, c->w3, c->w4);
		}
	}
	FTZ_OFF();
}
