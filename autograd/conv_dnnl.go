//go:build cgo && !noblas && !nodnnl

package autograd

/*
#cgo CFLAGS: -O2
#cgo LDFLAGS: -ldnnl -lgomp
#include <dnnl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void omp_set_num_threads(int);

// gf_conv is the geometry of one convolution (transposed = 0) or transposed
// convolution (transposed = 1) over a whole batch, in the engine's terms:
// input x (n, c, h, w), output y (n, f, oh, ow); weights (f, c, kh, kw) for a
// convolution and (c, f, kh, kw) (PyTorch's ConvTranspose2d layout) for a
// transposed one. Padding is top, bottom, left, right of the convolution; for
// a transposed convolution it is PyTorch's padding, and opb/opr its
// output_padding. Dilations are PyTorch's (1 = dense).
typedef struct {
	int transposed;
	int n, c, h, w, f, kh, kw, oh, ow;
	int sh, sw, pt, pb, pl, pr, dh, dw, opb, opr;
	int threads;
	int relu; // forward: apply ReLU to the output (an eltwise post-op)
} gf_conv;

static dnnl_engine_t gf_engine;
static dnnl_status_t gf_engine_status = dnnl_runtime_error;
static pthread_once_t gf_engine_once = PTHREAD_ONCE_INIT;

// The CPU engine is created once per process: it only names the device,
// and oneDNN's own primitive cache (keyed by descriptor) makes creating the
// descriptors and primitives of every call cheap (a few microseconds).
static void gf_engine_init(void) { gf_engine_status = dnnl_engine_create(&gf_engine, dnnl_cpu, 0); }

// gf_block_sigprof blocks SIGPROF on the calling thread for the duration of
// a oneDNN call and returns the previous mask. OpenMP's worker threads are
// created inside such a call and inherit the mask, so Go's CPU profiler
// never interrupts them: a SIGPROF handled on one of these C threads while
// it was inside malloc corrupted the C heap ("corrupted size vs. prev_size",
// reproduced with go test -cpuprofile on the InversionNet step). Go code is
// still profiled; time inside oneDNN is charged to the calling goroutine
// when the pending signal is delivered.
static sigset_t gf_block_sigprof(void) {
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGPROF);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	return old;
}

static void gf_restore_mask(sigset_t old) { pthread_sigmask(SIG_SETMASK, &old, NULL); }

#define GF_CK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { st = s_; goto done; } } while (0)

// gf_desc fills the operation descriptor; any_fmt selects format_tag_any
// (oneDNN picks its blocked layouts) instead of the plain user layouts.
static dnnl_status_t gf_desc(const gf_conv *g, int kind, dnnl_convolution_desc_t *d,
		dnnl_memory_desc_t *src, dnnl_memory_desc_t *wei, dnnl_memory_desc_t *bia, dnnl_memory_desc_t *dst) {
	dnnl_dims_t sd = {g->n, g->c, g->h, g->w}, dd = {g->n, g->f, g->oh, g->ow}, bd = {g->f};
	dnnl_dims_t str = {g->sh, g->sw}, dil = {g->dh - 1, g->dw - 1};
	dnnl_dims_t pl = {g->pt, g->pl}, pr = {g->pb - g->opb, g->pr - g->opr};
	dnnl_status_t s;
	if ((s = dnnl_memory_desc_init_by_tag(src, 4, sd, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
	if ((s = dnnl_memory_desc_init_by_tag(dst, 4, dd, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
	if (bia && (s = dnnl_memory_desc_init_by_tag(bia, 1, bd, dnnl_f32, dnnl_x)) != dnnl_success) return s;
	if (!g->transposed) {
		dnnl_dims_t wd = {g->f, g->c, g->kh, g->kw};
		if ((s = dnnl_memory_desc_init_by_tag(wei, 4, wd, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
		switch (kind) {
		case 0: return dnnl_dilated_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct, src, wei, bia, dst, str, dil, pl, pr);
		case 1: return dnnl_dilated_convolution_backward_data_desc_init(d, dnnl_convolution_direct, src, wei, dst, str, dil, pl, pr);
		default: return dnnl_dilated_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, src, wei, bia, dst, str, dil, pl, pr);
		}
	}
	dnnl_dims_t wd = {g->f, g->c, g->kh, g->kw};
	if ((s = dnnl_memory_desc_init_by_tag(wei, 4, wd, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
	switch (kind) {
	case 0: return dnnl_dilated_deconvolution_forward_desc_init(d, dnnl_forward_training, dnnl_deconvolution_direct, src, wei, bia, dst, str, dil, pl, pr);
	case 1: return dnnl_dilated_deconvolution_backward_data_desc_init(d, dnnl_deconvolution_direct, src, wei, dst, str, dil, pl, pr);
	default: return dnnl_dilated_deconvolution_backward_weights_desc_init(d, dnnl_deconvolution_direct, src, wei, bia, dst, str, dil, pl, pr);
	}
}

// gf_user_md returns the plain layout of the caller's arrays.
static dnnl_status_t gf_user_md(const gf_conv *g, int which, dnnl_memory_desc_t *md) {
	switch (which) {
	case 0: { dnnl_dims_t d = {g->n, g->c, g->h, g->w}; return dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, dnnl_nchw); }
	case 1: { dnnl_dims_t d = {g->n, g->f, g->oh, g->ow}; return dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, dnnl_nchw); }
	default: { dnnl_dims_t d = {g->f, g->c, g->kh, g->kw}; return dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, g->transposed ? dnnl_iohw : dnnl_oihw); }
	}
}

// gf_reorder copies (accumulate = 0) or adds (accumulate = 1) the array
// from, laid out as fmd, into to, laid out as tmd.
static dnnl_status_t gf_reorder(dnnl_stream_t stm, const dnnl_memory_desc_t *fmd, void *from,
		const dnnl_memory_desc_t *tmd, void *to, int accumulate) {
	dnnl_status_t st = dnnl_success;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_post_ops_t po = NULL;
	dnnl_primitive_desc_t pd = NULL;
	dnnl_primitive_t p = NULL;
	dnnl_memory_t mf = NULL, mt = NULL;
	if (accumulate) {
		GF_CK(dnnl_primitive_attr_create(&attr));
		GF_CK(dnnl_post_ops_create(&po));
		GF_CK(dnnl_post_ops_append_sum(po, 1.0f));
		GF_CK(dnnl_primitive_attr_set_post_ops(attr, po));
	}
	GF_CK(dnnl_reorder_primitive_desc_create(&pd, fmd, gf_engine, tmd, gf_engine, attr));
	GF_CK(dnnl_primitive_create(&p, pd));
	GF_CK(dnnl_memory_create(&mf, fmd, gf_engine, from));
	GF_CK(dnnl_memory_create(&mt, tmd, gf_engine, to));
	dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, mf}, {DNNL_ARG_TO, mt}};
	GF_CK(dnnl_primitive_execute(p, stm, 2, a));
done:
	if (mf) dnnl_memory_destroy(mf);
	if (mt) dnnl_memory_destroy(mt);
	if (p) dnnl_primitive_destroy(p);
	if (pd) dnnl_primitive_desc_destroy(pd);
	if (po) dnnl_post_ops_destroy(po);
	if (attr) dnnl_primitive_attr_destroy(attr);
	return st;
}

// gf_arg is one argument of a primitive: the caller's plain array user and
// the layout the primitive wants. When the two layouts differ, buf (a
// scratch buffer of the caller's) holds the array in the primitive's layout.
typedef struct {
	const dnnl_memory_desc_t *want;
	dnnl_memory_desc_t user_md;
	void *user;
	void *buf;
	dnnl_memory_t mem;
} gf_arg;

// gf_scr are the caller's scratch buffers, one per argument slot. In a dry
// run (dry = 1) the functions only record the bytes each slot needs in size
// (0: the caller's array is used directly) and execute nothing: the Go side
// then takes the buffers from the tape's pool, so that the large blocked
// copies are not mapped and unmapped on every call (page faults took a
// third of the InversionNet step with malloc here).
typedef struct {
	void *buf[6];
	size_t *size;
	int dry;
} gf_scr;

// gf_bind points a at the caller's array user (laid out as gf_user_md's
// which) and at the layout pd wants for the argument queried by q.
static dnnl_status_t gf_bind(gf_arg *a, const_dnnl_primitive_desc_t pd, dnnl_query_t q, const gf_conv *g, int which, void *user) {
	a->want = dnnl_primitive_desc_query_md(pd, q, 0);
	a->user = user;
	return gf_user_md(g, which, &a->user_md);
}

// gf_arg_in prepares an input: the user array itself when the layouts
// agree, else a reordered copy in scratch slot.
static dnnl_status_t gf_arg_in(dnnl_stream_t stm, gf_arg *a, gf_scr *s, int slot) {
	if (dnnl_memory_desc_equal(a->want, &a->user_md)) {
		if (s->dry) return dnnl_success;
		return dnnl_memory_create(&a->mem, a->want, gf_engine, a->user);
	}
	if (s->dry) {
		s->size[slot] = dnnl_memory_desc_get_size(a->want);
		return dnnl_success;
	}
	if (!s->buf[slot]) return dnnl_invalid_arguments;
	a->buf = s->buf[slot];
	dnnl_status_t st = gf_reorder(stm, &a->user_md, a->user, a->want, a->buf, 0);
	if (st != dnnl_success) return st;
	return dnnl_memory_create(&a->mem, a->want, gf_engine, a->buf);
}

// gf_arg_out prepares an output in scratch slot (written by the primitive,
// then copied or added into the user array by gf_arg_finish).
static dnnl_status_t gf_arg_out(gf_arg *a, gf_scr *s, int slot) {
	if (s->dry) {
		s->size[slot] = dnnl_memory_desc_get_size(a->want);
		return dnnl_success;
	}
	if (!s->buf[slot]) return dnnl_invalid_arguments;
	a->buf = s->buf[slot];
	return dnnl_memory_create(&a->mem, a->want, gf_engine, a->buf);
}

static dnnl_status_t gf_arg_finish(dnnl_stream_t stm, gf_arg *a, int accumulate) {
	return gf_reorder(stm, a->want, a->buf, &a->user_md, a->user, accumulate);
}

static void gf_arg_free(gf_arg *a) {
	if (a->mem) dnnl_memory_destroy(a->mem);
}

// gf_conv_forward computes y = conv(x, w) + b for the whole batch (b may be
// NULL). It returns a dnnl_status_t (0 = success); on failure y is
// unspecified and the caller falls back to its own kernels.
static int gf_conv_forward_(const gf_conv *g, float *x, float *w, float *b, float *y, gf_scr *scr) {
	dnnl_status_t st = dnnl_success;
	dnnl_primitive_desc_t pd = NULL;
	dnnl_primitive_t p = NULL;
	dnnl_stream_t stm = NULL;
	dnnl_memory_t mb = NULL;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_post_ops_t po = NULL;
	gf_arg ax = {0}, aw = {0}, ay = {0};
	dnnl_convolution_desc_t d;
	dnnl_memory_desc_t src, wei, bia, dst;
	pthread_once(&gf_engine_once, gf_engine_init);
	if (gf_engine_status != dnnl_success) return gf_engine_status;
	omp_set_num_threads(g->threads);
	GF_CK(gf_desc(g, 0, &d, &src, &wei, b ? &bia : NULL, &dst));
	if (g->relu) {
		GF_CK(dnnl_primitive_attr_create(&attr));
		GF_CK(dnnl_post_ops_create(&po));
		GF_CK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
		GF_CK(dnnl_primitive_attr_set_post_ops(attr, po));
	}
	GF_CK(dnnl_primitive_desc_create(&pd, &d, attr, gf_engine, NULL));
	GF_CK(dnnl_primitive_create(&p, pd));
	GF_CK(dnnl_stream_create(&stm, gf_engine, dnnl_stream_default_flags));
	GF_CK(gf_bind(&ax, pd, dnnl_query_src_md, g, 0, x));
	GF_CK(gf_bind(&aw, pd, dnnl_query_weights_md, g, 2, w));
	GF_CK(gf_bind(&ay, pd, dnnl_query_dst_md, g, 1, y));
	GF_CK(gf_arg_in(stm, &ax, scr, 0));
	GF_CK(gf_arg_in(stm, &aw, scr, 1));
	int direct_out = dnnl_memory_desc_equal(ay.want, &ay.user_md);
	if (direct_out) {
		if (!scr->dry) GF_CK(dnnl_memory_create(&ay.mem, ay.want, gf_engine, y));
	} else {
		GF_CK(gf_arg_out(&ay, scr, 2));
	}
	if (scr->dry) goto done;
	dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ax.mem}, {DNNL_ARG_WEIGHTS, aw.mem}, {DNNL_ARG_DST, ay.mem}, {DNNL_ARG_BIAS, NULL}};
	int nargs = 3;
	if (b) {
		GF_CK(dnnl_memory_create(&mb, &bia, gf_engine, b));
		args[3].memory = mb;
		nargs = 4;
	}
	GF_CK(dnnl_primitive_execute(p, stm, nargs, args));
	if (!direct_out) GF_CK(gf_arg_finish(stm, &ay, 0));
	GF_CK(dnnl_stream_wait(stm));
done:
	gf_arg_free(&ax); gf_arg_free(&aw); gf_arg_free(&ay);
	if (mb) dnnl_memory_destroy(mb);
	if (stm) dnnl_stream_destroy(stm);
	if (p) dnnl_primitive_destroy(p);
	if (pd) dnnl_primitive_desc_destroy(pd);
	if (po) dnnl_post_ops_destroy(po);
	if (attr) dnnl_primitive_attr_destroy(attr);
	return st;
}

// gf_conv_backward ADDS the gradients of a convolution into gx (the input),
// gw (the weights) and gb (the bias) given the output gradient gy; any of
// the three may be NULL. With gx_set the input gradient overwrites gx
// instead (a fresh, uncleared buffer: the reorder then neither reads gx
// nor needs it zeroed). x and w are the forward pass's input and weights.
// It returns a dnnl_status_t (0 = success); on failure nothing has been
// added (every result is computed before the first is accumulated).
static int gf_conv_backward_(const gf_conv *g, float *x, float *w, float *gy, float *gx, float *gw, float *gb, int gx_set, gf_scr *scr) {
	dnnl_status_t st = dnnl_success;
	dnnl_primitive_desc_t fpd = NULL, dpd = NULL, wpd = NULL;
	dnnl_primitive_t dp = NULL, wp = NULL;
	dnnl_stream_t stm = NULL;
	dnnl_memory_t mgb = NULL;
	float *gbtmp = NULL;
	gf_arg dgy = {0}, dw = {0}, dgx = {0}, wx = {0}, wgy = {0}, wgw = {0};
	dnnl_convolution_desc_t d;
	dnnl_memory_desc_t src, wei, bia, dst;
	pthread_once(&gf_engine_once, gf_engine_init);
	if (gf_engine_status != dnnl_success) return gf_engine_status;
	omp_set_num_threads(g->threads);
	GF_CK(dnnl_stream_create(&stm, gf_engine, dnnl_stream_default_flags));
	GF_CK(gf_desc(g, 0, &d, &src, &wei, &bia, &dst));
	GF_CK(dnnl_primitive_desc_create(&fpd, &d, NULL, gf_engine, NULL));
	if (gx) {
		GF_CK(gf_desc(g, 1, &d, &src, &wei, NULL, &dst));
		GF_CK(dnnl_primitive_desc_create(&dpd, &d, NULL, gf_engine, fpd));
		GF_CK(dnnl_primitive_create(&dp, dpd));
		GF_CK(gf_bind(&dgy, dpd, dnnl_query_diff_dst_md, g, 1, gy));
		GF_CK(gf_bind(&dw, dpd, dnnl_query_weights_md, g, 2, w));
		GF_CK(gf_bind(&dgx, dpd, dnnl_query_diff_src_md, g, 0, gx));
		GF_CK(gf_arg_in(stm, &dgy, scr, 0));
		GF_CK(gf_arg_in(stm, &dw, scr, 1));
		GF_CK(gf_arg_out(&dgx, scr, 2));
		if (!scr->dry) {
			dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, dgy.mem}, {DNNL_ARG_WEIGHTS, dw.mem}, {DNNL_ARG_DIFF_SRC, dgx.mem}};
			GF_CK(dnnl_primitive_execute(dp, stm, 3, a));
		}
	}
	if (gw || gb) {
		GF_CK(gf_desc(g, 2, &d, &src, &wei, &bia, &dst));
		GF_CK(dnnl_primitive_desc_create(&wpd, &d, NULL, gf_engine, fpd));
		GF_CK(dnnl_primitive_create(&wp, wpd));
		GF_CK(gf_bind(&wx, wpd, dnnl_query_src_md, g, 0, x));
		GF_CK(gf_bind(&wgy, wpd, dnnl_query_diff_dst_md, g, 1, gy));
		GF_CK(gf_bind(&wgw, wpd, dnnl_query_diff_weights_md, g, 2, gw));
		GF_CK(gf_arg_in(stm, &wx, scr, 3));
		if (gx && dnnl_memory_desc_equal(wgy.want, dgy.want)) {
			// Both primitives want the output gradient in the same
			// layout: reuse the backward-data copy instead of
			// reordering gy a second time.
			if (!scr->dry) GF_CK(dnnl_memory_create(&wgy.mem, wgy.want, gf_engine, dgy.buf ? dgy.buf : gy));
		} else {
			GF_CK(gf_arg_in(stm, &wgy, scr, 4));
		}
		GF_CK(gf_arg_out(&wgw, scr, 5));
		if (scr->dry) goto done;
		gbtmp = calloc(g->f, sizeof(float));
		if (!gbtmp) { st = dnnl_out_of_memory; goto done; }
		GF_CK(dnnl_memory_create(&mgb, &bia, gf_engine, gbtmp));
		dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, wx.mem}, {DNNL_ARG_DIFF_DST, wgy.mem}, {DNNL_ARG_DIFF_WEIGHTS, wgw.mem}, {DNNL_ARG_DIFF_BIAS, mgb}};
		GF_CK(dnnl_primitive_execute(wp, stm, 4, a));
	}
	if (scr->dry) goto done;
	GF_CK(dnnl_stream_wait(stm));
	if (gx) GF_CK(gf_arg_finish(stm, &dgx, !gx_set));
	if (gw) GF_CK(gf_arg_finish(stm, &wgw, 1));
	GF_CK(dnnl_stream_wait(stm));
	if (gb) for (int i = 0; i < g->f; i++) gb[i] += gbtmp[i];
done:
	gf_arg_free(&dgy); gf_arg_free(&dw); gf_arg_free(&dgx);
	gf_arg_free(&wx); gf_arg_free(&wgy); gf_arg_free(&wgw);
	if (mgb) dnnl_memory_destroy(mgb);
	free(gbtmp);
	if (stm) dnnl_stream_destroy(stm);
	if (dp) dnnl_primitive_destroy(dp);
	if (wp) dnnl_primitive_destroy(wp);
	if (dpd) dnnl_primitive_desc_destroy(dpd);
	if (wpd) dnnl_primitive_desc_destroy(wpd);
	if (fpd) dnnl_primitive_desc_destroy(fpd);
	return st;
}
// gf_conv_forward and gf_conv_backward run the operation with the scratch
// buffers s0…s5, or, with sizes set (6 entries), only record the bytes each
// scratch slot needs.
static int gf_conv_forward(const gf_conv *g, float *x, float *w, float *b, float *y,
		float *s0, float *s1, float *s2, size_t *sizes) {
	gf_scr scr = {{s0, s1, s2, NULL, NULL, NULL}, sizes, sizes != NULL};
	sigset_t old = gf_block_sigprof();
	int st = gf_conv_forward_(g, x, w, b, y, &scr);
	gf_restore_mask(old);
	return st;
}

static int gf_conv_backward(const gf_conv *g, float *x, float *w, float *gy, float *gx, float *gw, float *gb, int gx_set,
		float *s0, float *s1, float *s2, float *s3, float *s4, float *s5, size_t *sizes) {
	gf_scr scr = {{s0, s1, s2, s3, s4, s5}, sizes, sizes != NULL};
	sigset_t old = gf_block_sigprof();
	int st = gf_conv_backward_(g, x, w, gy, gx, gw, gb, gx_set, &scr);
	gf_restore_mask(old);
	return st;
}
*/
import "C"

