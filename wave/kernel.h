// Float32 stencil kernels for package wave (see kernel.go for the equations
// and the layout). Compiled with -O3 -march=native so the inner loops are
// vectorised; the pure-Go kernels in kernel.go are the reference and the
// fallback (build tag purego or CGO_ENABLED=0).
#ifndef GENFWI_WAVE_KERNEL_H
#define GENFWI_WAVE_KERNEL_H
#include <stddef.h>

typedef struct {
	int order, hw, nzp, nxp, rows, stride;
	float c0, w1, w2, w3, w4;
} wave_coef;

static void wave_fwd_rows(const wave_coef *c, const float *A, const float *Q,
                          float *p0, const float *p1, float *ws, int z0, int z1);
static void wave_fwd_rows_nt(const wave_coef *c, const float *A, const float *Q,
                             float *p0, const float *p1, float *ws, int z0, int z1);
static void wave_fwd_img_rows(const wave_coef *c, const float *A, const float *Q,
                              float *p0, const float *p1, const float *wi, float *g,
                              int z0, int z1);
#endif
