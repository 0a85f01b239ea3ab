package wave

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
)

// RickerOpenFWI returns the OpenFWI source wavelet (UPFWI's FWM): nt
// samples at dt (s) of a unit-amplitude Ricker wavelet of peak frequency f (Hz)
// whose peak sits at sample nc = floor(nw/2), nw = 2·floor(2.2/(f dt)/2)+1
// (nc = 73 for f = 15 Hz, dt = 1 ms):
//
//	a = (nc − k) f dt π,  w[k] = (1 − 2a²) exp(−a²)  for k < nw, 0 afterwards.
//
// It allocates the result.
func RickerOpenFWI(nt int, f, dt float64) []float64 {
	nw := 2.2 / f / dt
	nwi := 2*int(math.Floor(nw/2)) + 1
	nc := nwi / 2
	w := make([]float64, nt)
	for k := 0; k < nt && k < nwi; k++ {
		a := float64(nc-k) * f * dt * math.Pi
		w[k] = (1 - 2*a*a) * math.Exp(-a*a)
	}
	return w
}

// Ricker returns the standard Ricker wavelet w(t) = (1 − 2r²) exp(−r²),
// r = π f (t − t0), sampled at t = k dt for k = 0..nt−1 (s). t0 = 0 means
// the JUDI/Devito delay 1/f. It allocates the result.
func Ricker(nt int, f, dt, t0 float64) []float64 {
	if t0 == 0 {
		t0 = 1 / f
	}
	w := make([]float64, nt)
	for k := range w {
		r := math.Pi * f * (float64(k)*dt - t0)
		w[k] = (1 - 2*r*r) * math.Exp(-r*r)
	}
	return w
}

// sos is one second-order section b0 + b1 z⁻¹ + b2 z⁻² over 1 + a1 z⁻¹ + a2 z⁻².
type sos struct{ b0, b1, b2, a1, a2 float64 }

// butterworth designs a digital Butterworth filter of the given order with
// cut-off fc (Hz) at sampling interval dt (s) by the bilinear transform with
// frequency pre-warping, as second-order sections.
func butterworth(order int, fc, dt float64, high bool) ([]sos, error) {
	nyq := 0.5 / dt
	if order < 1 || order > 20 {
		return nil, fmt.Errorf("wave: Butterworth order must be in 1..20, got %d", order)
	}
	if !(fc > 0 && fc < nyq) {
		return nil, fmt.Errorf("wave: Butterworth cut-off must be in (0, %g) Hz (Nyquist for dt=%g s), got %g", nyq, dt, fc)
	}
	wc := 2 / dt * math.Tan(math.Pi*fc*dt) // pre-warped analog cut-off (rad/s)
	bil := func(s complex128) complex128 { return (1 + s*complex(dt/2, 0)) / (1 - s*complex(dt/2, 0)) }
	zero := -1.0
	if high {
		zero = 1
	}
	var secs []sos
	for k := 0; k < order/2; k++ {
		p := cmplx.Exp(complex(0, math.Pi*float64(2*k+order+1)/float64(2*order)))
		var s complex128
		if high {
			s = complex(wc, 0) / p
		} else {
			s = p * complex(wc, 0)
		}
		z := bil(s)
		secs = append(secs, sos{b0: 1, b1: -2 * zero, b2: 1, a1: -2 * real(z), a2: real(z * cmplx.Conj(z))})
	}
	if order%2 == 1 {
		var s complex128 = complex(-wc, 0)
		if high {
			s = complex(-wc, 0) // −wc/(−1) mapped: the real pole of the high-pass prototype is −wc as well
		}
		z := real(bil(s))
		secs = append(secs, sos{b0: 1, b1: -zero, b2: 0, a1: -z, a2: 0})
	}
	// Unit gain at DC (low-pass) or Nyquist (high-pass).
	zr := 1.0
	if high {
		zr = -1
	}
	for i := range secs {
		c := &secs[i]
		g := (c.b0 + c.b1*zr + c.b2*zr*zr) / (1 + c.a1*zr + c.a2*zr*zr)
		c.b0 /= g
		c.b1 /= g
		c.b2 /= g
	}
	return secs, nil
}

func sosFilter(x []float64, secs []sos) {
	for _, c := range secs {
		var s1, s2 float64 // transposed direct form II state
		for i, xi := range x {
			y := c.b0*xi + s1
			s1 = c.b1*xi - c.a1*y + s2
			s2 = c.b2*xi - c.a2*y
			x[i] = y
		}
	}
}

