//go:build cgo && !noblas

package autograd

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
#pragma GCC optimize("no-trapping-math", "no-math-errno", "fp-contract=off")
#include <string.h>
#include <immintrin.h>

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

// SiLU and sigmoid are written with intrinsics, not as plain loops for GCC
// to vectorise: GCC if-converted the clamps of exp_approx into a separate
// "clamped" result, x/(1+e^88.37), computed for every lane and then blended
// away, and that division yields a subnormal for ordinary x. On Intel cores
// every such vector takes a microcode assist: 7 ns per element instead of
// 0.1 (a fifth of the nn-refae step on a Xeon; AMD cores barely notice).
// Here the clamp is a min/max of the argument only, so no lane computes a
// subnormal unless the true result is one. Operand order makes NaN
// propagate (max/min return their second operand when either is NaN).
// gf_avx512 and gf_avx2 pick the widest path the CPU runs; both paths use
// masked loads and stores for the tail, and the scalar exp_approx loop is
// left for CPUs without AVX2.
static inline int gf_avx512(void) { return __builtin_cpu_supports("avx512f"); }
static inline int gf_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

#define GF_EXP_BODY(P, V, I, W, x) \
	x = P##_min_ps(P##_set1_ps(88.37f), P##_max_ps(P##_set1_ps(-87.33f), x)); \
	V t = P##_add_ps(P##_mul_ps(x, P##_set1_ps(1.44269504088896341f)), P##_set1_ps(12582912.f)); \
	I n = P##_sub_epi32(P##_castps_si##W(t), P##_set1_epi32(0x4B400000)); \
	V fn = P##_sub_ps(t, P##_set1_ps(12582912.f)); \
	V r = P##_sub_ps(P##_sub_ps(x, P##_mul_ps(fn, P##_set1_ps(0.693359375f))), P##_mul_ps(fn, P##_set1_ps(-2.12194440e-4f))); \
	V p = P##_add_ps(P##_mul_ps(P##_set1_ps(1.0f/720), r), P##_set1_ps(1.0f/120)); \
	p = P##_add_ps(P##_mul_ps(p, r), P##_set1_ps(1.0f/24)); \
	p = P##_add_ps(P##_mul_ps(p, r), P##_set1_ps(1.0f/6)); \
	p = P##_add_ps(P##_mul_ps(p, r), P##_set1_ps(0.5f)); \
	p = P##_add_ps(P##_mul_ps(p, r), P##_set1_ps(1.0f)); \
	p = P##_add_ps(P##_mul_ps(p, r), P##_set1_ps(1.0f)); \
	V sc = P##_castsi##W##_ps(P##_slli_epi32(P##_add_epi32(n, P##_set1_epi32(127)), 23)); \
	return P##_mul_ps(p, sc);

// exp512 and exp256 are exp_approx on 16 and 8 lanes, operation for
// operation (separate multiply and add; fp-contract=off above keeps GCC from
// fusing them), so every path returns the same bits as the scalar one and
// as exp32 in Go.
__attribute__((target("avx512f"))) static inline __m512 exp512(__m512 x) { GF_EXP_BODY(_mm512, __m512, __m512i, 512, x) }
__attribute__((target("avx2"))) static inline __m256 exp256(__m256 x) { GF_EXP_BODY(_mm256, __m256, __m256i, 256, x) }

// mask256 returns lanes [0, k) set, for the AVX2 tail.
__attribute__((target("avx2"))) static inline __m256i mask256(long k) {
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// silu_fwd writes y = x·σ(x) and, when s is not NULL, s = σ(x).
__attribute__((target("avx512f")))
static void silu_fwd512(const float* restrict x, float* restrict y, float* restrict s, long n) {
	const __m512 one = _mm512_set1_ps(1.0f);
	for (long i = 0; i < n; i += 16) {
		__mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		__m512 v = _mm512_maskz_loadu_ps(m, x + i);
		__m512 d = _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), v)));
		if (s) {
			__m512 sg = _mm512_div_ps(one, d);
			_mm512_mask_storeu_ps(s + i, m, sg);
			_mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, sg));
		} else {
			_mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(v, d));
		}
	}
}