import (
	"unsafe"

	"genfwi/tensor"
)

// ConvBackend names the convolution implementation compiled in: "onednn"
// (oneDNN's JIT kernels for the whole batch, the library PyTorch uses for
// CPU convolutions) or "im2col" (per-sample im2col + GEMM).
const ConvBackend = "onednn"

// dnnlGeom converts the engine's geometry to oneDNN's. For a convolution
// g describes x → y directly and cin is unused; for a transposed
// convolution g is the forward convolution that maps the output back to
// the input (as in ConvTranspose2d: C = output channels, H×W = output grid,
// OH×OW = input grid) and cin is the input channel count.
func dnnlGeom(transposed bool, n int, g *convGeom, cin, f int, o Conv2dOpts) C.gf_conv {
	c := C.gf_conv{
		n: C.int(n), kh: C.int(g.KH), kw: C.int(g.KW),
		sh: C.int(g.SH), sw: C.int(g.SW), dh: C.int(g.DH), dw: C.int(g.DW),
		pt: C.int(o.Pad[0]), pb: C.int(o.Pad[1]), pl: C.int(o.Pad[2]), pr: C.int(o.Pad[3]),
		threads: C.int(max(tensor.Threads(), 1)),
	}
	if !transposed {
		c.c, c.h, c.w, c.f, c.oh, c.ow = C.int(g.C), C.int(g.H), C.int(g.W), C.int(f), C.int(g.OH), C.int(g.OW)
		return c
	}
	c.transposed = 1
	c.c, c.h, c.w, c.f, c.oh, c.ow = C.int(cin), C.int(g.OH), C.int(g.OW), C.int(g.C), C.int(g.H), C.int(g.W)
	c.opb, c.opr = C.int(o.OutputPad[0]), C.int(o.OutputPad[1])
	return c
}

