// Float32 stencil kernels for package wave (see kernel.go for the equations
// and the layout). Compiled with -O3 -march=native so the inner loops are
// vectorised; the pure-Go kernels in kernel.go are the reference and the
// fallback (build tag purego or CGO_ENABLED=0).
#ifndef GENFWI_WAVE_KERNEL_H
#define GENFWI_WAVE_KERNEL_H
#include <stddef.h>

typedef struct {
	int order, hw, nzp, nxp, rows, stride;
	// tape16: the stored Laplacians (w, wi, wa, wb) are bfloat16 values
	// (uint16_t, the same layout); only the AVX-512 rows support it.
	int tape16;
	// wrap: the padded grid is periodic in x (Options.Periodic): every row
	// written gets its hw halo columns on each side filled with the row's
	// opposite-edge values (wrap_cols), so the next stencil reads wrap
	// around. The row halos are filled by the Go side (wrapRows).
	int wrap;
	float c0, w1, w2, w3, w4;
} wave_coef;

static void wave_fwd_rows(const wave_coef *c, const float *A, const float *Q,
                          float *p0, const float *p1, float *ws, int z0, int z1);
static void wave_fwd_rows_nt(const wave_coef *c, const float *A, const float *Q,
                             float *p0, const float *p1, float *ws, int z0, int z1);
static void wave_fwd_img_rows(const wave_coef *c, const float *A, const float *Q,
                              float *p0, const float *p1, const float *wi, float *g,
                              int z0, int z1);
static void wave_fwd_img2_rows(const wave_coef *c, const float *A, const float *Q,
                               float *p0, const float *p1, const float *wa,
                               const float *wb, float *g, int z0, int z1);
static void wave_bwd2_rows(const wave_coef *c, const float *A, const float *Q,
                           float *l0, float *l1, int a1, int b1,
                           const int *idx, const float *val, int ninj,
                           int a2, int b2, const float *wa, const float *wb,
                           float *g, int ia, int ib);
static void wave_fwd2_rows(const wave_coef *c, const float *A, const float *Q,
                           float *p0, float *p1, int a1, int b1, float *ws1,
                           ptrdiff_t src, float fsrc, int a2, int b2, float *ws2,
                           int stream, int ta, int tb);
#endif