__attribute__((target("avx2")))
static void silu_fwd256(const float* restrict x, float* restrict y, float* restrict s, long n) {
	const __m256 one = _mm256_set1_ps(1.0f);
	for (long i = 0; i < n; i += 8) {
		__m256i m = mask256(n - i);
		__m256 v = _mm256_maskload_ps(x + i, m);
		__m256 d = _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), v)));
		if (s) {
			__m256 sg = _mm256_div_ps(one, d);
			_mm256_maskstore_ps(s + i, m, sg);
			_mm256_maskstore_ps(y + i, m, _mm256_mul_ps(v, sg));
		} else {
			_mm256_maskstore_ps(y + i, m, _mm256_div_ps(v, d));
		}
	}
}

// path 0 takes the widest vector path the CPU has; 1 forces AVX2, 2 the
// scalar loop (for the tests, which check every path the CPU can run).
static void silu_fwd(const float* restrict x, float* restrict y, float* restrict s, long n, int path) {
	if (path == 0 && gf_avx512()) { silu_fwd512(x, y, s, n); return; }
	if (path <= 1 && gf_avx2()) { silu_fwd256(x, y, s, n); return; }
	for (long i = 0; i < n; i++) {
		float v = x[i];
		float d = 1.0f + exp_approx(-v);
		if (s) {
			float sg = 1.0f / d;
			s[i] = sg;
			y[i] = v * sg;
		} else {
			y[i] = v / d;
		}
	}
}

__attribute__((target_clones("avx512f","avx2","default")))
static void silu_bwd(float* restrict dx, const float* restrict dy, const float* restrict s, const float* restrict y, long n) {
	for (long i = 0; i < n; i++) {
		dx[i] += dy[i] * (s[i] * (1.0f - y[i]) + y[i]);
	}
}

// Leaky ReLU forward and backward without branches (the Go loops branch on
// every element and mispredict on random signs): a select that GCC turns
// into vector blends.
__attribute__((target_clones("avx512f","avx2","default")))
static void lrelu_fwd(float* restrict y, const float* restrict x, float slope, long n) {
	for (long i = 0; i < n; i++) {
		float v = x[i];
		y[i] = v > 0 ? v : slope * v;
	}
}

__attribute__((target_clones("avx512f","avx2","default")))
static void lrelu_bwd(float* restrict dx, const float* restrict dy, const float* restrict x, float slope, long n) {
	for (long i = 0; i < n; i++) {
		dx[i] += x[i] > 0 ? dy[i] : slope * dy[i];
	}
}

// sigmoid_fwd writes s = σ(x) = 1/(1+e^-x) (see silu_fwd for why intrinsics).
__attribute__((target("avx512f")))
static void sigmoid_fwd512(float* restrict s, const float* restrict x, long n) {
	const __m512 one = _mm512_set1_ps(1.0f);
	for (long i = 0; i < n; i += 16) {
		__mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		__m512 v = _mm512_maskz_loadu_ps(m, x + i);
		__m512 d = _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), v)));
		_mm512_mask_storeu_ps(s + i, m, _mm512_div_ps(one, d));
	}
}

__attribute__((target("avx2")))
static void sigmoid_fwd256(float* restrict s, const float* restrict x, long n) {
	const __m256 one = _mm256_set1_ps(1.0f);
	for (long i = 0; i < n; i += 8) {
		__m256i m = mask256(n - i);
		__m256 v = _mm256_maskload_ps(x + i, m);
		__m256 d = _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), v)));
		_mm256_maskstore_ps(s + i, m, _mm256_div_ps(one, d));
	}
}

