package wave

import "math"

// spongeProfile returns the OpenFWI/Collino–Tsogka damping rates (1/s) of an
// nb-cell layer: d[i] = κ (i h/a)², a = (nb−1) h, κ = 3 vref ln(1e7)/(2a),
// i = 0 next to the model, i = nb−1 at the outer edge (UPFWI's FWM).
func spongeProfile(nb int, h, vref float64) []float64 {
	d := make([]float64, nb)
	if nb < 2 {
		return d // a one-cell layer has a = 0: no damping is defined
	}
	a := float64(nb-1) * h
	kappa := 3 * vref * math.Log(1e7) / (2 * a)
	for i := range d {
		x := float64(i) * h / a
		d[i] = kappa * x * x
	}
	return d
}

// devitoProfile returns the Devito/JUDI damp_op rates (1/s) of an nb-cell
// layer, indexed like spongeProfile (i = 0 next to the model). The 3 cells next
// to the model are an undamped buffer; the damped nb' = nb−3 cells have
// pos = (nb' − j + 1)/nb' with j = 0 at the outer edge and
// η = 1.5 ln(1000)/nb' (pos − sin(2π pos)/(2π))/h in JUDI units (ms/m²),
// converted to d = η (vref/1000)² · 1000 = η vref²/1000.
func devitoProfile(nb int, h, vref float64) []float64 {
	d := make([]float64, nb)
	nbp := nb - 3
	if nbp < 1 {
		return d
	}
	coef := 1.5 * math.Log(1000) / float64(nbp)
	for j := 0; j < nbp; j++ { // j = 0 outermost
		pos := math.Abs(float64(nbp-j+1) / float64(nbp))
		eta := coef * (pos - math.Sin(2*math.Pi*pos)/(2*math.Pi)) / h
		d[nb-1-j] = eta * vref * vref / 1000
	}
	return d
}

// dampField fills damp (padded grid [nzp][nxp], row-major, 1/s) for an
// nb-cell layer around an nz×nx model. Sponge: the x strips win in the corners
// (UPFWI's FWM assigns them last). Devito: the x and z profiles add (Devito's Inc).
func dampField(damp []float64, nz, nx, nb int, h, vref float64, b Boundary) {
	nzp, nxp := nz+2*nb, nx+2*nb
	var prof []float64
	if b == Devito {
		prof = devitoProfile(nb, h, vref)
	} else {
		prof = spongeProfile(nb, h, vref)
	}
	// depth into the layer along one axis, or -1 inside the model
	depth := func(i, n int) int {
		switch {
		case i < nb:
			return nb - 1 - i
		case i >= n+nb:
			return i - (n + nb)
		}
		return -1
	}
	for z := 0; z < nzp; z++ {
		dz := depth(z, nz)
		for x := 0; x < nxp; x++ {
			dx := depth(x, nx)
			var v float64
			switch {
			case b == Devito:
				if dz >= 0 {
					v += prof[dz]
				}
				if dx >= 0 {
					v += prof[dx]
				}
			case dx >= 0:
				v = prof[dx]
			case dz >= 0:
				v = prof[dz]
			}
			damp[z*nxp+x] = v
		}
	}
}
