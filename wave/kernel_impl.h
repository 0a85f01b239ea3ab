// Implementation of kernel.h, included once by kernel_cgo.go (a .c file
// would break builds with the purego tag, which must not compile C).
#include "kernel.h"
#include <immintrin.h>
#include <stdint.h>

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

// tape_ptr returns the address of element i of a stored-Laplacian field:
// float32, or bfloat16 with c->tape16 (which Go sets only when the AVX-512
// rows below are compiled in; they are the only kernels that read it).
static inline float *tape_ptr(const wave_coef *c, const float *w, ptrdiff_t i) {
	return c->tape16 ? (float *)((const uint16_t *)w + i) : (float *)w + i;
}

// AVX-512 rows. With a stride that is a multiple of 16 floats (newRun rounds
// it up) every row starts on a 64-byte boundary when the field does, so the
// kernels below sweep whole 16-lane vectors from the row start, halo columns
// included, and store only the interior lanes: the centre and vertical loads
// are aligned and there is no scalar remainder loop. Measured on OpenFWI, one
// thread (scripts/wave-ratio-floor.c uses the same loop): 17.4 ms per
// forward sweep against 22.2 ms for the GCC-vectorised ROW_FN loop, and
// non-temporal tape stores issued inline cost 5–8 ms instead of 11 ms
// (docs/wave.md). Every C kernel goes through row512 when it is compiled in,
// so all C variants (fused, streamed, imaging) still agree bit for bit; the
// ROW_FN loops remain for CPUs without AVX-512 and for other strides.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define WAVE_AVX512 1

// imask: the lanes of the vector at column x that lie in [hw, hw + n).
static inline __mmask16 imask(ptrdiff_t x, int hw, int n) {
	const ptrdiff_t lo = hw - x, hi = hw + n - x;
	unsigned m = 0xFFFFu;
	if (lo > 0)
		m = lo >= 16 ? 0 : m & (0xFFFFu << lo);
	if (hi < 16)
		m = hi <= 0 ? 0 : m & (0xFFFFu >> (16 - hi));
	return (__mmask16)m;
}