// ptr returns a C pointer to the first element of s, or nil for an empty
// slice.
func ptr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

// dnnlConv is one (transposed) convolution over a whole batch handed to
// oneDNN, for the passes fwd (forward), data (input gradient) and weights
// (weight and bias gradients); the engine's own kernels run the others.
type dnnlConv struct {
	g                  C.gf_conv
	fwd, data, weights bool
}

// newDNNLConv describes the operation (see dnnlGeom for the arguments) and
// picks the passes oneDNN runs faster than im2col + OpenBLAS, or returns
// nil when there are none. Measured per layer on a 2-core AVX-512 Xeon, on
// the convolution shapes of nn-refae, wise-cpu and InversionNet (25th
// percentile of 15 alternating runs per pass):
//
//   - 1×1 convolutions: never (one GEMM without im2col was 1.5–10× faster
//     in every pass; oneDNN's 1×1 weight gradient was up to 100× slower).
//   - forward: at least 4 input channels (oneDNN 1.2–2.7× faster, including
//     InversionNet's 5-channel first layer and 1-channel output layers; the
//     1-channel input layer of nn-refae was 1.4× slower).
//   - input gradient: at least 8 input channels (4 and 6 channels were
//     1.3–2× slower in oneDNN, 8 and more 1.1–2× faster).
//   - weight gradient: input and output channels multiples of 16 (or fewer
//     than 4 outputs) and at least 1024 output pixels over the batch. The
//     flow's small coupling layers (20, 21 or 72 inputs; 4 or 8 outputs;
//     32→16 on 8×8) were 1.3–4× slower in oneDNN, which pads channels to
//     blocks of 16 and reduces the weight gradient over few pixels.
//
// Transposed convolutions run every pass in oneDNN unless they are 1×1 or
// have fewer than 8 input or 4 output channels (the earlier rule, measured
// on the same networks).
func newDNNLConv(transposed bool, n int, g *convGeom, cin, f int, o Conv2dOpts) *dnnlConv {
	if g.KH*g.KW == 1 {
		return nil
	}
	d := &dnnlConv{g: dnnlGeom(transposed, n, g, cin, f, o)}
	if transposed {
		if cin < 8 || g.C < 4 {
			return nil
		}
		d.fwd, d.data, d.weights = true, true, true
		return d
	}
	px := n * g.OH * g.OW
	d.fwd = g.C >= 4
	d.data = g.C >= 8
	d.weights = g.C >= 8 && px >= 1024 && (g.C%16 == 0 && f%16 == 0 || f < 4)
	if !d.fwd && !d.data && !d.weights {
		return nil
	}
	return d
}

