// Implementation of kernel.h, included once by kernel_cgo.go (a .c file
// would break builds with the purego tag, which must not compile C).
#include "kernel.h"

#define FWD_ROW(HW, LAP)                                                        \
	for (int z = z0; z < z1; z++) {                                             \
		const ptrdiff_t base = (ptrdiff_t)z * s + hw;                           \
		const float *restrict pc = p1 + base;                                   \
		const float *restrict a = A + base, *restrict q = Q + base,             \
		                      *restrict pp = P + base;                          \
		float *restrict o = p0 + base;                                          \
		if (ws) {                                                               \
			float *restrict w = ws + base;                                      \
			for (int x = 0; x < n; x++) {                                       \
				float l = LAP;                                                  \
				w[x] = l;                                                       \
				o[x] = a[x] * l + q[x] * pc[x] - pp[x] * o[x];                  \
			}                                                                   \
		} else {                                                                \
			for (int x = 0; x < n; x++) {                                       \
				float l = LAP;                                                  \
				o[x] = a[x] * l + q[x] * pc[x] - pp[x] * o[x];                  \
			}                                                                   \
		}                                                                       \
	}

static void wave_fwd_rows(const wave_coef *c, const float *A, const float *Q, const float *P,
                   float *p0, const float *p1, float *ws, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	const float c0 = c->c0, w1 = c->w1, w2 = c->w2, w3 = c->w3, w4 = c->w4;
	switch (c->order) {
	case 2:
		FWD_ROW(1, c0 * pc[x] + w1 * (pc[x - 1] + pc[x + 1] + pc[x - s] + pc[x + s]))
		break;
	case 4:
		FWD_ROW(2, c0 * pc[x] + w1 * (pc[x - 1] + pc[x + 1] + pc[x - s] + pc[x + s]) +
		               w2 * (pc[x - 2] + pc[x + 2] + pc[x - 2 * s] + pc[x + 2 * s]))
		break;
	default:
		FWD_ROW(4, c0 * pc[x] + w1 * (pc[x - 1] + pc[x + 1] + pc[x - s] + pc[x + s]) +
		               w2 * (pc[x - 2] + pc[x + 2] + pc[x - 2 * s] + pc[x + 2 * s]) +
		               w3 * (pc[x - 3] + pc[x + 3] + pc[x - 3 * s] + pc[x + 3 * s]) +
		               w4 * (pc[x - 4] + pc[x + 4] + pc[x - 4 * s] + pc[x + 4 * s]))
		break;
	}
}

// Adjoint: l0 = (c0 + L)(A l1) + Q l1 − P l0, with y = A l1 formed on the fly.
#define Y(off) (a[x + (off)] * pc[x + (off)])
#define ADJ_ROW(LAP)                                                            \
	for (int z = z0; z < z1; z++) {                                             \
		const ptrdiff_t base = (ptrdiff_t)z * s + hw;                           \
		const float *restrict pc = l1 + base;                                   \
		const float *restrict a = A + base, *restrict q = Q + base,             \
		                      *restrict pp = P + base;                          \
		float *restrict o = l0 + base;                                          \
		for (int x = 0; x < n; x++) {                                           \
			float l = LAP;                                                      \
			o[x] = l + q[x] * pc[x] - pp[x] * o[x];                             \
		}                                                                       \
	}

static void wave_adj_rows(const wave_coef *c, const float *A, const float *Q, const float *P,
                   float *l0, const float *l1, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	const float c0 = c->c0, w1 = c->w1, w2 = c->w2, w3 = c->w3, w4 = c->w4;
	switch (c->order) {
	case 2:
		ADJ_ROW(c0 * Y(0) + w1 * (Y(-1) + Y(1) + Y(-s) + Y(s)))
		break;
	case 4:
		ADJ_ROW(c0 * Y(0) + w1 * (Y(-1) + Y(1) + Y(-s) + Y(s)) + w2 * (Y(-2) + Y(2) + Y(-2 * s) + Y(2 * s)))
		break;
	default:
		ADJ_ROW(c0 * Y(0) + w1 * (Y(-1) + Y(1) + Y(-s) + Y(s)) + w2 * (Y(-2) + Y(2) + Y(-2 * s) + Y(2 * s)) +
		        w3 * (Y(-3) + Y(3) + Y(-3 * s) + Y(3 * s)) + w4 * (Y(-4) + Y(4) + Y(-4 * s) + Y(4 * s)))
		break;
	}
}