static void sigmoid_fwd(float* restrict s, const float* restrict x, long n, int path) {
	if (path == 0 && gf_avx512()) { sigmoid_fwd512(s, x, n); return; }
	if (path <= 1 && gf_avx2()) { sigmoid_fwd256(s, x, n); return; }
	for (long i = 0; i < n; i++) s[i] = 1.0f / (1.0f + exp_approx(-x[i]));
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

__attribute__((target_clones("avx512f","avx2","default")))
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

// GroupNorm row kernels (normRows / normRowsBackward in norm.go): a row of M
// elements is M/inner channel segments of inner elements; channel c0+s has
// affine gamma[c0+s], beta[c0+s] (gamma NULL: no affine). Sums accumulate in
// double in NL = 32 lanes (element i in lane i mod 32, lanes added in order
// at the end): each lane is a chain of dependent adds, so 32 lanes (four
// AVX-512 registers) keep four chains in flight where the former 8 lanes
// left the loop waiting on one add latency per 8 elements. The AVX-512
// intrinsics (path 0) and the plain loops give the same sums bit for bit
// (TestNormRowPaths).
#define NL 32

__attribute__((target("avx512f")))
static long norm_fwd_sums512(const float* x, long M, double mu, int sq, double* s) {
	__m512d a[4];
	for (int k = 0; k < 4; k++) a[k] = _mm512_setzero_pd();
	const __m512d vmu = _mm512_set1_pd(mu);
	long i = 0;
	for (; i + NL <= M; i += NL)
		for (int k = 0; k < 4; k++) {
			__m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8 * k));
			if (sq) { v = _mm512_sub_pd(v, vmu); v = _mm512_mul_pd(v, v); }
			a[k] = _mm512_add_pd(a[k], v);
		}
	for (int k = 0; k < 4; k++) _mm512_storeu_pd(s + 8 * k, a[k]);
	return i;
}

__attribute__((target_clones("avx2","default")))
static long norm_fwd_sums(const float* restrict x, long M, double mu, int sq, double* s) {
	long i = 0;
	for (; i + NL <= M; i += NL)
		for (int j = 0; j < NL; j++) {
			double v = (double)x[i + j];
			if (sq) { v = v - mu; v = v * v; }
			s[j] += v;
		}
	return i;
}

// norm_sum returns Σ x (sq = 0) or Σ (x − mu)² (sq = 1) over the row.
static double norm_sum(const float* x, long M, double mu, int sq, int path) {
	double s[NL] = {0};
	long i = path == 0 && gf_avx512() ? norm_fwd_sums512(x, M, mu, sq, s) : norm_fwd_sums(x, M, mu, sq, s);
	double sum = 0;
	for (int j = 0; j < NL; j++) sum += s[j];
	for (; i < M; i++) {
		double v = (double)x[i];
		if (sq) { v = v - mu; v = v * v; }
		sum += v;
	}
	return sum;
}

__attribute__((target_clones("avx512f","avx2","default")))
static void norm_row_fwd(const float* restrict x, float* restrict y, long M, long inner,
		const float* gamma, const float* beta, long c0, double eps, float* mean, float* rstd, int path) {
	double mu = norm_sum(x, M, 0, 0, path) / M;
	double ss = norm_sum(x, M, mu, 1, path);
	double rs = 1.0 / __builtin_sqrt(ss / M + eps);
	*mean = (float)mu;
	*rstd = (float)rs;
	float m32 = (float)mu, r32 = (float)rs;
	for (long j0 = 0; j0 < M; j0 += inner) {
		float a = r32, b = -m32 * r32;
		if (gamma) {
			long c = c0 + j0 / inner;
			a = r32 * gamma[c];
			b = beta[c] - m32 * a;
		}
		const float* xs = x + j0;
		float* ys = y + j0;
		for (long j = 0; j < inner; j++) ys[j] = xs[j] * a + b;
	}
}