// bf16 tape (wave_coef.tape16): round to nearest even on the top 16 bits
// (the same rounding as VCVTNEPS2BF16 for finite values, without needing
// AVX512_BF16), and widen back by a 16-bit shift.
static inline __m256i to_bf16(__m512 v) {
	const __m512i u = _mm512_castps_si512(v);
	const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF),
	                                                       _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1))));
	return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
}
static inline __m512 from_bf16(const void *p) {
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

// row512 updates one row (all pointers at the row start, column 0 of the
// halo layout): o ← A l + Q (pc − o) + o with l = (c0 + L) pc on the
// interior columns; w (non-NULL) gets l — regular stores of the interior
// lanes (wmode 0), or non-temporal stores of whole vectors with zero halo
// lanes (wmode 1, w aligned to the store: 64 bytes, 32 for bfloat16; wmode
// 2 = the same values with regular stores); g (non-NULL) gets
// g + (pc·wa + o_new·wb) (wa NULL: g + o_new·wb). With t16 the tape fields
// w, wa, wb hold bfloat16 values (to_bf16, from_bf16). The sums are formed
// in the order of the ROW_FN macros.
#define ROW512_FN(NAME, ORDER)                                                   \
	static inline void NAME(ptrdiff_t s, int hw, int n, float *restrict o,     \
	                        const float *restrict pc, const float *restrict a, \
	                        const float *restrict q, float *restrict w,        \
	                        int wmode, const float *restrict wa,               \
	                        const float *restrict wb, float *restrict g,       \
	                        int t16, float c0, float w1, float w2, float w3,   \
	                        float w4) {                                        \
		uint16_t *restrict w16 = (uint16_t *)w;                                  \
		const uint16_t *wa16 = (const uint16_t *)wa, *wb16 = (const uint16_t *)wb;\
		const __m512 vc0 = _mm512_set1_ps(c0), v1 = _mm512_set1_ps(w1);          \
		const __m512 v2 = _mm512_set1_ps(w2), v3 = _mm512_set1_ps(w3);           \
		const __m512 v4 = _mm512_set1_ps(w4);                                    \
		(void)v2; (void)v3; (void)v4;                                            \
		for (ptrdiff_t x = 0; x < s; x += 16) {                                  \
			const __mmask16 m = imask(x, hw, n);                                 \
			if (!m) {                                                            \
				if (w && t16 && wmode == 1)                                      \
					_mm256_stream_si256((__m256i *)(w16 + x), _mm256_setzero_si256());\
				else if (w && t16 && wmode == 2)                                 \
					_mm256_storeu_si256((__m256i *)(w16 + x), _mm256_setzero_si256());\
				else if (w && wmode == 1)                                        \
					_mm512_stream_ps(w + x, _mm512_setzero_ps());                \
				else if (w && wmode == 2)                                        \
					_mm512_storeu_ps(w + x, _mm512_setzero_ps());                \
				continue;                                                        \
			}                                                                    \
			const float *P = pc + x;                                             \
			const __m512 c = _mm512_loadu_ps(P);                                 \
			__m512 h = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(                \
				_mm512_loadu_ps(P - 1), _mm512_loadu_ps(P + 1)),                  \
				_mm512_loadu_ps(P - s)), _mm512_loadu_ps(P + s));                 \
			__m512 l = _mm512_fmadd_ps(v1, h, _mm512_mul_ps(vc0, c));            \
			if (ORDER >= 4) {                                                    \
				h = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(                   \
					_mm512_loadu_ps(P - 2), _mm512_loadu_ps(P + 2)),              \
					_mm512_loadu_ps(P - 2 * s)), _mm512_loadu_ps(P + 2 * s));     \
				l = _mm512_fmadd_ps(v2, h, l);                                   \
			}                                                                    \
			if (ORDER >= 8) {                                                    \
				h = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(                   \
					_mm512_loadu_ps(P - 3), _mm512_loadu_ps(P + 3)),              \
					_mm512_loadu_ps(P - 3 * s)), _mm512_loadu_ps(P + 3 * s));     \
				const __m512 h4 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(     \
					_mm512_loadu_ps(P - 4), _mm512_loadu_ps(P + 4)),              \
					_mm512_loadu_ps(P - 4 * s)), _mm512_loadu_ps(P + 4 * s));     \
				l = _mm512_fmadd_ps(v4, h4, _mm512_fmadd_ps(v3, h, l));          \
			}                                                                    \
			const __m512 ov = _mm512_loadu_ps(o + x);                            \
			const __m512 v = _mm512_fmadd_ps(_mm512_loadu_ps(a + x), l,          \
				_mm512_fmadd_ps(_mm512_loadu_ps(q + x), _mm512_sub_ps(c, ov), ov));\
			if (m == 0xFFFF)                                                     \
				_mm512_storeu_ps(o + x, v);                                      \
			else                                                                 \
				_mm512_mask_storeu_ps(o + x, m, v);                              \
			if (w && t16) {                                                      \
				const __m256i h16 = to_bf16(_mm512_maskz_mov_ps(m, l));          \
				if (wmode == 1)                                                  \
					_mm256_stream_si256((__m256i *)(w16 + x), h16);              \
				else if (wmode == 2 || m == 0xFFFF)                              \
					_mm256_storeu_si256((__m256i *)(w16 + x), h16);              \
				else                                                             \
					_mm256_mask_storeu_epi16(w16 + x, m, h16);                   \
			} else if (w) {                                                      \
				if (wmode == 1)                                                  \
					_mm512_stream_ps(w + x, _mm512_maskz_mov_ps(m, l));          \
				else if (wmode == 2)                                             \
					_mm512_storeu_ps(w + x, _mm512_maskz_mov_ps(m, l));          \
				else if (m == 0xFFFF)                                            \
					_mm512_storeu_ps(w + x, l);                                  \
				else                                                             \
					_mm512_mask_storeu_ps(w + x, m, l);                          \
			}                                                                    \
			if (g) {                                                             \
				const __m512 vb = t16 ? from_bf16(wb16 + x) : _mm512_loadu_ps(wb + x);\
				__m512 t = _mm512_mul_ps(v, vb);                                 \
				if (wa)                                                          \
					t = _mm512_fmadd_ps(c, t16 ? from_bf16(wa16 + x)             \
					                           : _mm512_loadu_ps(wa + x), t);    \
				t = _mm512_add_ps(_mm512_loadu_ps(g + x), t);                    \
				if (m == 0xFFFF)                                                 \
					_mm512_storeu_ps(g + x, t);                                  \
				else                                                             \
					_mm512_mask_storeu_ps(g + x, m, t);                          \
			}                                                                    \
		}                                                                        \
	}
