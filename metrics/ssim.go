package metrics

import "math"

// SSIM parameters of OpenFWI's pytorch_ssim (Po-Hsun Su's implementation,
// used by lanl/OpenFWI test.py with window_size=11).
const (
	SSIMWindow = 11          // window side in pixels
	SSIMSigma  = 1.5         // Gaussian standard deviation in pixels
	SSIMC1     = 0.01 * 0.01 // (K1·L)² with K1 = 0.01, L = 1
	SSIMC2     = 0.03 * 0.03 // (K2·L)² with K2 = 0.03, L = 1
)

// ssimKernel is the 1-D Gaussian g[k] ∝ exp(−(k−5)²/(2·1.5²)), k = 0…10,
// normalised to sum 1; the 2-D window is its outer product (also sum 1).
var ssimKernel = func() [SSIMWindow]float64 {
	var g [SSIMWindow]float64
	sum := 0.0
	for k := range g {
		d := float64(k - SSIMWindow/2)
		g[k] = math.Exp(-d * d / (2 * SSIMSigma * SSIMSigma))
		sum += g[k]
	}
	for k := range g {
		g[k] /= sum
	}
	return g
}()

// SSIMKernel returns the normalised 1-D Gaussian window of length SSIMWindow;
// the 2-D SSIM window is w[i][j] = g[i]·g[j].
func SSIMKernel() [SSIMWindow]float64 { return ssimKernel }

// SSIM returns the structural similarity of two nz×nx row-major images whose
// values lie in [0, 1], exactly as pytorch_ssim computes it:
//
//	μa = w ∗ a, μb = w ∗ b, σa² = w ∗ a² − μa², σb² = w ∗ b² − μb², σab = w ∗ (a·b) − μa·μb
//	S  = (2μaμb + C1)(2σab + C2) / ((μa² + μb² + C1)(σa² + σb² + C2))
//	SSIM = mean of S over all nz·nx pixels
//
// where ∗ is a 'same'-size correlation with the 11×11 Gaussian window w
// (σ = 1.5 px, sum 1) and zeros outside the image (conv2d with padding 5),
// C1 = 0.01², C2 = 0.03². SSIM(a, a) = 1. Arithmetic is float64 (PyTorch
// uses float32; the difference is ~1e-6). It allocates O(nz·nx) scratch and
// panics if len(a) or len(b) differ from nz·nx.
func SSIM(a, b []float64, nz, nx int) float64 {
	m := SSIMMapTo(make([]float64, nz*nx), a, b, nz, nx)
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s / float64(len(m))
}

// SSIMNormalized is SSIM for images on OpenFWI's [−1, 1] scale: it maps each
// value x to x/2 + 0.5 first, as OpenFWI's test.py does.
func SSIMNormalized(a, b []float64, nz, nx int) float64 {
	if len(a) != len(b) {
		panic(errLength)
	}
	a01 := make([]float64, len(a))
	b01 := make([]float64, len(b))
	for i := range a {
		a01[i] = a[i]/2 + 0.5
		b01[i] = b[i]/2 + 0.5
	}
	return SSIM(a01, b01, nz, nx)
}

// SSIMMapTo writes the per-pixel SSIM index S (see SSIM) of two nz×nx images
// in [0, 1] into dst (length nz·nx) and returns dst. It allocates five
// nz·nx scratch planes. It panics if a length differs from nz·nx.
func SSIMMapTo(dst, a, b []float64, nz, nx int) []float64 {
	n := nz * nx
	if nz <= 0 || nx <= 0 {
		panic(errEmpty)
	}
	if len(a) != n || len(b) != n || len(dst) != n {
		panic(errLength)
	}
	aa := make([]float64, n)
	bb := make([]float64, n)
	ab := make([]float64, n)
	for i := range a {
		aa[i] = a[i] * a[i]
		bb[i] = b[i] * b[i]
		ab[i] = a[i] * b[i]
	}
	tmp := make([]float64, n)
	muA := gaussSame(make([]float64, n), a, tmp, nz, nx)
	muB := gaussSame(make([]float64, n), b, tmp, nz, nx)
	gaussSame(aa, aa, tmp, nz, nx)
	gaussSame(bb, bb, tmp, nz, nx)
	gaussSame(ab, ab, tmp, nz, nx)
	for i := range dst {
		ma, mb := muA[i], muB[i]
		sa := aa[i] - ma*ma
		sb := bb[i] - mb*mb
		sab := ab[i] - ma*mb
		dst[i] = ((2*ma*mb + SSIMC1) * (2*sab + SSIMC2)) /
			((ma*ma + mb*mb + SSIMC1) * (sa + sb + SSIMC2))
	}
	return dst
}

// gaussSame writes the zero-padded 'same' correlation of src with the 2-D
// Gaussian window into dst (dst may alias src), using tmp as scratch. The 2-D
// window is separable, so one pass along x then one along z is exact: zero
// padding in 2-D equals zero padding in each 1-D pass.
func gaussSame(dst, src, tmp []float64, nz, nx int) []float64 {
	const h = SSIMWindow / 2
	g := &ssimKernel
	for iz := 0; iz < nz; iz++ {
		row := src[iz*nx : (iz+1)*nx]
		out := tmp[iz*nx : (iz+1)*nx]
		for ix := 0; ix < nx; ix++ {
			s := 0.0
			for k := max(0, h-ix); k < SSIMWindow && ix+k-h < nx; k++ {
				s += g[k] * row[ix+k-h]
			}
			out[ix] = s
		}
	}
	for iz := 0; iz < nz; iz++ {
		out := dst[iz*nx : (iz+1)*nx]
		for ix := range out {
			out[ix] = 0
		}
		for k := max(0, h-iz); k < SSIMWindow && iz+k-h < nz; k++ {
			w := g[k]
			in := tmp[(iz+k-h)*nx : (iz+k-h+1)*nx]
			for ix := range out {
				out[ix] += w * in[ix]
			}
		}
	}
	return dst
}