// norm_bwd_sums512 and norm_bwd_sums accumulate Σ g and Σ g·x̂ over a
// channel segment in NL double lanes (see norm_row_fwd), with intrinsics
// (GCC left the loop scalar: a conversion and a double add per element) or
// plain loops: the same float operations and lanes, the same bits.
__attribute__((target("avx512f")))
static long norm_bwd_sums512(const float* gs, const float* xs, long inner, float mu, float rs, double* a, double* b) {
	__m512d va[4], vb[4];
	for (int k = 0; k < 4; k++) va[k] = vb[k] = _mm512_setzero_pd();
	const __m256 vmu = _mm256_set1_ps(mu), vrs = _mm256_set1_ps(rs);
	long j = 0;
	for (; j + NL <= inner; j += NL)
		for (int k = 0; k < 4; k++) {
			__m256 gv = _mm256_loadu_ps(gs + j + 8 * k);
			__m256 xh = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xs + j + 8 * k), vmu), vrs);
			va[k] = _mm512_add_pd(va[k], _mm512_cvtps_pd(gv));
			vb[k] = _mm512_add_pd(vb[k], _mm512_cvtps_pd(_mm256_mul_ps(gv, xh)));
		}
	for (int k = 0; k < 4; k++) {
		_mm512_storeu_pd(a + 8 * k, va[k]);
		_mm512_storeu_pd(b + 8 * k, vb[k]);
	}
	return j;
}

__attribute__((target_clones("avx2","default")))
static long norm_bwd_sums(const float* restrict gs, const float* restrict xs, long inner, float mu, float rs, double* a, double* b) {
	long j = 0;
	for (; j + NL <= inner; j += NL)
		for (int l = 0; l < NL; l++) {
			float xh = (xs[j + l] - mu) * rs;
			a[l] += (double)gs[j + l];
			b[l] += (double)(gs[j + l] * xh);
		}
	return j;
}

__attribute__((target_clones("avx512f","avx2","default")))
static void norm_row_bwd(float* dx, const float* restrict g, const float* restrict x, long M, long inner,
		const float* gamma, long c0, float mu, float rs, double* part, int path) {
	double s1 = 0, s2 = 0;
	for (long j0 = 0; j0 < M; j0 += inner) {
		const float* gs = g + j0;
		const float* xs = x + j0;
		double a[NL] = {0}, b[NL] = {0};
		long j = path == 0 && gf_avx512() ? norm_bwd_sums512(gs, xs, inner, mu, rs, a, b) : norm_bwd_sums(gs, xs, inner, mu, rs, a, b);
		double sg = 0, sgx = 0;
		for (int l = 0; l < NL; l++) { sg += a[l]; sgx += b[l]; }
		for (; j < inner; j++) { float xh = (xs[j] - mu) * rs; sg += gs[j]; sgx += (double)(gs[j] * xh); }
		long c = c0 + j0 / inner;
		double gm = gamma ? gamma[c] : 1.0;
		s1 += sg * gm;
		s2 += sgx * gm;
		if (part) { part[2 * c] += sgx; part[2 * c + 1] += sg; }
	}
	if (!dx) return;
	float m1 = (float)(s1 / M), m2 = (float)(s2 / M);
	for (long j0 = 0; j0 < M; j0 += inner) {
		float gm = gamma ? gamma[c0 + j0 / inner] : 1.0f;
		const float* gs = g + j0;
		const float* xs = x + j0;
		float* d = dx + j0;
		for (long j = 0; j < inner; j++) {
			float xh = (xs[j] - mu) * rs;
			d[j] += rs * (gs[j] * gm - m1 - xh * m2);
		}
	}
}
// BatchNorm2d rows: one (sample, channel) plane of n values at a time. Sums
// accumulate in double in 8 lanes so GCC can vectorise them.
__attribute__((target_clones("avx512f","avx2","default")))
static double bn_sum(const float* restrict x, long n) {
	double s[8] = {0};
	long i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++) s[j] += (double)x[i + j];
	double sum = 0;
	for (int j = 0; j < 8; j++) sum += s[j];
	for (; i < n; i++) sum += x[i];
	return sum;
}

