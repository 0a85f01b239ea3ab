//go:build cgo && !noblas

package autograd

/*
#cgo CFLAGS: -O3
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#include <string.h>

// exp_approx is exp32 of mathf.go in C (same constants, same clamping),
// written without branches so that GCC vectorises the loops below.
static inline float exp_approx(float x) {
	x = x < -87.33f ? -87.33f : x;
	x = x > 88.37f ? 88.37f : x;
	float t = x * 1.44269504088896341f + 12582912.f;
	int n; memcpy(&n, &t, 4); n -= 0x4B400000;
	float fn = t - 12582912.f;
	float r = x - fn * 0.693359375f - fn * -2.12194440e-4f;
	float p = (1.0f/720) * r + (1.0f/120);
	p = p * r + (1.0f/24);
	p = p * r + (1.0f/6);
	p = p * r + 0.5f;
	p = p * r + 1;
	p = p * r + 1;
	int e = (n + 127) << 23; float sc; memcpy(&sc, &e, 4);
	return p * sc;
}

__attribute__((target_clones("avx2","default")))
static void silu_fwd(const float* restrict x, float* restrict y, float* restrict s, long n) {
	for (long i = 0; i < n; i++) {
		float v = x[i];
		float sg = 1.0f / (1.0f + exp_approx(-v));
		s[i] = sg;
		y[i] = v * sg;
	}
}

__attribute__((target_clones("avx2","default")))
static void silu_fwd_nos(const float* restrict x, float* restrict y, long n) {
	for (long i = 0; i < n; i++) {
		float v = x[i];
		y[i] = v / (1.0f + exp_approx(-v));
	}
}

__attribute__((target_clones("avx2","default")))
static void silu_bwd(float* restrict dx, const float* restrict dy, const float* restrict s, const float* restrict y, long n) {
	for (long i = 0; i < n; i++) {
		dx[i] += dy[i] * (s[i] * (1.0f - y[i]) + y[i]);
	}
}

__attribute__((target_clones("avx2","default")))
static void sigmoid_fwd(float* restrict s, const float* restrict x, long n) {
	for (long i = 0; i < n; i++) {
		s[i] = 1.0f / (1.0f + exp_approx(-x[i]));
	}
}

// im2col and col2im of conv.go (im2colGo, col2imGo) in C; g holds
// C, H, W, KH, KW, SH, SW, PT, PL, DH, DW, OH, OW.
static void im2col_c(float* restrict col, const float* restrict img, const long* g) {
	long C = g[0], H = g[1], W = g[2], KH = g[3], KW = g[4], SH = g[5], SW = g[6];
	long PT = g[7], PL = g[8], DH = g[9], DW = g[10], OH = g[11], OW = g[12];
	long P = OH * OW;
	float* row = col;
	for (long c = 0; c < C; c++) {
		const float* plane = img + c * H * W;
		for (long ki = 0; ki < KH; ki++) {
			for (long kj = 0; kj < KW; kj++, row += P) {
				long iw0 = kj * DW - PL;
				long lo = 0, hi = OW;
				if (SW == 1) {
					lo = -iw0 > 0 ? -iw0 : 0;
					hi = W - iw0 < OW ? W - iw0 : OW;
					if (hi < lo) hi = lo;
				}
				for (long oh = 0; oh < OH; oh++) {
					float* dst = row + oh * OW;
					long ih = oh * SH - PT + ki * DH;
					if (ih < 0 || ih >= H) {
						memset(dst, 0, OW * sizeof(float));
						continue;
					}
					const float* src = plane + ih * W;
					if (SW == 1) {
						if (lo > 0) memset(dst, 0, lo * sizeof(float));
						if (hi > lo) memcpy(dst + lo, src + lo + iw0, (hi - lo) * sizeof(float));
						if (hi < OW) memset(dst + hi, 0, (OW - hi) * sizeof(float));
						continue;
					}
					for (long ow = 0; ow < OW; ow++) {
						long iw = ow * SW + iw0;
						dst[ow] = (iw >= 0 && iw < W) ? src[iw] : 0.0f;
					}
				}
			}
		}
	}
}

__attribute__((target_clones("avx2","default")))
static void add_to(float* restrict d, const float* restrict s, long n) {
	for (long i = 0; i < n; i++) d[i] += s[i];
}

static void col2im_c(float* restrict img, const float* restrict col, const long* g) {
	long C = g[0], H = g[1], W = g[2], KH = g[3], KW = g[4], SH = g[5], SW = g[6];
	long PT = g[7], PL = g[8], DH = g[9], DW = g[10], OH = g[11], OW = g[12];
	long P = OH * OW;
	const float* row = col;
	for (long c = 0; c < C; c++) {
		float* plane = img + c * H * W;
		for (long ki = 0; ki < KH; ki++) {
			for (long kj = 0; kj < KW; kj++, row += P) {
				long iw0 = kj * DW - PL;
				for (long oh = 0; oh < OH; oh++) {
					long ih = oh * SH - PT + ki * DH;
					if (ih < 0 || ih >= H) continue;
					const float* src = row + oh * OW;
					float* dst = plane + ih * W;
					if (SW == 1) {
						long lo = -iw0 > 0 ? -iw0 : 0;
						long hi = W - iw0 < OW ? W - iw0 : OW;
						if (hi > lo) add_to(dst + lo + iw0, src + lo, hi - lo);
						continue;
					}
					for (long ow = 0; ow < OW; ow++) {
						long iw = ow * SW + iw0;
						if (iw >= 0 && iw < W) dst[iw] += src[ow];
					}
				}
			}
		}
	}
}
*/
import "C"

import "unsafe"

func fp(x []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(x))) }

// siluKernel writes y = x·σ(x) and, if s is non-nil, s = σ(x).
func siluKernel(y, s, x []float32) {
	if len(x) == 0 {
		return
	}
	if s == nil {
		C.silu_fwd_nos(fp(x), fp(y), C.long(len(x)))
		return
	}
	C.silu_fwd(fp(x), fp(y), fp(s), C.long(len(x)))
}

// siluBackKernel adds dy·(s·(1-y)+y) into dx.
func siluBackKernel(dx, dy, s, y []float32) {
	if len(dx) == 0 {
		return
	}
	C.silu_bwd(fp(dx), fp(dy), fp(s), fp(y), C.long(len(dx)))
}

// sigmoidKernel writes s = σ(x).
func sigmoidKernel(s, x []float32) {
	if len(x) == 0 {
		return
	}
	C.sigmoid_fwd(fp(s), fp(x), C.long(len(x)))
}

func (g *convGeom) cgeom() [13]C.long {
	return [13]C.long{C.long(g.C), C.long(g.H), C.long(g.W), C.long(g.KH), C.long(g.KW), C.long(g.SH), C.long(g.SW),
		C.long(g.PT), C.long(g.PL), C.long(g.DH), C.long(g.DW), C.long(g.OH), C.long(g.OW)}
}

// im2col is im2colGo in C (see there).
func (g *convGeom) im2col(col, img []float32) {
	cg := g.cgeom()
	_ = col[g.C*g.KH*g.KW*g.OH*g.OW-1]
	_ = img[g.C*g.H*g.W-1]
	C.im2col_c(fp(col), fp(img), &cg[0])
}

// col2im is col2imGo in C (see there).
func (g *convGeom) col2im(img, col []float32) {
	cg := g.cgeom()
	_ = col[g.C*g.KH*g.KW*g.OH*g.OW-1]
	_ = img[g.C*g.H*g.W-1]
	C.col2im_c(fp(img), fp(col), &cg[0])
}
