package autograd

import (
	"fmt"

	"genfwi/tensor"
)

// Dimension letters in this file: N batch, C input channels, F output
// channels (filters), H×W image, KH×KW kernel, OH×OW output grid,
// K = C·KH·KW rows of the im2col matrix, P = OH·OW its columns.

// Conv2dOpts configures Conv2d and ConvTranspose2d. The zero value is stride
// 1, no padding, dilation 1.
type Conv2dOpts struct {
	// Stride is (vertical, horizontal); 0 means 1. Anisotropic strides such
	// as (2, 1) halve only the first (time) axis.
	Stride [2]int
	// Pad is the zero padding (top, bottom, left, right) in pixels. Use Pad2
	// or PadAll for symmetric padding.
	Pad [4]int
	// Dilation is (vertical, horizontal); 0 means 1.
	Dilation [2]int
	// OutputPad adds rows/columns at the bottom/right of a transposed
	// convolution's output (PyTorch output_padding); it must be smaller than
	// the stride. Conv2d ignores it.
	OutputPad [2]int
}

// Pad2 returns the padding (ph, ph, pw, pw).
func Pad2(ph, pw int) [4]int { return [4]int{ph, ph, pw, pw} }

// PadAll returns the padding (p, p, p, p).
func PadAll(p int) [4]int { return [4]int{p, p, p, p} }

func (o Conv2dOpts) norm() Conv2dOpts {
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = 1
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	return o
}

// convGeom is the geometry shared by im2col and col2im: an image (C, H, W)
// seen through KH×KW windows producing an OH×OW grid.
type convGeom struct {
	C, H, W int
	KH, KW  int
	SH, SW  int
	PT, PL  int
	DH, DW  int
	OH, OW  int
}

// outSize returns the conv output extent for input extent n.
func outSize(n, pad0, pad1, k, s, d int) int { return (n+pad0+pad1-d*(k-1)-1)/s + 1 }

// im2colGo writes col (C·KH·KW, OH·OW): row (c, ki, kj), column (oh, ow)
// holds img[c, oh·SH-PT+ki·DH, ow·SW-PL+kj·DW], or 0 in the padding. It is
// the pure-Go version of im2col (the reference for the C kernel).
func (g *convGeom) im2colGo(col, img []float32) {
	g.colRows(col, img, func(row, plane []float32, ki, iw0 int) {
		lo, hi := 0, g.OW // valid ow range when SW == 1
		if g.SW == 1 {
			lo, hi = max(0, -iw0), min(g.OW, g.W-iw0)
			hi = max(hi, lo)
		}
		for oh := 0; oh < g.OH; oh++ {
			dst := row[oh*g.OW : (oh+1)*g.OW]
			ih := oh*g.SH - g.PT + ki*g.DH
			if ih < 0 || ih >= g.H {
				clear(dst)
				continue
			}
			src := plane[ih*g.W : (ih+1)*g.W]
			if g.SW == 1 {
				clear(dst[:lo])
				copy(dst[lo:hi], src[lo+iw0:hi+iw0])
				clear(dst[hi:])
				continue
			}
			for ow := range dst {
				if iw := ow*g.SW + iw0; iw >= 0 && iw < g.W {
					dst[ow] = src[iw]
				} else {
					dst[ow] = 0
				}
			}
		}
	})
}

// colRows calls f for every row (c, ki, kj) of the column matrix col
// (C·KH·KW, OH·OW), in order, with the row, the plane of channel c of img and
// the kernel offsets ki and iw0 = kj·DW − PL: the loop nest that im2colGo
// and col2imGo share.
func (g *convGeom) colRows(col, img []float32, f func(row, plane []float32, ki, iw0 int)) {
	P := g.OH * g.OW
	r := 0
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for ki := 0; ki < g.KH; ki++ {
			for kj := 0; kj < g.KW; kj++ {
				f(col[r*P:(r+1)*P], plane, ki, kj*g.DW-g.PL)
				r++
			}
		}
	}
}