// scratch takes from tp's pool a buffer for every slot a dry run sized.
func scratch(tp *Tape, sizes *[6]C.size_t) (bufs [6][]float32) {
	for i, n := range sizes {
		if n > 0 {
			bufs[i] = tp.scratch((int(n) + 3) / 4)
		}
	}
	return bufs
}

// forward writes y = conv(x, w) + b (b may be nil), followed by ReLU when
// relu is set (oneDNN's post-op: +0 where the Go ReLU gives −0), with
// scratch from tp's pool, and reports false when oneDNN does not run it (the caller then uses
// its own kernels).
func (d *dnnlConv) forward(tp *Tape, x, w, b, y []float32, relu bool) bool {
	if d == nil || !d.fwd {
		return false
	}
	d.g.relu = 0
	if relu {
		d.g.relu = 1
	}
	var sizes [6]C.size_t
	if C.gf_conv_forward(&d.g, ptr(x), ptr(w), ptr(b), ptr(y), nil, nil, nil, &sizes[0]) != 0 {
		return false
	}
	s := scratch(tp, &sizes)
	defer tp.release(s[:]...)
	return C.gf_conv_forward(&d.g, ptr(x), ptr(w), ptr(b), ptr(y), ptr(s[0]), ptr(s[1]), ptr(s[2]), nil) == 0
}

