package fwi

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// BandLimitedNoise returns noise for data d laid out [shot][t][receiver]
// (nshots·nt·nrec float32) at a signal-to-noise ratio of snr dB, built as in
// WISE.jl/JUDI.jl:
//
//	n_trace = real(ifft(fft(white Gaussian) · fft(wavelet)))   (circular convolution in time)
//	n       = n / ‖n‖ · ‖d‖ · 10^(−snr/20)                      (one global scale)
//
// so that 20·log10(‖d‖/‖n‖) = snr. wavelet is the source time function
// (len nt, zero-padded if shorter). The noise has the wavelet's spectrum, so
// it is band-limited like the data. Reproducible for a given rng. It
// allocates the result and O(nt) scratch. It returns an error if d is all
// zeros or the wavelet is longer than nt.
func BandLimitedNoise(d []float32, nshots, nt, nrec int, wavelet []float64, snr float64, rng *rand.Rand) ([]float32, error) {
	if len(d) != nshots*nt*nrec {
		panic("fwi: data length does not match nshots·nt·nrec")
	}
	if len(wavelet) > nt {
		return nil, fmt.Errorf("fwi: wavelet has %d samples, more than nt = %d", len(wavelet), nt)
	}
	dn := 0.0
	for _, x := range d {
		dn += float64(x) * float64(x)
	}
	if dn == 0 {
		return nil, fmt.Errorf("fwi: cannot scale noise to an SNR: the data are all zeros")
	}
	fft := fourier.NewFFT(nt)
	w := make([]float64, nt)
	copy(w, wavelet)
	wf := fft.Coefficients(nil, w)
	trace := make([]float64, nt)
	spec := make([]complex128, len(wf))
	n := make([]float32, len(d))
	// Draw in [shot][receiver][t] order so the noise of one trace is a
	// contiguous run of the generator (independent of nt·nrec layout).
	for s := 0; s < nshots; s++ {
		for r := 0; r < nrec; r++ {
			for t := range trace {
				trace[t] = rng.NormFloat64()
			}
			fft.Coefficients(spec, trace)
			for k := range spec {
				spec[k] *= wf[k]
			}
			fft.Sequence(trace, spec)
			for t := range trace {
				// gonum's inverse is unnormalised: divide by nt.
				n[(s*nt+t)*nrec+r] = float32(trace[t] / float64(nt))
			}
		}
	}
	nn := 0.0
	for _, x := range n {
		nn += float64(x) * float64(x)
	}
	scale := math.Sqrt(dn/nn) * math.Pow(10, -snr/20)
	for i := range n {
		n[i] = float32(float64(n[i]) * scale)
	}
	return n, nil
}

// AddNoise adds BandLimitedNoise at snr dB to d in place and returns the
// realised SNR 20·log10(‖d‖/‖n‖) in dB (equal to snr up to float32 rounding).
func AddNoise(d []float32, nshots, nt, nrec int, wavelet []float64, snr float64, rng *rand.Rand) (float64, error) {
	n, err := BandLimitedNoise(d, nshots, nt, nrec, wavelet, snr, rng)
	if err != nil {
		return 0, err
	}
	dn, nn := 0.0, 0.0
	for i := range d {
		dn += float64(d[i]) * float64(d[i])
		nn += float64(n[i]) * float64(n[i])
		d[i] += n[i]
	}
	return 10 * math.Log10(dn/nn), nil
}