// col2imGo is the transpose of im2colGo: it ADDS every column entry back
// into the image pixel it was read from; padding entries are dropped.
func (g *convGeom) col2imGo(img, col []float32) {
	g.colRows(col, img, func(row, plane []float32, ki, iw0 int) {
		for oh := 0; oh < g.OH; oh++ {
			ih := oh*g.SH - g.PT + ki*g.DH
			if ih < 0 || ih >= g.H {
				continue
			}
			src := row[oh*g.OW : (oh+1)*g.OW]
			dst := plane[ih*g.W : (ih+1)*g.W]
			if g.SW == 1 {
				lo, hi := max(0, -iw0), min(g.OW, g.W-iw0)
				if lo < hi {
					d, s := dst[lo+iw0:hi+iw0], src[lo:hi]
					for i, v := range s {
						d[i] += v
					}
				}
				continue
			}
			for ow, v := range src {
				if iw := ow*g.SW + iw0; iw >= 0 && iw < g.W {
					dst[iw] += v
				}
			}
		}
	})
}

// Conv2d returns the 2-D cross-correlation of x (N, C, H, W) with w
// (F, C, KH, KW) plus the optional bias b (F), PyTorch's Conv2d:
//
//	y[n,f,oh,ow] = b[f] + Σ_{c,ki,kj} w[f,c,ki,kj]·x[n,c,oh·SH-PT+ki·DH, ow·SW-PL+kj·DW]
//
// with zero padding; the output is (N, F, OH, OW), OH = (H+PT+PB-DH·(KH-1)-1)/SH+1.
// Each sample is one im2col + GEMM (F×K)·(K×P); samples run in parallel.
// 1×1 stride-1 unpadded convolutions skip im2col.
func Conv2d(x, w, b *Var, o Conv2dOpts) *Var { return conv2d(x, w, b, o, false) }

// Conv2dReLU returns ReLU(Conv2d(x, w, b, o)) in one op: the activation is
// applied where the convolution writes its output (oneDNN's eltwise
// post-op, the direct kernels' store, or right after each sample's GEMM),
// so the pre-activation array is neither stored nor read again. Values
// equal the pair's up to the sign of zeros (oneDNN's ReLU gives +0 where
// ReLU gives −0), gradients equal the pair's bit for bit (the backward
// pass masks the output gradient with output > 0 ⇔ input > 0).
func Conv2dReLU(x, w, b *Var, o Conv2dOpts) *Var { return conv2d(x, w, b, o, true) }

