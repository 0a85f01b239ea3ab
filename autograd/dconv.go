package autograd

// dgeom is the geometry of one direct stride-1 convolution (dconv_c.go):
// input planes (C, H, W), output planes (F, OH, OW), a KH×KW kernel with
// dilation (DH, DW); output pixel (oh, ow) reads input pixel
// (oh − PT + ki·DH, ow − PL + kj·DW), zero outside the image.
type dgeom struct {
	C, H, W, F, OH, OW, KH, KW, PT, PL, DH, DW int
}

// directPlan says which passes of a convolution run in the direct kernels.
type directPlan struct {
	fwd, data, weights bool
}

// planDirect picks the passes of a convolution that the direct kernels run
// (none without AVX-512 or for strided, 1×1 or very wide kernels). Every
// pass costs N·F·C·KH·KW·OH·OW multiply-adds in every backend; the direct
// kernels reach a fixed fraction of the FMA peak whatever the channel
// counts, while oneDNN pads channels to blocks of 16 and reorders every
// activation (plus im2col's KH·KW-fold copies), so the direct kernels win
// when a channel count is small. Measured per layer (forward, and forward
// plus backward) on a 2-core AVX-512 Xeon against oneDNN and im2col:
//
//   - at most 8 output channels: every pass (flow coupling 32→4 on 32×32
//     at batch 8: forward 0.25 ms vs 0.75 in oneDNN, all passes 1.7 vs
//     3.5 ms; nn-refae's 32→1 output layer 1.6 vs 5.7 ms forward, 8 vs
//     22 ms all passes).
//   - at most 4 input channels (and more outputs): the forward pass only
//     (nn-refae's 1→32 input layer 0.6 ms vs 1.6 in im2col; 4→128 on 16×16
//     even). The weight gradient then has many output channels to stream
//     per input channel and was up to 1.3× slower than oneDNN or im2col.
func planDirect(g *convGeom, F int) directPlan {
	if !directConvCPU || g.SH != 1 || g.SW != 1 || g.KH*g.KW == 1 || g.KW > 16 {
		return directPlan{}
	}
	few := F <= 8
	return directPlan{fwd: few || g.C <= 4, data: few, weights: few}
}

// forwardGeom is the direct geometry of the convolution g with F outputs.
func (g *convGeom) forwardGeom(F int) dgeom {
	return dgeom{C: g.C, H: g.H, W: g.W, F: F, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW, PT: g.PT, PL: g.PL, DH: g.DH, DW: g.DW}
}

// dataGeom is the direct geometry of the input gradient of g: a stride-1
// convolution's adjoint is the convolution of the output gradient (F
// channels on the OH×OW grid) with the flipped kernel, offset by
// DH·(KH−1) − PT rows and DW·(KW−1) − PL columns, onto the H×W grid.
func (g *convGeom) dataGeom(F int) dgeom {
	return dgeom{C: F, H: g.OH, W: g.OW, F: g.C, OH: g.H, OW: g.W, KH: g.KH, KW: g.KW,
		PT: g.DH*(g.KH-1) - g.PT, PL: g.DW*(g.KW-1) - g.PL, DH: g.DH, DW: g.DW}
}

// weightsForward writes w (F, C, KH, KW) as wt (C, KH, KW, F): the weights
// of one kernel tap for consecutive output channels are adjacent, as the
// direct kernel broadcasts them.
func weightsForward(wt, w []float32, F, C, K int) {
	for f := 0; f < F; f++ {
		for c := 0; c < C; c++ {
			for k := 0; k < K; k++ {
				wt[(c*K+k)*F+f] = w[(f*C+c)*K+k]
			}
		}
	}
}

// weightsData writes w (F, C, KH, KW) as the (F, KH, KW, C) weights of the
// input-gradient convolution: input channel f, output channel c, kernel
// flipped in both directions.
func weightsData(wt, w []float32, F, C, KH, KW int) {
	K := KH * KW
	for f := 0; f < F; f++ {
		for c := 0; c < C; c++ {
			for ki := 0; ki < KH; ki++ {
				for kj := 0; kj < KW; kj++ {
					wt[((f*KH+KH-1-ki)*KW+KW-1-kj)*C+c] = w[(f*C+c)*K+ki*KW+kj]
				}
			}
		}
	}
}