__attribute__((target_clones("avx512f","avx2","default")))
static double bn_sqdev(const float* restrict x, long n, double mu) {
	double q[8] = {0};
	long i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++) { double d = (double)x[i + j] - mu; q[j] += d * d; }
	double ss = 0;
	for (int j = 0; j < 8; j++) ss += q[j];
	for (; i < n; i++) { double d = (double)x[i] - mu; ss += d * d; }
	return ss;
}

__attribute__((target_clones("avx512f","avx2","default")))
static void bn_affine(float* restrict y, const float* restrict x, long n, float a, float b) {
	for (long i = 0; i < n; i++) y[i] = x[i] * a + b;
}

__attribute__((target_clones("avx512f","avx2","default")))
static void bn_gsums(const float* restrict g, const float* restrict x, long n, float mu, float rs, double* sg, double* sgx) {
	double a[8] = {0}, b[8] = {0};
	long i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++) {
			float xh = (x[i + l] - mu) * rs;
			a[l] += (double)g[i + l];
			b[l] += (double)(g[i + l] * xh);
		}
	double s1 = 0, s2 = 0;
	for (int l = 0; l < 8; l++) { s1 += a[l]; s2 += b[l]; }
	for (; i < n; i++) { float xh = (x[i] - mu) * rs; s1 += g[i]; s2 += (double)(g[i] * xh); }
	*sg += s1;
	*sgx += s2;
}

__attribute__((target_clones("avx512f","avx2","default")))
static void bn_dx(float* restrict dx, const float* restrict g, const float* restrict x, long n,
		float mu, float rs, float gm, float m1, float m2, int training) {
	if (!training) {
		float k = gm * rs;
		for (long i = 0; i < n; i++) dx[i] += g[i] * k;
		return;
	}
	for (long i = 0; i < n; i++) {
		float xh = (x[i] - mu) * rs;
		dx[i] += rs * (g[i] * gm - m1 - xh * m2);
	}
}
// bin_row is binRow of elementwise.go for the row shapes broadcasting
// produces: both operands contiguous (sa = sb = 1) or one of them a scalar
// (stride 0). op: 0 add, 1 sub, 2 mul, 3 div (IEEE operations, so every
// vector width gives the Go loop's bits). Constant strides let GCC
// vectorise each loop; Go's loop with j·sa indexing ran ~1 ns per element.
#define BIN_LOOPS() \
	switch (op) { \
	case 0: for (long i = 0; i < n; i++) { float x = A, y = B; o[i] = x + y; } break; \
	case 1: for (long i = 0; i < n; i++) { float x = A, y = B; o[i] = x - y; } break; \
	case 2: for (long i = 0; i < n; i++) { float x = A, y = B; o[i] = x * y; } break; \
	case 3: for (long i = 0; i < n; i++) { float x = A, y = B; o[i] = x / y; } break; \
	}
__attribute__((target_clones("avx512f","avx2","default")))
static int bin_row(int op, float* restrict o, const float* restrict a, long sa, const float* restrict b, long sb, long n) {
	if (sa == 1 && sb == 1) {
#define A a[i]
#define B b[i]
		BIN_LOOPS()
#undef A
#undef B
	} else if (sa == 1 && sb == 0) {
		const float bs = b[0];
#define A a[i]
#define B bs
		BIN_LOOPS()
#undef A
#undef B
	} else if (sa == 0 && sb == 1) {
		const float as = a[0];
#define A as
#define B b[i]
		BIN_LOOPS()
#undef A
#undef B
	} else {
		return 0;
	}
	return 1;
}

