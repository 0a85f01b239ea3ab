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

// ResizeLanczos resizes the row-major image src (sh × sw) to dst (dh × dw)
// with a separable Lanczos-3 filter, antialiased when downsampling (the
// kernel is stretched by the reduction factor, as PIL does), using the same
// pixel-centre convention as ResizeBilinear. It is not PyTorch's resize but a
// band-limited one: for OpenFWI seismic (1000×70 ↔ 256×64) its round-trip
// error is several times smaller than bilinear's (docs/datasets.md). It
// writes dst and allocates a dh×sw scratch image and the filter taps. It
// panics like ResizeBilinear.
func ResizeLanczos(dst []float32, dh, dw int, src []float32, sh, sw int) {
	if dh <= 0 || dw <= 0 || sh <= 0 || sw <= 0 {
		panic("openfwi: ResizeLanczos: sizes must be positive")
	}
	if len(dst) != dh*dw || len(src) != sh*sw {
		panic(fmt.Sprintf("openfwi: ResizeLanczos: len(dst) %d != %d×%d or len(src) %d != %d×%d", len(dst), dh, dw, len(src), sh, sw))
	}
	rows, cols := lanczosTaps(dh, sh), lanczosTaps(dw, sw)
	tmp := make([]float32, dh*sw)
	for i, taps := range rows { // resample along the row axis
		out := tmp[i*sw : (i+1)*sw]
		for _, tp := range taps {
			in := src[tp.i*sw : (tp.i+1)*sw]
			w := float32(tp.w)
			for j := range out {
				out[j] += w * in[j]
			}
		}
	}
	for i := range dh { // then along the column axis
		in, out := tmp[i*sw:(i+1)*sw], dst[i*dw:(i+1)*dw]
		for j, taps := range cols {
			s := float32(0)
			for _, tp := range taps {
				s += float32(tp.w) * in[tp.i]
			}
			out[j] = s
		}
	}
}

type lanczosTap struct {
	i int
	w float64
}

// lanczosTaps returns, for each of out output samples of an axis of in
// samples, the input indices and normalised Lanczos-3 weights.
func lanczosTaps(out, in int) [][]lanczosTap {
	const a = 3
	scale := float64(in) / float64(out)
	stretch := max(scale, 1) // widen the kernel when downsampling
	taps := make([][]lanczosTap, out)
	for o := range out {
		x := (float64(o)+0.5)*scale - 0.5
		lo, hi := int(math.Floor(x-a*stretch)), int(math.Ceil(x+a*stretch))
		sum := 0.0
		for i := max(lo, 0); i <= min(hi, in-1); i++ {
			t := (float64(i) - x) / stretch
			if w := lanczos(t, a); w != 0 {
				taps[o] = append(taps[o], lanczosTap{i, w})
				sum += w
			}
		}
		for k := range taps[o] {
			taps[o][k].w /= sum
		}
	}
	return taps
}

func lanczos(t float64, a float64) float64 {
	switch {
	case t == 0:
		return 1
	case math.Abs(t) >= a:
		return 0
	}
	pt := math.Pi * t
	return a * math.Sin(pt) * math.Sin(pt/a) / (pt * pt)
}

// ResizeCubic resizes the row-major image src (sh × sw) to dst (dh × dw) by
// separable cubic convolution with Keys' kernel, a = −0.5 (Keys 1981; the
// Catmull–Rom spline), on the pixel grid of ResizeBilinear (align_corners
// False: output i samples the input at (i + 0.5)·in/out − 0.5) with clamped
// borders. An axis whose size does not change is copied, not resampled.
// Unlike PyTorch's bicubic (a = −0.75), a = −0.5 reproduces quadratics
// exactly; on OpenFWI gathers resampled 1000 → 256 → 1000 in time it keeps
// 2.5 % relative L2 where bilinear loses 3.8 % and a = −0.75 4.0 %
// (docs/wavediffusion.md). Downsampling does not low-pass filter. It
// allocates one sh×dw scratch image. It panics if a size is not positive or
// a slice length does not match its size.
func ResizeCubic(dst []float32, dh, dw int, src []float32, sh, sw int) {
	if dh <= 0 || dw <= 0 || sh <= 0 || sw <= 0 {
		panic("openfwi: ResizeCubic: sizes must be positive")
	}
	if len(dst) != dh*dw || len(src) != sh*sw {
		panic(fmt.Sprintf("openfwi: ResizeCubic: len(dst) %d != %d×%d or len(src) %d != %d×%d", len(dst), dh, dw, len(src), sh, sw))
	}
	// Rows first (along W) into tmp (sh × dw), then columns (along H).
	tmp := src
	if dw != sw {
		tmp = make([]float32, sh*dw)
		taps := cubicTaps(dw, sw)
		for r := range sh {
			in, out := src[r*sw:(r+1)*sw], tmp[r*dw:(r+1)*dw]
			for j, t := range taps {
				out[j] = t.w[0]*in[t.i[0]] + t.w[1]*in[t.i[1]] + t.w[2]*in[t.i[2]] + t.w[3]*in[t.i[3]]
			}
		}
	}
	if dh == sh {
		copy(dst, tmp)
		return
	}
	for i, t := range cubicTaps(dh, sh) {
		out := dst[i*dw : (i+1)*dw]
		r0, r1, r2, r3 := tmp[t.i[0]*dw:], tmp[t.i[1]*dw:], tmp[t.i[2]*dw:], tmp[t.i[3]*dw:]
		for j := range out {
			out[j] = t.w[0]*r0[j] + t.w[1]*r1[j] + t.w[2]*r2[j] + t.w[3]*r3[j]
		}
	}
}

// cubicTap is one output sample of a cubic resampling: four clamped input
// indices and their weights.
type cubicTap struct {
	i [4]int
	w [4]float32
}

// cubicTaps returns the taps of resampling an axis of in samples to out
// (align_corners False, borders clamped, Keys a = −0.5).
func cubicTaps(out, in int) []cubicTap {
	taps := make([]cubicTap, out)
	scale := float64(in) / float64(out)
	for o := range taps {
		x := (float64(o)+0.5)*scale - 0.5
		x0 := math.Floor(x)
		t := x - x0
		// Keys' weights for the neighbours at offsets −1, 0, 1, 2 (a = −0.5).
		w := [4]float64{
			((-0.5*t+1)*t - 0.5) * t,
			(1.5*t-2.5)*t*t + 1,
			((-1.5*t+2)*t + 0.5) * t,
			(0.5*t - 0.5) * t * t,
		}
		for k := range 4 {
			taps[o].i[k] = min(max(int(x0)-1+k, 0), in-1)
			taps[o].w[k] = float32(w[k])
		}
	}
	return taps
}
