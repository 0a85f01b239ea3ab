package fwi

import "math"

// Regularizer is a penalty R(v) on an nz×nx model in m/s. Add returns R(v)
// and adds ∂R/∂v into grad (accumulates, like the data gradient).
type Regularizer interface {
	Add(v []float32, nz, nx int, grad []float32) float64
}

// Tikhonov is the first-order Tikhonov (smoothness) penalty
//
//	R(v) = ½·Lambda · Σ [ (v(iz,ix+1) − v(iz,ix))² + (v(iz+1,ix) − v(iz,ix))² ]
//
// over all neighbouring cell pairs, in (m/s)² times Lambda. Lambda trades
// data fit against smoothness; its unit is (misfit unit)/(m/s)².
type Tikhonov struct{ Lambda float64 }

// Add implements Regularizer. It does not allocate.
func (t Tikhonov) Add(v []float32, nz, nx int, grad []float32) float64 {
	if len(v) != nz*nx || len(grad) != nz*nx {
		panic(errLength)
	}
	r := 0.0
	for iz := 0; iz < nz; iz++ {
		for ix := 0; ix < nx; ix++ {
			i := iz*nx + ix
			if ix+1 < nx {
				d := float64(v[i+1] - v[i])
				r += d * d
				grad[i+1] += float32(t.Lambda * d)
				grad[i] -= float32(t.Lambda * d)
			}
			if iz+1 < nz {
				d := float64(v[i+nx] - v[i])
				r += d * d
				grad[i+nx] += float32(t.Lambda * d)
				grad[i] -= float32(t.Lambda * d)
			}
		}
	}
	return 0.5 * t.Lambda * r
}

// TV is the smoothed isotropic total variation
//
//	R(v) = Lambda · Σ_cells √( (∂x v)² + (∂z v)² + Eps² )
//
// with forward differences (zero across the far edges) in m/s; Eps (m/s,
// default 1) keeps it differentiable where the model is flat.
type TV struct{ Lambda, Eps float64 }

// Add implements Regularizer. It does not allocate.
func (t TV) Add(v []float32, nz, nx int, grad []float32) float64 {
	if len(v) != nz*nx || len(grad) != nz*nx {
		panic(errLength)
	}
	eps := t.Eps
	if eps == 0 {
		eps = 1
	}
	r := 0.0
	for iz := 0; iz < nz; iz++ {
		for ix := 0; ix < nx; ix++ {
			i := iz*nx + ix
			var dx, dz float64
			if ix+1 < nx {
				dx = float64(v[i+1] - v[i])
			}
			if iz+1 < nz {
				dz = float64(v[i+nx] - v[i])
			}
			n := math.Sqrt(dx*dx + dz*dz + eps*eps)
			r += n
			if ix+1 < nx {
				grad[i+1] += float32(t.Lambda * dx / n)
				grad[i] -= float32(t.Lambda * dx / n)
			}
			if iz+1 < nz {
				grad[i+nx] += float32(t.Lambda * dz / n)
				grad[i] -= float32(t.Lambda * dz / n)
			}
		}
	}
	return t.Lambda * r
}