// add_bias adds b[f] to row f (p values) of y, for f < nf.
__attribute__((target_clones("avx512f","avx2","default")))
static void add_bias(float* restrict y, const float* restrict b, long nf, long p) {
	for (long f = 0; f < nf; f++) {
		float v = b[f];
		float* row = y + f * p;
		for (long i = 0; i < p; i++) row[i] += v;
	}
}

// dup2_row writes d[2i] = d[2i+1] = s[i] (nearest 2× upsampling of a row)
// and sum2_row adds d[i] += s[2i] + s[2i+1] (its adjoint): GCC vectorises
// both with lane permutes; Go's pair loops ran ~1 ns per element.
__attribute__((target_clones("avx512f","avx2","default")))
static void dup2_row(float* restrict d, const float* restrict s, long n) {
	for (long i = 0; i < n; i++) { d[2 * i] = s[i]; d[2 * i + 1] = s[i]; }
}

__attribute__((target_clones("avx512f","avx2","default")))
static void sum2_row(float* restrict d, const float* restrict s, long n) {
	for (long i = 0; i < n; i++) d[i] += s[2 * i] + s[2 * i + 1];
}

// Fused ReLU kernels (Conv2dReLU, AddReLU) with the bits of ReLU
// (v > 0 ? v : 0·v) and of its backward into zeros (y > 0 ? 0 + dy : 0),
// as selects GCC turns into vector blends: Go's branches mispredicted on
// random signs (~1 ns per element).
__attribute__((target_clones("avx512f","avx2","default")))
static void relu_inplace(float* y, long n) {
	for (long i = 0; i < n; i++) { float v = y[i]; y[i] = v > 0 ? v : 0.0f * v; }
}

__attribute__((target_clones("avx512f","avx2","default")))
static void add_relu(float* restrict o, const float* restrict a, const float* restrict b, long n) {
	for (long i = 0; i < n; i++) { float v = a[i] + b[i]; o[i] = v > 0 ? v : 0.0f * v; }
}

__attribute__((target_clones("avx512f","avx2","default")))
static void relu_mask(float* restrict dz, const float* restrict dy, const float* restrict y, long n) {
	for (long i = 0; i < n; i++) dz[i] = y[i] > 0 ? 0.0f + dy[i] : 0.0f;
}

// relu_mask_add adds the same into dz (an operand's existing gradient).
__attribute__((target_clones("avx512f","avx2","default")))
static void relu_mask_add(float* restrict dz, const float* restrict dy, const float* restrict y, long n) {
	for (long i = 0; i < n; i++) dz[i] += y[i] > 0 ? 0.0f + dy[i] : 0.0f;
}

// bin_row_grad_ab adds the gradients of a same-shape add, sub or mul row
// (op 0, 1, 2) into ga and gb (either may be NULL): elementwise, so
// vectorised without changing any sum.
__attribute__((target_clones("avx512f","avx2","default")))
static void bin_row_grad_ab(int op, const float* restrict g, float* restrict ga, float* restrict gb,
		const float* restrict a, const float* restrict b, long n) {
	if (ga) {
		if (op == 2) for (long i = 0; i < n; i++) ga[i] += g[i] * b[i];
		else for (long i = 0; i < n; i++) ga[i] += g[i];
	}
	if (gb) {
		if (op == 2) for (long i = 0; i < n; i++) gb[i] += g[i] * a[i];
		else if (op == 1) for (long i = 0; i < n; i++) gb[i] += -g[i];
		else for (long i = 0; i < n; i++) gb[i] += g[i];
	}
}
*/
import "C"

import "unsafe"

func fp(x []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(x))) }

// siluKernel writes y = x·σ(x) and, if s is non-nil, s = σ(x).
func siluKernel(y, s, x []float32) { siluKernelPath(y, s, x, 0) }

// siluKernelPath is siluKernel on code path path (see kernelPaths).
func siluKernelPath(y, s, x []float32, path int) {
	if len(x) == 0 {
		return
	}
	C.silu_fwd(fp(x), fp(y), fpOrNil(s), C.long(len(x)), C.int(path))
}

