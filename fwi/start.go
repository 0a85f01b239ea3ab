package fwi

import (
	"fmt"
	"math"

	"genfwi/openfwi/gen"
)

// GaussianKernel returns the normalised 1-D Gaussian g[k] ∝ exp(−(k−h)²/(2σ²)),
// k = 0…2h, with half-width h = 2·⌈σ⌉ (length 4⌈σ⌉+1, the default of Julia
// ImageFiltering's KernelFactors.gaussian used by WISE). It allocates. It
// panics if sigma <= 0.
func GaussianKernel(sigma float64) []float64 {
	return GaussianKernelWidth(sigma, 2*int(math.Ceil(sigma)))
}

// GaussianKernelWidth is GaussianKernel with the half-width h chosen by the
// caller (length 2h+1), for smoothers that follow another convention (e.g.
// h = ⌈3σ⌉). It panics if sigma <= 0 or h < 0.
func GaussianKernelWidth(sigma float64, h int) []float64 {
	// Checked here too so that a bad argument panics with fwi's message.
	if !(sigma > 0) || h < 0 {
		panic("fwi: Gaussian sigma must be positive and the half-width non-negative")
	}
	return gen.GaussianKernel(sigma, h)
}

// Smooth writes to dst the separable Gaussian smoothing (standard deviation
// sigma cells, kernel GaussianKernel) of the nz×nx row-major field src, with
// edge replication outside the field ("replicate" border). dst may alias src.
// It allocates one nz·nx scratch plane. It panics on a length mismatch.
func Smooth(dst, src []float64, nz, nx int, sigma float64) {
	smooth(dst, src, nz, nx, sigma, false)
}

// SmoothZero is Smooth with zeros outside the field instead of edge
// replication. Its matrix is symmetric, so it can serve as a preconditioner
// and as a change of variables whose adjoint is itself. dst may alias src.
func SmoothZero(dst, src []float64, nz, nx int, sigma float64) {
	smooth(dst, src, nz, nx, sigma, true)
}

// smooth is Smooth (zero false) or SmoothZero (zero true): a pass along the
// rows into a scratch plane, then one along the columns into dst, so that dst
// may alias src.
func smooth(dst, src []float64, nz, nx int, sigma float64, zero bool) {
	if len(dst) != nz*nx || len(src) != nz*nx {
		panic(errLength)
	}
	g := GaussianKernel(sigma)
	tmp := make([]float64, nz*nx)
	convolveLines(tmp, src, g, nz, nx, nx, 1, zero)
	convolveLines(dst, tmp, g, nx, 1, nz, nx, zero)
}

// convolveLines convolves lines of a row-major field with the centred kernel
// g: line l starts at l·lineStride and holds n values step apart (rows: step
// 1, lineStride nx; columns: step nx, lineStride 1). Outside the line, values
// are zero (zero) or repeat the edge value. The taps are summed in kernel
// order, as the two smoothers always have.
func convolveLines(dst, src, g []float64, lines, lineStride, n, step int, zero bool) {
	h := len(g) / 2
	for l := 0; l < lines; l++ {
		line := src[l*lineStride:]
		for i := 0; i < n; i++ {
			s := 0.0
			if zero {
				for k := max(0, h-i); k < len(g) && i+k-h < n; k++ {
					s += g[k] * line[(i+k-h)*step]
				}
			} else {
				for k, w := range g {
					s += w * line[min(max(i+k-h, 0), n-1)*step]
				}
			}
			dst[l*lineStride+i*step] = s
		}
	}
}

// OneDSpecial returns the "1d-special" start model of WISE for OpenFWI
// (as in WISE.jl; Yin et al., Geophysics 2024): the lateral mean of the slowness of the true model,
// repeated across x, smoothed with a Gaussian of σ = 1 cell, inverted back to
// velocity:
//
//	v0 = 1 / G_σ=1( repeat_x( mean_x(1/v_true) ) )
//
// vTrue is nz×nx row-major in m/s; the result (m/s, same layout) is a new
// slice. It returns an error for a non-positive or non-finite velocity.
func OneDSpecial(vTrue []float32, nz, nx int) ([]float32, error) {
	if len(vTrue) != nz*nx {
		panic(errLength)
	}
	s := make([]float64, nz*nx)
	for iz := 0; iz < nz; iz++ {
		m := 0.0
		for ix := 0; ix < nx; ix++ {
			v := float64(vTrue[iz*nx+ix])
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("fwi: velocity %g at (z %d, x %d) is not positive and finite", v, iz, ix)
			}
			m += 1 / v
		}
		m /= float64(nx)
		for ix := 0; ix < nx; ix++ {
			s[iz*nx+ix] = m
		}
	}
	Smooth(s, s, nz, nx, 1)
	out := make([]float32, nz*nx)
	for i, x := range s {
		out[i] = float32(1 / x)
	}
	return out, nil
}

// LinearGradient returns an nz×nx model (m/s, row-major) increasing linearly
// with depth from vTop in row 0 to vBottom in row nz−1 and constant along x
// (the "1d-gradient" start model without smoothing, which a linear ramp does
// not need). It allocates.
func LinearGradient(nz, nx int, vTop, vBottom float64) []float32 {
	out := make([]float32, nz*nx)
	for iz := 0; iz < nz; iz++ {
		f := 0.0
		if nz > 1 {
			f = float64(iz) / float64(nz-1)
		}
		v := float32(vTop + f*(vBottom-vTop))
		for ix := 0; ix < nx; ix++ {
			out[iz*nx+ix] = v
		}
	}
	return out
}

const errLength = "fwi: slice length does not match the grid"
