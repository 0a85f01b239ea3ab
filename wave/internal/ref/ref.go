// Package ref is a slow, obviously correct float64 reference propagator for
// the tests of package wave: plain loops over [z][x] arrays, no region split,
// no goroutines, no substeps, written directly from the OpenFWI scheme and
// sponge (docs/wave.md, "Physics and numerics") with the damping given as a
// field.
package ref

import "math"

// Weights returns the centred second-derivative weights w[0..order/2].
func Weights(order int) []float64 {
	switch order {
	case 2:
		return []float64{-2, 1}
	case 4:
		return []float64{-5.0 / 2, 4.0 / 3, -1.0 / 12}
	case 8:
		return []float64{-205.0 / 72, 8.0 / 5, -1.0 / 5, 8.0 / 315, -1.0 / 560}
	}
	panic("ref: order must be 2, 4 or 8")
}

// Sponge returns the OpenFWI damping (1/s) on the padded grid
// [nz+2nb][nx+2nb]: κ = 3 vref ln(1e7)/(2a), a = (nb−1)h, d1[i] = κ(i h/a)²,
// left strip d1[nb−1−x], right strip d1[x−(nx+nb)], top/bottom likewise, the
// x value in the corners.
func Sponge(nz, nx, nb int, h, vref float64) [][]float64 {
	d := make([][]float64, nz+2*nb)
	a := float64(nb-1) * h
	kappa := 3 * vref * math.Log(1e7) / (2 * a)
	d1 := func(i int) float64 { x := float64(i) * h / a; return kappa * x * x }
	for z := range d {
		d[z] = make([]float64, nx+2*nb)
		for x := range d[z] {
			switch {
			case x < nb:
				d[z][x] = d1(nb - 1 - x)
			case x >= nx+nb:
				d[z][x] = d1(x - (nx + nb))
			case z < nb:
				d[z][x] = d1(nb - 1 - z)
			case z >= nz+nb:
				d[z][x] = d1(z - (nz + nb))
			}
		}
	}
	return d
}

// Problem is one shot on the model grid.
type Problem struct {
	V       [][]float64 // [nz][nx] m/s
	H, Dt   float64     // m, s
	Order   int
	NB      int
	Damp    [][]float64 // [nz+2nb][nx+2nb] 1/s, or nil for none
	SrcZ    int         // model-grid source
	SrcX    int
	Wavelet []float64 // one value per step
	RecZ    []int     // model-grid receivers
	RecX    []int
}

// Run returns the traces [step][receiver]: after step j,
// p = (2 + 2 w0 α − κ) p1 − (1 − κ) p0 + α Σ_k w_k (neighbours at ±k),
// p[src] += (v dt)² wavelet[j], then the receivers are read.
func Run(pr Problem) [][]float64 {
	nz, nx, nb := len(pr.V), len(pr.V[0]), pr.NB
	nzp, nxp := nz+2*nb, nx+2*nb
	w := Weights(pr.Order)
	vel := func(z, x int) float64 {
		return pr.V[min(max(z-nb, 0), nz-1)][min(max(x-nb, 0), nx-1)]
	}
	grid := func() [][]float64 {
		g := make([][]float64, nzp)
		for i := range g {
			g[i] = make([]float64, nxp)
		}
		return g
	}
	at := func(p [][]float64, z, x int) float64 {
		if z < 0 || z >= nzp || x < 0 || x >= nxp {
			return 0
		}
		return p[z][x]
	}
	p0, p1 := grid(), grid()
	out := make([][]float64, len(pr.Wavelet))
	for j := range pr.Wavelet {
		p := grid()
		for z := 0; z < nzp; z++ {
			for x := 0; x < nxp; x++ {
				v := vel(z, x)
				alpha := (v * pr.Dt / pr.H) * (v * pr.Dt / pr.H)
				kap := 0.0
				if pr.Damp != nil {
					kap = pr.Damp[z][x] * pr.Dt
				}
				lap := 0.0
				for k := 1; k < len(w); k++ {
					lap += w[k] * (at(p1, z-k, x) + at(p1, z+k, x) + at(p1, z, x-k) + at(p1, z, x+k))
				}
				p[z][x] = (2+2*w[0]*alpha-kap)*p1[z][x] - (1-kap)*p0[z][x] + alpha*lap
			}
		}
		vs := vel(pr.SrcZ+nb, pr.SrcX+nb)
		p[pr.SrcZ+nb][pr.SrcX+nb] += vs * vs * pr.Dt * pr.Dt * pr.Wavelet[j]
		out[j] = make([]float64, len(pr.RecZ))
		for i := range pr.RecZ {
			out[j][i] = p[pr.RecZ[i]+nb][pr.RecX[i]+nb]
		}
		p0, p1 = p1, p
	}
	return out
}