func conv2d(x, w, b *Var, o Conv2dOpts, relu bool) *Var {
	o = o.norm()
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(xs) != 4 || len(ws) != 4 || xs[1] != ws[1] {
		panic(fmt.Sprintf("autograd: Conv2d: input %v and weight %v do not match (want (N,C,H,W) and (F,C,KH,KW))", xs, ws))
	}
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	F, KH, KW := ws[0], ws[2], ws[3]
	if b != nil && (len(b.Value.Data) != F) {
		panic(fmt.Sprintf("autograd: Conv2d: bias shape %v for %d filters", b.Value.Shape, F))
	}
	g := convGeom{C: C, H: H, W: W, KH: KH, KW: KW, SH: o.Stride[0], SW: o.Stride[1],
		PT: o.Pad[0], PL: o.Pad[2], DH: o.Dilation[0], DW: o.Dilation[1]}
	g.OH = outSize(H, o.Pad[0], o.Pad[1], KH, g.SH, g.DH)
	g.OW = outSize(W, o.Pad[2], o.Pad[3], KW, g.SW, g.DW)
	if g.OH <= 0 || g.OW <= 0 {
		panic(fmt.Sprintf("autograd: Conv2d: input %v too small for kernel %v with %+v", xs, ws, o))
	}
	K, P := C*KH*KW, g.OH*g.OW
	direct := KH == 1 && KW == 1 && g.SH == 1 && g.SW == 1 && o.Pad == [4]int{}
	out := newOut(false, []int{N, F, g.OH, g.OW}, x, w, b)
	tp, xd, wd, od, bd := convOperands(x, w, b, out)
	nw := tensor.Workers(N)
	dn := newDNNLConv(false, N, &g, C, F, o)
	plan := planDirect(&g, F)
	if plan.fwd {
		wt := tp.scratch(len(wd))
		weightsForward(wt, wd, F, C, KH*KW)
		fg := g.forwardGeom(F)
		fg.run(N, xd, wt, bd, od, false, relu)
		tp.release(wt)
	} else if !dn.forward(tp, xd, wd, bd, od, relu) {
		cols := make([][]float32, nw)
		if !direct {
			for i := range cols {
				cols[i] = tp.scratch(K * P)
			}
		}
		tensor.Parallel(N, func(wk, n int) {
			xn := xd[n*C*H*W : (n+1)*C*H*W]
			col := xn
			if !direct {
				col = cols[wk]
				g.im2col(col, xn)
			}
			on := od[n*F*P : (n+1)*F*P]
			tensor.Gemm(false, false, F, P, K, 1, wd, K, col, P, 0, on, P)
			addBias(on, bd, P)
			if relu {
				reluInPlace(on) // while the sample's output is in cache
			}
		})
		tp.release(cols...)
	}
	name := "Conv2d"
	if relu {
		name = "Conv2dReLU"
	}
	return record(out, name, []*Var{x, w, b}, func(gr *tensor.Tensor) {
		gd := gr.Data
		if relu {
			// The pre-activation gradient: what ReLU's backward adds into
			// a zeroed buffer (y > 0 exactly where the input was > 0).
			gm := tp.scratch(len(gd))
			defer tp.release(gm)
			reluMask(gm, gd, od)
			gd = gm
		}
		needX, needW, needB := x.requires, w.requires, b != nil && b.requires
		if plan.data && needX {
			wt := tp.scratch(len(wd))
			weightsData(wt, wd, F, C, KH, KW)
			dg := g.dataGeom(F)
			dx, fresh := gradFresh(x)
			dg.run(N, gd, wt, nil, dx, !fresh, false)
			tp.release(wt)
			needX = false
		}
		if plan.weights && needW {
			fg := g.forwardGeom(F)
			fg.wgrad(N, xd, gd, gradOf(w).Data)
			needW = false
		}
		if plan.weights && needB {
			db := gradOf(b).Data
			for n := 0; n < N; n++ {
				sumRows(db, gd[n*F*P:(n+1)*F*P], P)
			}
			needB = false
		}
		if !needX && !needW && !needB {
			return
		}
		var gx []float32
		fresh := false
		if needX {
			gx, fresh = gradFresh(x)
		}
		didX, didW := dn.backward(tp, xd, wd, gd, gx, gradData(w, needW), gradData(b, needB), fresh)
		if fresh && !didX {
			clear(gx) // the kernels below add into it
		}
		needX = needX && !didX
		needW, needB = needW && !didW, needB && !didW
		if !needX && !needW && !needB {
			return
		}
		dx := gradData(x, needX)
		cols := make([][]float32, nw)
		dcols := make([][]float32, nw)
		for i := 0; i < nw; i++ {
			if needW && !direct {
				cols[i] = tp.scratch(K * P)
			}
			if needX && !direct {
				dcols[i] = tp.scratch(K * P)
			}
		}
		dW, dB := newPartialGrads(tp, nw, F*K, needW), newPartialGrads(tp, nw, F, needB)
		tensor.Parallel(N, func(wk, n int) {
			gn := gd[n*F*P : (n+1)*F*P]
			xn := xd[n*C*H*W : (n+1)*C*H*W]
			if needW {
				col := xn
				if !direct {
					col = cols[wk]
					g.im2col(col, xn)
				}
				// dW += G_n·colᵀ  (F×P)·(P×K)
				tensor.Gemm(false, true, F, K, P, 1, gn, P, col, P, 1, dW[wk], K)
			}
			if needB {
				sumRows(dB[wk], gn, P)
			}
			if needX {
				dxn := dx[n*C*H*W : (n+1)*C*H*W]
				if direct {
					tensor.Gemm(true, false, K, P, F, 1, wd, K, gn, P, 1, dxn, P)
				} else {
					// dcol = Wᵀ·G_n (K×F)·(F×P), then scatter back.
					tensor.Gemm(true, false, K, P, F, 1, wd, K, gn, P, 0, dcols[wk], P)
					g.col2im(dxn, dcols[wk])
				}
			}
		})
		sumPartialGrads(tp, w, dW)
		sumPartialGrads(tp, b, dB)
		for i := 0; i < nw; i++ {
			tp.release(cols[i], dcols[i])
		}
	})
}

