package openfwi

import (
	"fmt"
	"math"
)

// Norm holds the min–max constants of one dataset (dataset_config.json):
// DataMin/DataMax bound the raw seismic amplitudes, LabelMin/LabelMax the
// velocities in m/s.
type Norm struct {
	DataMin, DataMax   float64
	LabelMin, LabelMax float64
}

// logTF is OpenFWI's log_transform with k = 1: sign(x)·log1p(|x|).
func logTF(x float64) float64 {
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}

// expTF is the inverse of logTF: sign(y)·expm1(|y|).
func expTF(y float64) float64 {
	if y < 0 {
		return -math.Expm1(-y)
	}
	return math.Expm1(y)
}

// Data normalises raw seismic amplitudes as OpenFWI's transform_data does:
// y = sign(x)·log1p(|x|), then x' = 2·(y − a)/(b − a) − 1 with a =
// logTF(DataMin), b = logTF(DataMax), so DataMin ↦ −1 and DataMax ↦ 1 (values
// outside are not clipped). It writes dst and does not allocate; dst may be
// src. It panics if the lengths differ.
func (n Norm) Data(dst, src []float32) {
	checkLen(dst, src)
	a, b := logTF(n.DataMin), logTF(n.DataMax)
	s := 2 / (b - a)
	for i, x := range src {
		dst[i] = float32((logTF(float64(x))-a)*s - 1)
	}
}

// DataInverse is the exact inverse of Data: x = sign(y)·expm1(|y|) with
// y = (x'+1)/2·(b − a) + a. It writes dst; dst may be src.
func (n Norm) DataInverse(dst, src []float32) {
	checkLen(dst, src)
	a, b := logTF(n.DataMin), logTF(n.DataMax)
	s := (b - a) / 2
	for i, x := range src {
		dst[i] = float32(expTF((float64(x)+1)*s + a))
	}
}

// Label normalises velocities in m/s: v' = 2·(v − LabelMin)/(LabelMax −
// LabelMin) − 1, so 1500 ↦ −1 and 4500 ↦ 1. It writes dst; dst may be src.
func (n Norm) Label(dst, src []float32) {
	checkLen(dst, src)
	lo, s := n.LabelMin, 2/(n.LabelMax-n.LabelMin)
	for i, v := range src {
		dst[i] = float32((float64(v)-lo)*s - 1)
	}
}

// LabelInverse maps normalised velocities back to m/s:
// v = (v'+1)/2·(LabelMax − LabelMin) + LabelMin. It writes dst; dst may be src.
func (n Norm) LabelInverse(dst, src []float32) {
	checkLen(dst, src)
	lo, s := n.LabelMin, (n.LabelMax-n.LabelMin)/2
	for i, v := range src {
		dst[i] = float32((float64(v)+1)*s + lo)
	}
}

func checkLen(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("openfwi: length mismatch: dst %d, src %d", len(dst), len(src)))
	}
}

// ResizeBilinear resizes the row-major image src (sh rows × sw columns) to
// dst (dh × dw) by bilinear interpolation with the semantics of PyTorch's
// F.interpolate(mode="bilinear", align_corners=False, antialias=False): the
// output pixel i samples the input at x = (i + 0.5)·sw/dw − 0.5, clamped at
// 0 below and to the last pixel above. Downsampling does not low-pass filter,
// exactly as PyTorch. It writes dst and does not allocate. It panics if a
// size is not positive or a slice length does not match its size.
//
// For a stack of images (shots, samples) call it once per image.
func ResizeBilinear(dst []float32, dh, dw int, src []float32, sh, sw int) {
	if dh <= 0 || dw <= 0 || sh <= 0 || sw <= 0 {
		panic("openfwi: ResizeBilinear: sizes must be positive")
	}
	if len(dst) != dh*dw || len(src) != sh*sw {
		panic(fmt.Sprintf("openfwi: ResizeBilinear: len(dst) %d != %d×%d or len(src) %d != %d×%d", len(dst), dh, dw, len(src), sh, sw))
	}
	for i := range dh {
		y0, y1, wy := linearIndex(i, dh, sh)
		r0, r1 := src[y0*sw:(y0+1)*sw], src[y1*sw:(y1+1)*sw]
		out := dst[i*dw : (i+1)*dw]
		for j := range dw {
			x0, x1, wx := linearIndex(j, dw, sw)
			// PyTorch's order: h0lambda·(w0lambda·a + w1lambda·b) + h1lambda·(...).
			top := (1-wx)*r0[x0] + wx*r0[x1]
			bot := (1-wx)*r1[x0] + wx*r1[x1]
			out[j] = (1-wy)*top + wy*bot
		}
	}
}

// linearIndex returns the two input indices and the weight of the second for
// output index i of an axis resized from in to out samples
// (align_corners=False, as area_pixel_compute_source_index in PyTorch).
func linearIndex(i, out, in int) (i0, i1 int, w float32) {
	scale := float32(in) / float32(out)
	x := (float32(i)+0.5)*scale - 0.5
	if x < 0 {
		x = 0
	}
	i0 = int(x)
	if i0 > in-1 {
		i0 = in - 1
	}
	i1 = i0
	if i0 < in-1 {
		i1 = i0 + 1
	}
	return i0, i1, x - float32(i0)
}