// kernelPaths lists the code paths of the SiLU and sigmoid kernels this CPU
// can run: 0 the widest vector path (the one used), 1 AVX2, 2 scalar.
func kernelPaths() []int {
	if C.gf_avx2() != 0 {
		return []int{0, 1, 2}
	}
	return []int{0, 2}
}

// siluBackKernel adds dy·(s·(1-y)+y) into dx.
func siluBackKernel(dx, dy, s, y []float32) {
	if len(dx) == 0 {
		return
	}
	C.silu_bwd(fp(dx), fp(dy), fp(s), fp(y), C.long(len(dx)))
}

// binRowKernel is binRow for add, sub, mul and div rows with unit or zero
// strides (see bin_row); it reports false for the other cases, which the Go
// loop handles.
func binRowKernel(op binOp, od, ad []float32, sa int, bd []float32, sb int) bool {
	if op > opDiv || len(od) < 16 || sa > 1 || sb > 1 || sa == 0 && sb == 0 {
		return false
	}
	return C.bin_row(C.int(op), fp(od), fp(ad), C.long(sa), fp(bd), C.long(sb), C.long(len(od))) != 0
}

// addBiasKernel is addBias with a vectorised loop (the same additions).
func addBiasKernel(y, b []float32, p int) bool {
	if p < 16 {
		return false
	}
	C.add_bias(fp(y), fp(b), C.long(len(b)), C.long(p))
	return true
}

// dup2Kernel writes d[2i] = d[2i+1] = s[i] for i < len(s); false when
// the Go loop should run.
func dup2Kernel(d, s []float32) bool {
	if len(s) < 8 {
		return false
	}
	_ = d[2*len(s)-1]
	C.dup2_row(fp(d), fp(s), C.long(len(s)))
	return true
}

// sum2Kernel adds d[i] += s[2i] + s[2i+1] for i < len(d); false when the
// Go loop should run.
func sum2Kernel(d, s []float32) bool {
	if len(d) < 8 {
		return false
	}
	_ = s[2*len(d)-1]
	C.sum2_row(fp(d), fp(s), C.long(len(d)))
	return true
}

// reluInPlace applies ReLU to y in place (x > 0 ? x : 0·x).
func reluInPlace(y []float32) {
	if len(y) > 0 {
		C.relu_inplace(fp(y), C.long(len(y)))
	}
}

// addReLUKernel writes o = ReLU(a + b).
func addReLUKernel(o, a, b []float32) {
	if len(o) > 0 {
		C.add_relu(fp(o), fp(a), fp(b), C.long(len(o)))
	}
}

// reluMaskKernel writes (add false) or adds (add true) y > 0 ? 0 + dy : 0
// into dz.
func reluMaskKernel(dz, dy, y []float32, add bool) {
	if len(dz) == 0 {
		return
	}
	if add {
		C.relu_mask_add(fp(dz), fp(dy), fp(y), C.long(len(dz)))
		return
	}
	C.relu_mask(fp(dz), fp(dy), fp(y), C.long(len(dz)))
}

// binRowGradKernel is binRowGrad for same-shape add, sub and mul rows; it
// reports false for the other cases.
func binRowGradKernel(op binOp, gd, ga, gb, ad, bd []float32) bool {
	if op > opMul || len(gd) < 16 {
		return false
	}
	C.bin_row_grad_ab(C.int(op), fp(gd), fpOrNil(ga), fpOrNil(gb), fp(ad), fp(bd), C.long(len(gd)))
	return true
}

// leakyReLUKernel writes y = x > 0 ? x : slope·x.
func leakyReLUKernel(y, x []float32, slope float32) {
	if len(x) == 0 {
		return
	}
	C.lrelu_fwd(fp(y), fp(x), C.float(slope), C.long(len(x)))
}