// backward adds the input gradient (pass data) and the weight and bias
// gradients (pass weights) for the passes oneDNN runs; nil slices are
// skipped. With gxSet the input gradient overwrites gx instead of being
// added. It reports which of the two it computed; on failure it writes
// nothing and reports neither, and the caller computes the rest.
func (d *dnnlConv) backward(tp *Tape, x, w, gy, gx, gw, gb []float32, gxSet bool) (didX, didW bool) {
	if d == nil {
		return false, false
	}
	if !d.data {
		gx = nil
	}
	if !d.weights {
		gw, gb = nil, nil
	}
	if gx == nil && gw == nil && gb == nil {
		return false, false
	}
	var sizes [6]C.size_t
	set := C.int(0)
	if gxSet {
		set = 1
	}
	if C.gf_conv_backward(&d.g, ptr(x), ptr(w), ptr(gy), ptr(gx), ptr(gw), ptr(gb), set, nil, nil, nil, nil, nil, nil, &sizes[0]) != 0 {
		return false, false
	}
	s := scratch(tp, &sizes)
	defer tp.release(s[:]...)
	if C.gf_conv_backward(&d.g, ptr(x), ptr(w), ptr(gy), ptr(gx), ptr(gw), ptr(gb), set,
		ptr(s[0]), ptr(s[1]), ptr(s[2]), ptr(s[3]), ptr(s[4]), ptr(s[5]), nil) != 0 {
		return false, false
	}
	return gx != nil, gw != nil || gb != nil
}