// filtfilt applies secs forward and backward (zero phase, squared magnitude)
// on an odd (point-mirrored) extension of 3·(2·len(secs)+1) samples at each end,
// as scipy.signal.sosfiltfilt's default padding, with zero initial state.
func filtfilt(dst, src []float64, secs []sos) {
	n := len(src)
	if n == 0 {
		return
	}
	pad := 3 * (2*len(secs) + 1)
	if pad > n-1 {
		pad = n - 1
	}
	ext := make([]float64, n+2*pad)
	for i := 0; i < pad; i++ {
		ext[i] = 2*src[0] - src[pad-i]
		ext[n+pad+i] = 2*src[n-1] - src[n-2-i]
	}
	copy(ext[pad:], src)
	sosFilter(ext, secs)
	for i, j := 0, len(ext)-1; i < j; i, j = i+1, j-1 {
		ext[i], ext[j] = ext[j], ext[i]
	}
	sosFilter(ext, secs)
	for i := 0; i < n; i++ {
		dst[i] = ext[len(ext)-1-pad-i]
	}
}

// LowPass writes to dst the zero-phase Butterworth low-pass of src (sampled at
// dt s) with cut-off fc (Hz) and the given order, applied forward and backward
// (so the magnitude response is squared: −6 dB at fc). dst and src may be the
// same slice. It allocates a padded work buffer. It returns an error for an
// order outside 1..20 or fc outside (0, Nyquist); it panics if the lengths
// differ.
func LowPass(dst, src []float64, dt, fc float64, order int) error {
	return butterFiltFilt(dst, src, dt, fc, order, false)
}

// HighPass is LowPass with a high-pass Butterworth filter (JUDI filter_data
// uses order 5 and fc = 3 Hz on its Ricker wavelet).
func HighPass(dst, src []float64, dt, fc float64, order int) error {
	return butterFiltFilt(dst, src, dt, fc, order, true)
}

func butterFiltFilt(dst, src []float64, dt, fc float64, order int, high bool) error {
	if len(dst) != len(src) {
		panic("wave: filter dst and src lengths differ")
	}
	secs, err := butterworth(order, fc, dt, high)
	if err != nil {
		return err
	}
	filtfilt(dst, src, secs)
	return nil
}

// SymmetricLowPass writes to dst the Butterworth low-pass of src run forward
// and then backward with zero initial state and no padding: zero phase and a
// squared magnitude response like LowPass, but as a matrix on the n samples
// it equals its own transpose (the backward pass of a causal filter with zero
// initial state is the transpose of the forward pass), so it is a valid
// data-space weight W in a misfit ½‖W r‖², with gradient source Wᵀ W r = W W r.
// Frequency continuation filters residuals with it (fwi). dst and src may be
// the same slice; errors as LowPass.
func SymmetricLowPass(dst, src []float64, dt, fc float64, order int) error {
	if len(dst) != len(src) {
		panic("wave: filter dst and src lengths differ")
	}
	secs, err := butterworth(order, fc, dt, false)
	if err != nil {
		return err
	}
	copy(dst, src)
	sosFilter(dst, secs)
	slices.Reverse(dst)
	sosFilter(dst, secs)
	slices.Reverse(dst)
	return nil
}

// LowPassTraces applies LowPass to each of the n traces of data laid out
// [shot][time][receiver] with nt samples, in place, in float32. It is meant for
// frequency continuation on observed data. It allocates two work buffers.
func LowPassTraces(data []float32, nshots, nt, nrec int, dt, fc float64, order int) error {
	if len(data) != nshots*nt*nrec {
		panic("wave: LowPassTraces data length differs from nshots*nt*nrec")
	}
	secs, err := butterworth(order, fc, dt, false)
	if err != nil {
		return err
	}
	tr := make([]float64, nt)
	out := make([]float64, nt)
	for s := 0; s < nshots; s++ {
		base := s * nt * nrec
		for r := 0; r < nrec; r++ {
			for t := 0; t < nt; t++ {
				tr[t] = float64(data[base+t*nrec+r])
			}
			filtfilt(out, tr, secs)
			for t := 0; t < nt; t++ {
				data[base+t*nrec+r] = float32(out[t])
			}
		}
	}
	return nil
}
