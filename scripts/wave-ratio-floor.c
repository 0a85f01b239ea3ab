// wave-ratio-floor: what an exact, full-storage FWI gradient must cost on this
// machine, measured without genfwi's scheduling around it (docs/wave.md,
// "Session 4": why the ratio stays above 3).
//
//   gcc -O3 -march=native -std=c11 -pthread -o /tmp/ratio-floor scripts/wave-ratio-floor.c
//   flock /tmp/genfwi-heavy.lock /tmp/ratio-floor
//
// With -DBF16 the tape holds bfloat16 values (half the bytes, as
// wave.Options.TapeBF16): the same measurement for the inexact variant.
//
// It times, for one OpenFWI shot (310×310 padded grid, 4th order, 1000 steps)
// per thread, with one and with two threads each running its own shot:
//   - memory bandwidth: non-temporal writes and reads of a 402 MB buffer (the
//     size of one shot's tape of Laplacians);
//   - fwd: a forward sweep with an AVX-512 kernel on 64-byte-aligned rows (each
//     vector load of the centre and vertical neighbours aligned, no scalar tail);
//   - fwd+tape: the same sweep storing every step's Laplacian with non-temporal
//     stores inline (the full-storage tape, 402 MB; 201 MB with -DBF16);
//   - adj: the adjoint sweep in μ = A∘λ (the same stencil) without imaging;
//   - adj+img: the adjoint sweep with the paired imaging condition
//     g += μ^{n+1} w^n + μ^n w^{n−1}, reading the tape back from memory with
//     software prefetch.
// The per-shot ratio (fwd+tape + adj+img) / fwd is what full storage costs in
// forwards before any scheduling overhead. Field values are synthetic (no
// physics is checked here); only the memory traffic and the instruction mix
// matter.
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef __AVX512F__
int main(void) {
	fprintf(stderr, "wave-ratio-floor needs AVX-512 (build with -march=native on such a CPU)\n");
	return 1;
}
#else

enum { NT_STEPS = 1000, NZP = 310, NXP = 310, HW = 2, S = 320, ROWS = NZP + 2 * HW, PF = 8, REPS = 5 };
static const size_t F = (size_t)ROWS * S;
#ifdef BF16
// Tape fields hold bfloat16 values: TS floats per stored step.
static const size_t TS = (size_t)ROWS * S / 2;
#define TAPE_LOAD(p, x) _mm512_castsi512_ps(_mm512_slli_epi32( \
	_mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)((const unsigned short *)(p) + (x)))), 16))
#define TAPE_STORE(p, x, v) _mm256_stream_si256((__m256i *)((unsigned short *)(p) + (x)), to_bf16(v))
// Round to nearest even on the top 16 bits (genfwi's to_bf16).
static inline __m256i to_bf16(__m512 v) {
	const __m512i u = _mm512_castps_si512(v);
	const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF),
	                                                       _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1))));
	return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
}
#define TAPE_ROW(p, r) ((float *)((unsigned short *)(p) + (r)))
#else
static const size_t TS = (size_t)ROWS * S;
#define TAPE_LOAD(p, x) _mm512_load_ps((p) + (x))
#define TAPE_STORE(p, x, v) _mm512_stream_ps((p) + (x), (v))
#define TAPE_ROW(p, r) ((p) + (r))
#endif

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

// One step on rows [HW, HW+NZP): o ← A·l + Q·(pc − o) + o with l the
// 4th-order Laplacian of pc (interior columns only); w (non-NULL) gets l with
// non-temporal stores; g (non-NULL) gets the paired image g += pc·wa + o·wb.
__attribute__((noinline)) static void step(float *o0, const float *p1, const float *A, const float *Q, float *w0,
                 const float *wa0, const float *wb0, float *g0) {
	const __m512 c0 = _mm512_set1_ps(-5.0f), w1 = _mm512_set1_ps(4.0f / 3), w2 = _mm512_set1_ps(-1.0f / 12);
	const unsigned csr = _mm_getcsr();
	_mm_setcsr(csr | 0x8040); // flush-to-zero, denormals-are-zero, as genfwi's kernels
	for (int z = HW; z < HW + NZP; z++) {
		const size_t r = (size_t)z * S;
		const float *pc = p1 + r, *a = A + r, *q = Q + r;
		float *o = o0 + r, *w = w0 ? TAPE_ROW(w0, r) : 0, *g = g0 ? g0 + r : 0;
		const float *wa = wa0 ? TAPE_ROW(wa0, r) : 0, *wb = wb0 ? TAPE_ROW(wb0, r) : 0;
		if (wb)
			for (int x = 0; x < S; x += 16) {
				_mm_prefetch((const char *)(wb + PF * S + x), _MM_HINT_T0);
				if (wa)
					_mm_prefetch((const char *)(wa + PF * S + x), _MM_HINT_T0);
			}
		for (int x = 0; x < S; x += 16) {
			const __m512 c = _mm512_load_ps(pc + x);
			const __m512 h1 = _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(pc + x - 1), _mm512_loadu_ps(pc + x + 1)),
			                                _mm512_add_ps(_mm512_load_ps(pc + x - S), _mm512_load_ps(pc + x + S)));
			const __m512 h2 = _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(pc + x - 2), _mm512_loadu_ps(pc + x + 2)),
			                                _mm512_add_ps(_mm512_load_ps(pc + x - 2 * S), _mm512_load_ps(pc + x + 2 * S)));
			const __m512 l = _mm512_fmadd_ps(w2, h2, _mm512_fmadd_ps(w1, h1, _mm512_mul_ps(c0, c)));
			const __m512 ov = _mm512_load_ps(o + x);
			const __m512 v = _mm512_fmadd_ps(_mm512_load_ps(a + x), l,
			                                 _mm512_fmadd_ps(_mm512_load_ps(q + x), _mm512_sub_ps(c, ov), ov));
			__mmask16 m = 0xFFFF;
			if (x < HW)
				m &= (__mmask16)(0xFFFF << HW);
			if (x + 16 > HW + NXP) {
				const int k = HW + NXP - x;
				m &= (__mmask16)(k <= 0 ? 0 : (0xFFFF >> (16 - k)));
			}
			_mm512_mask_store_ps(o + x, m, v);
			if (w)
				TAPE_STORE(w, x, l);
			if (wb) {
				__m512 gv = _mm512_fmadd_ps(v, TAPE_LOAD(wb, x), _mm512_load_ps(g + x));
				if (wa)
					gv = _mm512_fmadd_ps(c, TAPE_LOAD(wa, x), gv);
				_mm512_mask_store_ps(g + x, m, gv);
			}
		}
	}
	if (w0)
		_mm_sfence();
	_mm_setcsr(csr);
}