// ConvTranspose2d returns the transposed convolution (the adjoint of Conv2d
// with respect to its input) of x (N, C, H, W) with w (C, F, KH, KW), PyTorch's
// ConvTranspose2d layout, plus the optional bias b (F). The output is
// (N, F, OH, OW) with OH = (H-1)·SH - PT - PB + DH·(KH-1) + 1 + OutputPad[0].
// Each sample is one GEMM (F·KH·KW×C)·(C×H·W) followed by col2im.
func ConvTranspose2d(x, w, b *Var, o Conv2dOpts) *Var {
	o = o.norm()
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(xs) != 4 || len(ws) != 4 || xs[1] != ws[0] {
		panic(fmt.Sprintf("autograd: ConvTranspose2d: input %v and weight %v do not match (want (N,C,H,W) and (C,F,KH,KW))", xs, ws))
	}
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	F, KH, KW := ws[1], ws[2], ws[3]
	if b != nil && len(b.Value.Data) != F {
		panic(fmt.Sprintf("autograd: ConvTranspose2d: bias shape %v for %d filters", b.Value.Shape, F))
	}
	if o.OutputPad[0] >= o.Stride[0] && o.OutputPad[0] >= o.Dilation[0] || o.OutputPad[1] >= o.Stride[1] && o.OutputPad[1] >= o.Dilation[1] {
		panic(fmt.Sprintf("autograd: ConvTranspose2d: OutputPad %v must be smaller than stride or dilation", o.OutputPad))
	}
	OH := (H-1)*o.Stride[0] - o.Pad[0] - o.Pad[1] + o.Dilation[0]*(KH-1) + 1 + o.OutputPad[0]
	OW := (W-1)*o.Stride[1] - o.Pad[2] - o.Pad[3] + o.Dilation[1]*(KW-1) + 1 + o.OutputPad[1]
	if OH <= 0 || OW <= 0 {
		panic(fmt.Sprintf("autograd: ConvTranspose2d: empty output for input %v, weight %v, %+v", xs, ws, o))
	}
	// The geometry of the forward conv that maps the (F, OH, OW) output back
	// to the (H, W) input grid.
	g := convGeom{C: F, H: OH, W: OW, KH: KH, KW: KW, SH: o.Stride[0], SW: o.Stride[1],
		PT: o.Pad[0], PL: o.Pad[2], DH: o.Dilation[0], DW: o.Dilation[1], OH: H, OW: W}
	FK, P := F*KH*KW, H*W
	out := newOut(true, []int{N, F, OH, OW}, x, w, b)
	tp, xd, wd, od, bd := convOperands(x, w, b, out)
	nw := tensor.Workers(N)
	dn := newDNNLConv(true, N, &g, C, F, o)
	if !dn.forward(tp, xd, wd, bd, od, false) {
		cols := make([][]float32, nw)
		for i := range cols {
			cols[i] = tp.scratch(FK * P)
		}
		tensor.Parallel(N, func(wk, n int) {
			xn := xd[n*C*P : (n+1)*C*P]
			on := od[n*F*OH*OW : (n+1)*F*OH*OW]
			clear(on)
			tensor.Gemm(true, false, FK, P, C, 1, wd, FK, xn, P, 0, cols[wk], P)
			g.col2im(on, cols[wk])
			addBias(on, bd, OH*OW)
		})
		tp.release(cols...)
	}
	return record(out, "ConvTranspose2d", []*Var{x, w, b}, func(gr *tensor.Tensor) {
		gd := gr.Data
		needX, needW, needB := x.requires, w.requires, b != nil && b.requires
		didX, didW := dn.backward(tp, xd, wd, gd, gradData(x, needX), gradData(w, needW), gradData(b, needB), false)
		needX = needX && !didX
		needW, needB = needW && !didW, needB && !didW
		if !needX && !needW && !needB {
			return
		}
		dx := gradData(x, needX)
		cols := make([][]float32, nw)
		for i := 0; i < nw; i++ {
			if needX || needW {
				cols[i] = tp.scratch(FK * P)
			}
		}
		dW, dB := newPartialGrads(tp, nw, C*FK, needW), newPartialGrads(tp, nw, F, needB)
		tensor.Parallel(N, func(wk, n int) {
			gn := gd[n*F*OH*OW : (n+1)*F*OH*OW]
			if needB {
				sumRows(dB[wk], gn, OH*OW)
			}
			if !needX && !needW {
				return
			}
			col := cols[wk]
			g.im2col(col, gn)
			if needX {
				tensor.Gemm(false, false, C, P, FK, 1, wd, FK, col, P, 1, dx[n*C*P:(n+1)*C*P], P)
			}
			if needW {
				tensor.Gemm(false, true, C, FK, P, 1, xd[n*C*P:(n+1)*C*P], P, col, P, 1, dW[wk], FK)
			}
		})
		sumPartialGrads(tp, w, dW)
		sumPartialGrads(tp, b, dB)
		tp.release(cols...)
	})
}

