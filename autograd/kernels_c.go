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