// field returns zeroed field k, 64-byte aligned, with room for the loads
// around it, staggered by 640 bytes per k as genfwi staggers its buffers
// (wave/buffers.go): fields at equal offsets within a page alias in the
// load/store unit.
static float *field(int k) {
	const size_t n = F + 8192;
	float *p = aligned_alloc(64, n * sizeof(float));
	memset(p, 0, n * sizeof(float));
	return p + 1024 + 160 * k;
}

static int nth;
static pthread_barrier_t bar;
static double best[2][6];

static void *worker(void *arg) {
	const long id = (long)arg;
	float *A = field(0), *Q = field(1), *p0 = field(3), *p1 = field(4), *l0 = field(5), *l1 = field(6), *g = field(7);
	for (int z = HW; z < HW + NZP; z++)
		for (int x = HW; x < HW + NXP; x++) {
			const size_t i = (size_t)z * S + x;
			A[i] = 0.02f + 0.18f * (float)((x * 7 + z * 13) % 17) / 17;
			Q[i] = 2;
			p0[i] = 1e-3f * (float)((x + z) % 5);
			p1[i] = 1e-3f * (float)((x * 3 + z) % 7);
			l0[i] = p0[i];
			l1[i] = p1[i];
		}
	const size_t tapeBytes = F * sizeof(float) * NT_STEPS;
	float *tape = aligned_alloc(64, tapeBytes + 64 * (size_t)S);
	memset(tape, 0, tapeBytes + 64 * (size_t)S);
	for (int k = 0; k < 6; k++)
		best[id][k] = 1e30;
	for (int rep = 0; rep < REPS; rep++) {
		double t[7];
		pthread_barrier_wait(&bar);
		t[0] = now();
		const __m512 one = _mm512_set1_ps(1);
		for (size_t i = 0; i < tapeBytes / 4; i += 16)
			_mm512_stream_ps(tape + i, one);
		_mm_sfence();
		pthread_barrier_wait(&bar);
		t[1] = now();
		__m512 acc = _mm512_setzero_ps();
		for (size_t i = 0; i < tapeBytes / 4; i += 16)
			acc = _mm512_add_ps(acc, _mm512_load_ps(tape + i));
		if (_mm512_reduce_add_ps(acc) == 1.2345f)
			printf(" ");
		pthread_barrier_wait(&bar);
		t[2] = now();
		for (int n = 0; n < NT_STEPS; n++) {
			step(p0, p1, A, Q, 0, 0, 0, 0);
			float *x = p0; p0 = p1; p1 = x;
		}
		pthread_barrier_wait(&bar);
		t[3] = now();
		for (int n = 0; n < NT_STEPS; n++) {
			step(p0, p1, A, Q, tape + TS * n, 0, 0, 0);
			float *x = p0; p0 = p1; p1 = x;
		}
		pthread_barrier_wait(&bar);
		t[4] = now();
		for (int n = NT_STEPS - 1; n >= 1; n -= 2) {
			step(l0, l1, A, Q, 0, 0, 0, 0);
			step(l1, l0, A, Q, 0, 0, 0, 0);
		}
		pthread_barrier_wait(&bar);
		t[5] = now();
		for (int n = NT_STEPS - 1; n >= 1; n -= 2) {
			step(l0, l1, A, Q, 0, 0, 0, 0);
			step(l1, l0, A, Q, 0, tape + TS * n, tape + TS * (n - 1), g);
		}
		t[6] = now();
		for (int k = 0; k < 6; k++)
			if (t[k + 1] - t[k] < best[id][k])
				best[id][k] = t[k + 1] - t[k];
	}
	return 0;
}

int main(void) {
	const double mb = (double)F * sizeof(float) * NT_STEPS / 1e6;
	for (nth = 1; nth <= 2; nth++) {
		pthread_barrier_init(&bar, 0, nth);
		pthread_t t[2];
		for (long i = 0; i < nth; i++)
			pthread_create(&t[i], 0, worker, (void *)i);
		for (int i = 0; i < nth; i++)
			pthread_join(t[i], 0);
		pthread_barrier_destroy(&bar);
		for (int i = 0; i < nth; i++) {
			const double *b = best[i];
			printf("%d thread(s), thread %d: NT write %.1f GB/s, read %.1f GB/s (%.0f MB); per shot: fwd %.1f ms, "
			       "fwd+tape %.1f ms, adj %.1f ms, adj+img %.1f ms; (fwd+tape + adj+img)/fwd = %.2f\n",
			       nth, i, mb / 1e3 / b[0], mb / 1e3 / b[1], mb, b[2] * 1e3, b[3] * 1e3, b[4] * 1e3, b[5] * 1e3,
			       (b[3] + b[5]) / b[2]);
		}
	}
	return 0;
}
#endif