// newPartialGrads returns nw zeroed scratch buffers of n values, one per
// worker, when need is set (else nw nil ones): the workers of a convolution's
// backward pass accumulate their samples' weight or bias gradients in their
// own buffer, summed by sumPartialGrads after the parallel loop.
func newPartialGrads(tp *Tape, nw, n int, need bool) [][]float32 {
	bufs := make([][]float32, nw)
	if need {
		for i := range bufs {
			bufs[i] = tp.scratch(n)
			clear(bufs[i])
		}
	}
	return bufs
}

// sumPartialGrads adds the partial gradients to v's gradient (if there are
// any) and releases them.
func sumPartialGrads(tp *Tape, v *Var, parts [][]float32) {
	if len(parts) > 0 && parts[0] != nil {
		addInto(gradOf(v).Data, parts...)
	}
	tp.release(parts...)
}

// gradData returns v's gradient storage when need is set, else nil.
func gradData(v *Var, need bool) []float32 {
	if !need {
		return nil
	}
	return gradOf(v).Data
}

// convOperands returns the tape of a (transposed) convolution of x with w
// and the optional bias b, and the data of x, w, its output out and b (nil
// without a bias).
func convOperands(x, w, b, out *Var) (tp *Tape, xd, wd, od, bd []float32) {
	tp = tapeOf(x, w, b)
	xd, wd, od = x.Value.Data, w.Value.Data, out.Value.Data
	if b != nil {
		bd = b.Value.Data
	}
	return tp, xd, wd, od, bd
}

// addBias adds b[f] to row f (length p) of y; b may be nil.
func addBias(y, b []float32, p int) {
	if len(b) == 0 || addBiasKernel(y, b, p) {
		return
	}
	addBiasGo(y, b, p)
}

// addBiasGo is addBias's Go loop (the reference for addBiasKernel).
func addBiasGo(y, b []float32, p int) {
	for f, v := range b {
		row := y[f*p : (f+1)*p]
		for i := range row {
			row[i] += v
		}
	}
}

// sumRows adds the sum of each length-p row of g to dst[row].
func sumRows(dst, g []float32, p int) {
	for f := range dst {
		var s float32
		for _, v := range g[f*p : (f+1)*p] {
			s += v
		}
		dst[f] += s
	}
}

// addInto adds every part elementwise into dst.
func addInto(dst []float32, parts ...[]float32) {
	for _, p := range parts {
		if p == nil {
			continue
		}
		for i, v := range p {
			dst[i] += v
		}
	}
}
