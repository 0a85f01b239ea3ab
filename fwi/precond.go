package fwi

import "math"

// Precond is a diagonal gradient preconditioner for an nz×nx model:
//
//	P g(iz, ix) = mask(iz) · ((iz+1)·h)^DepthPower · g(iz, ix),   then optionally g / max|g|
//
// with h the cell size (m). Depth scaling compensates the geometric decay of
// the gradient with depth (WISE/WISER multiply by z·dz, DepthPower = 1; JUDI's
// judiDepthScaling uses √z, DepthPower = 0.5). The first WaterRows rows are
// masked to zero (a water layer or other known top that must not change).
// With SmoothSigma > 0 the gradient is also smoothed with a Gaussian of that
// many cells (zero outside the grid, so the operator is symmetric and
// positive definite and therefore a valid preconditioner); this suppresses
// the high-wavenumber, migration-like part of the update.
// The zero value is the identity.
type Precond struct {
	SmoothSigma float64 // Gaussian smoothing of the gradient in cells; 0 = none
	DepthPower  float64 // exponent of depth (m) in the scaling; 0 = none
	WaterRows   int     // rows from the top whose gradient is zeroed
	// Normalize divides the gradient by its largest absolute value, so that
	// a step length is in m/s (projected gradient) or Adam sees O(1) values.
	Normalize bool
}

// Weights returns the diagonal of the preconditioner (without Normalize)
// for an nz-row grid with cell size h m, one value per row. It allocates.
func (p Precond) Weights(nz int, h float64) []float64 {
	w := make([]float64, nz)
	for iz := range w {
		if iz < p.WaterRows {
			continue
		}
		w[iz] = 1
		if p.DepthPower != 0 {
			w[iz] = math.Pow(float64(iz+1)*h, p.DepthPower)
		}
	}
	return w
}

// Apply preconditions g (nz×nx, row-major) in place for cell size h m:
// smoothing first, then the row weights, then Normalize. It allocates the
// row weights and, when smoothing, two nz·nx scratch planes. It panics if len(g) is not a
// multiple of nz.
func (p Precond) Apply(g []float32, nz int, h float64) {
	if nz <= 0 || len(g)%nz != 0 {
		panic(errLength)
	}
	nx := len(g) / nz
	w := p.Weights(nz, h)
	if p.SmoothSigma > 0 {
		tmp := make([]float64, len(g))
		for i, x := range g {
			tmp[i] = float64(x)
		}
		SmoothZero(tmp, tmp, nz, nx, p.SmoothSigma)
		for i, x := range tmp {
			g[i] = float32(x)
		}
	}
	for iz := 0; iz < nz; iz++ {
		row := g[iz*nx : (iz+1)*nx]
		for ix := range row {
			row[ix] = float32(float64(row[ix]) * w[iz])
		}
	}
	if p.Normalize {
		m := 0.0
		for _, x := range g {
			m = math.Max(m, math.Abs(float64(x)))
		}
		if m > 0 {
			for i := range g {
				g[i] = float32(float64(g[i]) / m)
			}
		}
	}
}

// Bounds are box constraints on velocity in m/s. The zero value means the
// OpenFWI range 1500…4500 m/s.
type Bounds struct{ Min, Max float64 }

// OpenFWIBounds is the velocity range of the OpenFWI datasets (m/s).
var OpenFWIBounds = Bounds{Min: 1500, Max: 4500}

func (b Bounds) orDefault() Bounds {
	if b.Min == 0 && b.Max == 0 {
		return OpenFWIBounds
	}
	return b
}

// Project clamps every velocity of v (m/s) into [Min, Max] in place and
// returns how many values changed. NaN becomes Min.
func (b Bounds) Project(v []float32) int {
	b = b.orDefault()
	lo, hi := float32(b.Min), float32(b.Max)
	n := 0
	for i, x := range v {
		switch {
		case x < lo || x != x:
			v[i] = lo
			n++
		case x > hi:
			v[i] = hi
			n++
		}
	}
	return n
}