ROW512_FN(row512_2, 2)
ROW512_FN(row512_4, 4)
ROW512_FN(row512_8, 8)

// row512 dispatches on the order; base is the row's offset (z·stride), p
// the pointers of row 0 of each field (w, wa, wb, g may be NULL).
static inline void row512(const wave_coef *c, ptrdiff_t base, float *o, const float *pc,
                          const float *a, const float *q, float *w, int wmode,
                          const float *wa, const float *wb, float *g) {
	const ptrdiff_t s = c->stride;
	const int t16 = c->tape16;
	float *gr = g ? g + base : 0;
	float *wr = w ? tape_ptr(c, w, base) : 0;
	const float *war = wa ? tape_ptr(c, wa, base) : 0, *wbr = wb ? tape_ptr(c, wb, base) : 0;
	switch (c->order) {
	case 2:
		row512_2(s, c->hw, c->nxp, o + base, pc + base, a + base, q + base, wr, wmode, war, wbr, gr,
		         t16, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	case 4:
		row512_4(s, c->hw, c->nxp, o + base, pc + base, a + base, q + base, wr, wmode, war, wbr, gr,
		         t16, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	default:
		row512_8(s, c->hw, c->nxp, o + base, pc + base, a + base, q + base, wr, wmode, war, wbr, gr,
		         t16, c->c0, c->w1, c->w2, c->w3, c->w4);
	}
}

// use512 reports whether the AVX-512 rows apply: a stride of whole vectors.
static inline int use512(const wave_coef *c) { return c->stride % 16 == 0; }

// ntmode is the wmode for a tape written with non-temporal stores: direct
// streaming needs every row of w on a vector boundary.
static inline int ntmode(const wave_coef *c, const float *w) {
	// bfloat16 rows are half as long: 32-byte stores, 32-byte alignment.
	return use512(c) && ((uintptr_t)w & (c->tape16 ? 31 : 63)) == 0 ? 1 : 2;
}
#else
#define WAVE_AVX512 0
static inline int use512(const wave_coef *c) { (void)c; return 0; }
#endif

// wrap_cols fills the halo columns of one written row (row = its first
// interior cell) from the opposite edge when the grid is periodic in x: the
// left halo gets the last hw interior values, the right halo the first hw.
static inline void wrap_cols(const wave_coef *c, float *row) {
	if (!c->wrap)
		return;
	const int hw = c->hw, n = c->nxp;
	for (int k = 0; k < hw; k++) {
		row[k - hw] = row[n - hw + k];
		row[n + k] = row[k];
	}
}

// wave_wrap_cols runs wrap_cols on rows [z0, z1) of p (used after the Go side
// adds to a field outside the kernels, e.g. the Born secondary sources).
static void wave_wrap_cols(const wave_coef *c, float *p, int z0, int z1) {
	for (int z = z0; z < z1; z++)
		wrap_cols(c, p + (ptrdiff_t)z * c->stride + c->hw);
}

static void wave_fwd_rows(const wave_coef *c, const float *A, const float *Q,
                          float *p0, const float *p1, float *ws, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	FTZ_ON();
#if WAVE_AVX512
	if (use512(c)) {
		for (int z = z0; z < z1; z++) {
			row512(c, (ptrdiff_t)z * s, p0, p1, A, Q, ws, 0, 0, 0, 0);
			wrap_cols(c, p0 + (ptrdiff_t)z * s + hw);
		}
		FTZ_OFF();
		return;
	}
#endif
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
		wrap_cols(c, p0 + b);
	}
	FTZ_OFF();
}

// Streaming (non-temporal) copy of n floats. A regular store of a line that
// is not cached first reads it from memory (read for ownership); the tape of
// stored Laplacians is far larger than the caches and is read back only in
// the adjoint sweep, so writing it with non-temporal stores halves the write
// traffic and keeps the fields the stencil is working on in the caches.
// Scalar non-temporal stores (movnti) align the destination, then whole
// vectors follow. The caller issues the fence (wave_fwd_rows_nt).
static inline void stream_copy(float *restrict dst, const float *restrict src, int n) {
	int x = 0;
#if defined(__AVX512F__)
	enum { VA = 64 };
#elif defined(__AVX__)
	enum { VA = 32 };
#else
	enum { VA = 16 };
#endif
	for (; x < n && ((uintptr_t)(dst + x) & (VA - 1)) != 0; x++)
		_mm_stream_si32((int *)(dst + x), ((const int *)src)[x]);
#if defined(__AVX512F__)
	for (; x + 16 <= n; x += 16)
		_mm512_stream_ps(dst + x, _mm512_loadu_ps(src + x));
#elif defined(__AVX__)
	for (; x + 8 <= n; x += 8)
		_mm256_stream_ps(dst + x, _mm256_loadu_ps(src + x));
#else
	for (; x + 4 <= n; x += 4)
		_mm_stream_ps(dst + x, _mm_loadu_ps(src + x));
#endif
	for (; x < n; x++)
		_mm_stream_si32((int *)(dst + x), ((const int *)src)[x]);
}

// Widest row (stride) that wave_fwd_rows_nt stages on the stack (32 KiB).
#define NT_MAX_STRIDE 8192

// wave_fwd_rows_nt is wave_fwd_rows with ws non-NULL, writing ws with
// non-temporal stores (see stream_copy): each row's Laplacian goes to an
// L1-resident staging row first and is then streamed out together with the
// zero halo columns, so consecutive rows form one contiguous stream of whole
// cache lines (the halo columns of ws are never read as data). Rows wider
// than NT_MAX_STRIDE fall back to regular stores.
static void wave_fwd_rows_nt(const wave_coef *c, const float *A, const float *Q,
                             float *p0, const float *p1, float *ws, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
#if WAVE_AVX512
	if (use512(c)) {
		const int mode = ntmode(c, ws);
		FTZ_ON();
		for (int z = z0; z < z1; z++) {
			row512(c, (ptrdiff_t)z * s, p0, p1, A, Q, ws, mode, 0, 0, 0);
			wrap_cols(c, p0 + (ptrdiff_t)z * s + hw);
		}
		_mm_sfence();
		FTZ_OFF();
		return;
	}
#endif
	if (s > NT_MAX_STRIDE) {
		wave_fwd_rows(c, A, Q, p0, p1, ws, z0, z1);
		return;
	}
	float tmp[NT_MAX_STRIDE];
	for (int x = 0; x < hw; x++) {
		tmp[x] = 0;
		tmp[hw + n + x] = 0;
	}
	FTZ_ON();
	for (int z = z0; z < z1; z++) {
		const ptrdiff_t b = (ptrdiff_t)z * s + hw;
		switch (c->order) {
		case 2:
			fwd_row2(n, s, p0 + b, p1 + b, A + b, Q + b, tmp + hw, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		case 4:
			fwd_row4(n, s, p0 + b, p1 + b, A + b, Q + b, tmp + hw, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		default:
			fwd_row8(n, s, p0 + b, p1 + b, A + b, Q + b, tmp + hw, c->c0, c->w1, c->w2, c->w3, c->w4);
		}
		wrap_cols(c, p0 + b);
		stream_copy(ws + b - hw, tmp, (int)s);
	}
	// Order the streamed stores before whatever synchronisation hands the
	// tape to the adjoint sweep (possibly on another thread).
	_mm_sfence();
	FTZ_OFF();
}

// Forward step plus the zero-offset imaging condition g += p0_new * wi
// (used by the adjoint sweep on μ = A∘λ, see adjoint.go).
#define IMG_FN(NAME, LAP)                                                      \
	static inline void NAME(int n, ptrdiff_t s, float *restrict o,             \
	                        const float *restrict pc, const float *restrict a, \
	                        const float *restrict q, const float *restrict wi, \
	                        float *restrict g, float c0, float w1, float w2,   \
	                        float w3, float w4) {                              \
		(void)w2; (void)w3; (void)w4;                                          \
		for (int x = 0; x < n; x++) {                                          \
			const float l = LAP;                                               \
			const float v = a[x] * l + q[x] * (pc[x] - o[x]) + o[x];           \
			o[x] = v;                                                          \
			g[x] += v * wi[x];                                                 \
		}                                                                      \
	}
IMG_FN(img_row2, L2(pc))
IMG_FN(img_row4, L4(pc))
IMG_FN(img_row8, L8(pc))

static void wave_fwd_img_rows(const wave_coef *c, const float *A, const float *Q,
                              float *p0, const float *p1, const float *wi, float *g,
                              int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	FTZ_ON();
#if WAVE_AVX512
	if (use512(c)) {
		for (int z = z0; z < z1; z++) {
			row512(c, (ptrdiff_t)z * s, p0, p1, A, Q, 0, 0, 0, wi, g);
			wrap_cols(c, p0 + (ptrdiff_t)z * s + hw);
		}
		FTZ_OFF();
		return;
	}
#endif
	for (int z = z0; z < z1; z++) {
		const ptrdiff_t b = (ptrdiff_t)z * s + hw;
		switch (c->order) {
		case 2:
			img_row2(n, s, p0 + b, p1 + b, A + b, Q + b, wi + b, g + b, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		case 4:
			img_row4(n, s, p0 + b, p1 + b, A + b, Q + b, wi + b, g + b, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		default:
			img_row8(n, s, p0 + b, p1 + b, A + b, Q + b, wi + b, g + b, c->c0, c->w1, c->w2, c->w3, c->w4);
		}
		wrap_cols(c, p0 + b);
	}
	FTZ_OFF();
}

// Forward step plus the imaging condition of two consecutive backward steps,
// g += p1 * wa + p0_new * wb: p1 (μ^{n+1}) is the centre value the stencil
// reads anyway and p0_new (μ^n) the value it writes, so g is read and
// written once per two steps instead of once per step (adjoint.go, paired
// imaging).
#define IMG2_FN(NAME, LAP)                                                     \
	static inline void NAME(int n, ptrdiff_t s, float *restrict o,             \
	                        const float *restrict pc, const float *restrict a, \
	                        const float *restrict q, const float *restrict wa, \
	                        const float *restrict wb, float *restrict g,       \
	                        float c0, float w1, float w2, float w3, float w4) {\
		(void)w2; (void)w3; (void)w4;                                          \
		for (int x = 0; x < n; x++) {                                          \
			const float l = LAP;                                               \
			const float v = a[x] * l + q[x] * (pc[x] - o[x]) + o[x];           \
			o[x] = v;                                                          \
			g[x] += pc[x] * wa[x] + v * wb[x];                                 \
		}                                                                      \
	}
IMG2_FN(img2_row2, L2(pc))
IMG2_FN(img2_row4, L4(pc))
IMG2_FN(img2_row8, L8(pc))

static void wave_fwd_img2_rows(const wave_coef *c, const float *A, const float *Q,
                               float *p0, const float *p1, const float *wa,
                               const float *wb, float *g, int z0, int z1) {
	const ptrdiff_t s = c->stride;
	const int n = c->nxp, hw = c->hw;
	FTZ_ON();
#if WAVE_AVX512
	if (use512(c)) {
		for (int z = z0; z < z1; z++) {
			row512(c, (ptrdiff_t)z * s, p0, p1, A, Q, 0, 0, wa, wb, g);
			wrap_cols(c, p0 + (ptrdiff_t)z * s + hw);
		}
		FTZ_OFF();
		return;
	}
#endif
	for (int z = z0; z < z1; z++) {
		const ptrdiff_t b = (ptrdiff_t)z * s + hw;
		switch (c->order) {
		case 2:
			img2_row2(n, s, p0 + b, p1 + b, A + b, Q + b, wa + b, wb + b, g + b, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		case 4:
			img2_row4(n, s, p0 + b, p1 + b, A + b, Q + b, wa + b, wb + b, g + b, c->c0, c->w1, c->w2, c->w3, c->w4);
			break;
		default:
			img2_row8(n, s, p0 + b, p1 + b, A + b, Q + b, wa + b, wb + b, g + b, c->c0, c->w1, c->w2, c->w3, c->w4);
		}
		wrap_cols(c, p0 + b);
	}
	FTZ_OFF();
}

// One row of the forward step without storing w (o = p0 row, pc = p1 row).
static inline void fwd_row(const wave_coef *c, float *o, const float *pc,
                           const float *a, const float *q) {
	const ptrdiff_t s = c->stride;
#if WAVE_AVX512
	if (use512(c)) {
		const int hw = c->hw;
		row512(c, 0, o - hw, pc - hw, a - hw, q - hw, 0, 0, 0, 0, 0);
		return;
	}
#endif
	switch (c->order) {
	case 2:
		fwd_row2(c->nxp, s, o, pc, a, q, 0, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	case 4:
		fwd_row4(c->nxp, s, o, pc, a, q, 0, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	default:
		fwd_row8(c->nxp, s, o, pc, a, q, 0, c->c0, c->w1, c->w2, c->w3, c->w4);
	}
}

// One row of the paired imaging step (IMG2_FN).
static inline void img2_row(const wave_coef *c, float *o, const float *pc,
                            const float *a, const float *q, const float *wa,
                            const float *wb, float *g) {
	const ptrdiff_t s = c->stride;
#if WAVE_AVX512
	if (use512(c)) {
		const int hw = c->hw;
		row512(c, 0, o - hw, pc - hw, a - hw, q - hw, 0, 0, tape_ptr(c, wa, -hw),
		       tape_ptr(c, wb, -hw), g - hw);
		return;
	}
#endif
	switch (c->order) {
	case 2:
		img2_row2(c->nxp, s, o, pc, a, q, wa, wb, g, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	case 4:
		img2_row4(c->nxp, s, o, pc, a, q, wa, wb, g, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	default:
		img2_row8(c->nxp, s, o, pc, a, q, wa, wb, g, c->c0, c->w1, c->w2, c->w3, c->w4);
	}
}

// wave_bwd2_rows runs two backward steps in one pass over the rows (temporal
// blocking; adjoint.go, fused pairs): step n on rows [a1, b1) (l0 ← μ^n from
// l1 = μ^{n+1}, l0 = μ^{n+2}), then the injections l0[idx[i]] += val[i]
// (idx ascending), then step n−1 on rows [a2, b2) (l1 ← μ^{n−1}) with the
// paired image g += μ^n·wa + μ^{n−1}·wb on rows [ia, ib) (g NULL: none).
// Step n−1 runs hw rows behind step n, so each row of μ^n is used while it
// is still in the L1/L2 cache and the coefficients are loaded once for both
// steps; every value is computed exactly as by the single-step kernels
// (bit for bit), only the order of the rows changes. Rows of l0 outside
// [a1, b1) must already hold μ^n (zero outside the cone).
#ifndef BWD2_PF
#define BWD2_PF 16
#endif
#ifndef BWD2_HINT
#define BWD2_HINT _MM_HINT_T0
#endif
static void wave_bwd2_rows(const wave_coef *c, const float *A, const float *Q,
                           float *l0, float *l1, int a1, int b1,
                           const int *idx, const float *val, int ninj,
                           int a2, int b2, const float *wa, const float *wb,
                           float *g, int ia, int ib) {
	const ptrdiff_t s = c->stride;
	const int hw = c->hw;
	int zlo = a1 < a2 ? a1 : a2;
	int zhi = b1 > b2 + hw ? b1 : b2 + hw;
	int k = 0;
	FTZ_ON();
	for (int z = zlo; z < zhi; z++) {
		if (z >= a1 && z < b1) {
			const ptrdiff_t b = (ptrdiff_t)z * s + hw;
			fwd_row(c, l0 + b, l1 + b, A + b, Q + b);
		}
		for (; k < ninj && idx[k] < (ptrdiff_t)(z + 1) * s; k++)
			l0[idx[k]] += val[k];
		if (z >= a1 && z < b1)
			wrap_cols(c, l0 + (ptrdiff_t)z * s + hw);
		const int y = z - hw;
		// Software prefetch of the stored Laplacians BWD2_PF rows ahead: with
		// full storage they come from memory (measured on OpenFWI, one
		// thread: 46.3 -> 43.6 ms per backward sweep; 4 rows ahead 45.0 ms,
		// 30 rows 43.5 ms).
		if (g && y + BWD2_PF >= ia && y + BWD2_PF < ib) {
			const char *pa = (const char *)tape_ptr(c, wa, (ptrdiff_t)(y + BWD2_PF) * s);
			const char *pb = (const char *)tape_ptr(c, wb, (ptrdiff_t)(y + BWD2_PF) * s);
			const int rowBytes = (int)s * (c->tape16 ? 2 : 4);
			for (int x = 0; x < rowBytes; x += 64) {
				_mm_prefetch(pa + x, BWD2_HINT);
				_mm_prefetch(pb + x, BWD2_HINT);
			}
		}
		if (y >= a2 && y < b2) {
			const ptrdiff_t b = (ptrdiff_t)y * s + hw;
			if (g && y >= ia && y < ib)
				img2_row(c, l1 + b, l0 + b, A + b, Q + b, tape_ptr(c, wa, b), tape_ptr(c, wb, b), g + b);
			else
				fwd_row(c, l1 + b, l0 + b, A + b, Q + b);
			wrap_cols(c, l1 + b);
		}
	}
	for (; k < ninj; k++)
		l0[idx[k]] += val[k];
	FTZ_OFF();
}

// One row of the forward step storing w (regular stores, or, with tmp
// non-NULL, into the staging row tmp + hw and then streamed to the whole
// row of w including its zero halo columns: see wave_fwd_rows_nt).
static inline void fwd_row_w(const wave_coef *c, float *o, const float *pc,
                             const float *a, const float *q, float *w,
                             float *tmp) {
	const ptrdiff_t s = c->stride;
#if WAVE_AVX512
	if (use512(c)) {
		// tmp non-NULL: a streamed tape (wave_fwd2_rows issues the fence).
		const int hw = c->hw;
		float *w0 = tape_ptr(c, w, -hw);
		row512(c, 0, o - hw, pc - hw, a - hw, q - hw, w0, tmp ? ntmode(c, w0) : 0, 0, 0, 0);
		return;
	}
#endif
	float *dst = tmp ? tmp + c->hw : w;
	switch (c->order) {
	case 2:
		fwd_row2(c->nxp, s, o, pc, a, q, dst, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	case 4:
		fwd_row4(c->nxp, s, o, pc, a, q, dst, c->c0, c->w1, c->w2, c->w3, c->w4);
		break;
	default:
		fwd_row8(c->nxp, s, o, pc, a, q, dst, c->c0, c->w1, c->w2, c->w3, c->w4);
	}
	if (tmp)
		stream_copy(w - c->hw, tmp, (int)s);
}

// wave_fwd2_rows runs two forward steps in one pass over the rows (temporal
// blocking, like wave_bwd2_rows): step n on rows [a1, b1) (p0 ← p^{n+1} from
// p1 = p^n, p0 = p^{n−1}; w^n to ws1 if non-NULL), then p0[src] += fsrc (src
// < 0: none), then step n+1 on rows [a2, b2) (p1 ← p^{n+2}; w^{n+1} to ws2 if
// non-NULL), hw rows behind. stream: write ws1, ws2 with non-temporal stores
// (rows no wider than NT_MAX_STRIDE). Values equal the single-step kernels'
// bit for bit. Rows of p0 outside [a1, b1) must already hold p^{n+1}. w is
// stored only on rows [ta, tb) (the rows the adjoint images).
static void wave_fwd2_rows(const wave_coef *c, const float *A, const float *Q,
                           float *p0, float *p1, int a1, int b1, float *ws1,
                           ptrdiff_t src, float fsrc, int a2, int b2, float *ws2,
                           int stream, int ta, int tb) {
	const ptrdiff_t s = c->stride;
	const int hw = c->hw;
	float tmp1[NT_MAX_STRIDE], tmp2[NT_MAX_STRIDE];
	float *t1 = 0, *t2 = 0;
	if (stream && s <= NT_MAX_STRIDE) {
		for (int x = 0; x < hw; x++) {
			tmp1[x] = tmp1[hw + c->nxp + x] = 0;
			tmp2[x] = tmp2[hw + c->nxp + x] = 0;
		}
		t1 = tmp1;
		t2 = tmp2;
	}
	const int zs = src >= 0 ? (int)(src / s) : -1;
	int zlo = a1 < a2 ? a1 : a2;
	int zhi = b1 > b2 + hw ? b1 : b2 + hw;
	if (zs >= 0 && zs + 1 > zhi)
		zhi = zs + 1;
	if (zs >= 0 && zs < zlo)
		zlo = zs;
	FTZ_ON();
	for (int z = zlo; z < zhi; z++) {
		if (z >= a1 && z < b1) {
			const ptrdiff_t b = (ptrdiff_t)z * s + hw;
			if (ws1 && z >= ta && z < tb)
				fwd_row_w(c, p0 + b, p1 + b, A + b, Q + b, tape_ptr(c, ws1, b), t1);
			else
				fwd_row(c, p0 + b, p1 + b, A + b, Q + b);
		}
		if (z == zs)
			p0[src] += fsrc;
		if (z >= a1 && z < b1)
			wrap_cols(c, p0 + (ptrdiff_t)z * s + hw);
		const int y = z - hw;
		if (y >= a2 && y < b2) {
			const ptrdiff_t b = (ptrdiff_t)y * s + hw;
			if (ws2 && y >= ta && y < tb)
				fwd_row_w(c, p1 + b, p0 + b, A + b, Q + b, tape_ptr(c, ws2, b), t2);
			else
				fwd_row(c, p1 + b, p0 + b, A + b, Q + b);
			wrap_cols(c, p1 + b);
		}
	}
	if (t1)
		_mm_sfence();
	FTZ_OFF();
}