// leakyReLUBackKernel accumulates dx += (x > 0 ? 1 : slope)·dy.
func leakyReLUBackKernel(dx, dy, x []float32, slope float32) {
	if len(x) == 0 {
		return
	}
	C.lrelu_bwd(fp(dx), fp(dy), fp(x), C.float(slope), C.long(len(x)))
}

// sigmoidKernel writes s = σ(x).
func sigmoidKernel(s, x []float32) { sigmoidKernelPath(s, x, 0) }

// sigmoidKernelPath is sigmoidKernel on code path path (see kernelPaths).
func sigmoidKernelPath(s, x []float32, path int) {
	if len(x) == 0 {
		return
	}
	C.sigmoid_fwd(fp(s), fp(x), C.long(len(x)), C.int(path))
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

func fpOrNil(x []float32) *C.float {
	if x == nil {
		return nil
	}
	return fp(x)
}

// normRowKernel normalises one row (see normRows); ok is false when the
// caller should use the Go loop (inner == 1 rows, as in LayerNorm, where
// per-segment C calls would not pay).
func normRowKernel(y, x []float32, inner int, gamma, beta []float32, c0 int, eps float64, mean, rstd *float32) bool {
	if inner < 8 {
		return false
	}
	C.norm_row_fwd(fp(x), fp(y), C.long(len(x)), C.long(inner), fpOrNil(gamma), fpOrNil(beta), C.long(c0), C.double(eps),
		(*C.float)(mean), (*C.float)(rstd), C.int(normPath))
	return true
}

// normPath selects the GroupNorm row kernels' code path like kernelPaths:
// 0 the widest the CPU runs, 1 the loops GCC vectorises (the tests compare
// the two).
var normPath = 0

// normRowBackKernel is the backward of normRowKernel for one row; part
// (2 per channel: Σ dy·x̂, Σ dy) may be nil, dx may be nil.
func normRowBackKernel(dx, g, x []float32, inner int, gamma []float32, c0 int, mu, rs float32, part []float64) bool {
	if inner < 8 {
		return false
	}
	var pp *C.double
	if part != nil {
		pp = (*C.double)(unsafe.Pointer(unsafe.SliceData(part)))
	}
	C.norm_row_bwd(fpOrNil(dx), fp(g), fp(x), C.long(len(x)), C.long(inner), fpOrNil(gamma), C.long(c0), C.float(mu), C.float(rs), pp, C.int(normPath))
	return true
}

// bnSum returns Σ x in float64.
func bnSum(x []float32) float64 { return float64(C.bn_sum(fp(x), C.long(len(x)))) }

// bnSqDev returns Σ (x − mu)² in float64.
func bnSqDev(x []float32, mu float64) float64 {
	return float64(C.bn_sqdev(fp(x), C.long(len(x)), C.double(mu)))
}

// bnAffine writes y = x·a + b.
func bnAffine(y, x []float32, a, b float32) {
	C.bn_affine(fp(y), fp(x), C.long(len(x)), C.float(a), C.float(b))
}

// bnGradSums adds Σ g and Σ g·(x − mu)·rs to sg and sgx.
func bnGradSums(g, x []float32, mu, rs float32, sg, sgx *float64) {
	var a, b C.double
	C.bn_gsums(fp(g), fp(x), C.long(len(x)), C.float(mu), C.float(rs), &a, &b)
	*sg += float64(a)
	*sgx += float64(b)
}

// bnDx adds BatchNorm's input gradient for one plane: with batch
// statistics rs·(g·gm − m1 − x̂·m2), x̂ = (x − mu)·rs; with fixed ones g·gm·rs.
func bnDx(dx, g, x []float32, mu, rs, gm, m1, m2 float32, training bool) {
	t := C.int(0)
	if training {
		t = 1
	}
	C.bn_dx(fp(dx), fp(g), fp(x), C.long(len(x)), C.float(mu), C.float(rs), C.float(gm), C.float(m1), C.float(m2), t)
}
