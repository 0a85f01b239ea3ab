package wave

import "math"

// stencilWeights returns the weights w[0..order/2] of the centred
// second-derivative stencil of the given order: h² ∂²u/∂x² ≈ w0 u_i +
// Σ_k w_k (u_{i+k} + u_{i−k}). Panics on an order other than 2, 4 or 8.
func stencilWeights(order int) []float64 {
	switch order {
	case 2:
		return []float64{-2, 1}
	case 4:
		return []float64{-5.0 / 2, 4.0 / 3, -1.0 / 12}
	case 8:
		return []float64{-205.0 / 72, 8.0 / 5, -1.0 / 5, 8.0 / 315, -1.0 / 560}
	}
	panic("wave: stencil order must be 2, 4 or 8")
}

// CourantLimit returns the von Neumann stability limit of v·dt/h for the 2D
// leapfrog scheme with the given spatial order (no damping):
// 2/sqrt(2·λ), λ = max over θ of −(w0 + 2 Σ w_k cos kθ) = the 1D stencil's
// largest eigenvalue (reached at θ = π). Values: order 2 0.7071, 4 0.6124,
// 8 0.5546. Panics on an order other than 2, 4 or 8.
func CourantLimit(order int) float64 {
	w := stencilWeights(order)
	lam := -w[0]
	for k := 1; k < len(w); k++ {
		lam -= 2 * w[k] * math.Pow(-1, float64(k))
	}
	return 2 / math.Sqrt(2*lam)
}

// courantSafety is the fraction of CourantLimit the simulator allows before it
// splits a recording step into substeps. OpenFWI runs at 0.45 with order 4
// (0.73 of the limit), so the preset never substeps.
const courantSafety = 0.9

// Substeps returns the number of internal time steps per recording step dt so
// that vmax·(dt/k)/h ≤ 0.9·CourantLimit(order): k = ceil(vmax dt /(h·0.9·limit)),
// at least 1. Special cases are: vmax <= 0 or NaN gives 1.
func Substeps(vmax, dt, h float64, order int) int {
	c := vmax * dt / h
	lim := courantSafety * CourantLimit(order)
	if !(c > lim) {
		return 1
	}
	return int(math.Ceil(c / lim))
}
