package wiser

import (
	"fmt"
	"math"
	"slices"

	"genfwi/wise"
)

// Perturb returns WISER's out-of-distribution velocity (the paper's Fig. 1,
// WISER.jl's perturbv): every value x (km/s) becomes
// x + A·sin(2π (x − vmin)/(vmax − vmin)) with vmin, vmax the extremes of the
// map and A = amplitude in km/s. v and the result are in m/s. A constant map
// is returned unchanged.
func Perturb(v []float32, amplitude float64) []float32 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, float64(x)), math.Max(hi, float64(x))
	}
	out := make([]float32, len(v))
	for i, x := range v {
		k := float64(x) / 1000
		if hi > lo {
			k += amplitude * math.Sin(2*math.Pi*(float64(x)-lo)/(hi-lo))
		}
		out[i] = float32(1000 * k)
	}
	return out
}

// RowW1 returns the Wasserstein-1 distance (m/s) between the values of the
// posterior samples in row z (all samples, all columns) and the truth's
// values in that row: ∫|F_p − F_t|, computed from the two sorted samples.
// It is the number behind WISER's value histograms at two depths.
func RowW1(p *wise.Posterior, truth []float32, z int) (float64, error) {
	if z < 0 || z >= p.Nz || len(truth) != p.Nz*p.Nx {
		return 0, fmt.Errorf("wiser: row %d outside 0..%d or truth of %d values", z, p.Nz-1, len(truth))
	}
	var a, b []float64
	for i := 0; i < p.N; i++ {
		for x := 0; x < p.Nx; x++ {
			a = append(a, float64(p.Samples[i*p.Nz*p.Nx+z*p.Nx+x]))
		}
	}
	for x := 0; x < p.Nx; x++ {
		b = append(b, float64(truth[z*p.Nx+x]))
	}
	return W1(a, b), nil
}

// W1 is the Wasserstein-1 distance between the empirical distributions of a
// and b (any lengths): the integral of |F_a − F_b| over the merged support.
func W1(a, b []float64) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	xs := append(slices.Clone(a), b...)
	slices.Sort(xs)
	var w float64
	ia, ib := 0, 0
	for k := 0; k+1 < len(xs); k++ {
		for ia < len(a) && a[ia] <= xs[k] {
			ia++
		}
		for ib < len(b) && b[ib] <= xs[k] {
			ib++
		}
		fa, fb := float64(ia)/float64(len(a)), float64(ib)/float64(len(b))
		w += math.Abs(fa-fb) * (xs[k+1] - xs[k])
	}
	return w
}
