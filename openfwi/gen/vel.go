package gen

import (
	"math"
	"math/rand/v2"
)

// Layered generates FlatVel and CurveVel maps (recipes, assumptions and
// validation: docs/datasets.md §4).
//
// Layering (measured on FlatVel-A): N ~ U{MinLayers..MaxLayers} layers with
// period T = 70/(N−1) cells; u ~ U[0.5, 1.5]; interface k = 1..N−1 at row
// round((u+k−1)·T + e_k), e_k ~ U[−Jitter, Jitter]. The last interface lies
// within T/2 of the bottom, so about half the maps show N−1 layers. Row z
// belongs to layer k when interface k ≤ z < interface k+1. Velocities are N
// integers uniform in [1500, 4500] m/s, sorted ascending with depth when
// Sorted is set.
//
// Curvature (CurveVel, when Curve is set; when the deepest layer stays below
// the bottom the layering is redrawn, as all real CurveVel-A maps show their N
// layers):
// the flat layering c_flat(y), with its first layer continued upwards and its
// last downwards, is sampled at
// c(z, x) = c_flat(floor(z + s(x))) with the depth-independent displacement
//
//	s(x) = (0.25 + 0.75·x/69)·Σ_i a_i·sin(2π k_i x/69),
//	a_i = ±Curve.Scale·(2 + 20·u_i²) cells, u_i ~ U[0, 1],
//	k_1 ~ U[0.3, 2.5], k_2 ~ U[2.5, 3.5],
//
// a calibrated recipe (fitted to the interface statistics measured on the
// real CurveVel-A maps) with the envelope's left end lowered from 0.35 to
// 0.25, which brings the left/middle/right peak-to-peak medians from
// 10/15/20 to 8/14/19 cells (real: 8/12/18).
type Layered struct {
	name string
	// MinLayers and MaxLayers bound the number of layers N.
	MinLayers, MaxLayers int
	// Jitter is the half-width of the uniform interface jitter, cells.
	Jitter float64
	// Sorted orders velocities ascending with depth (A versions).
	Sorted bool
	// Curve, when non-nil, warps the layers (CurveVel).
	Curve *Curve
}

// Curve holds the curvature parameters of CurveVel:
// s(x) = (Envelope + (1−Envelope)·x/69)·Σ_i a_i·sin(2π k_i x/69) with
// a_i = ±Scale·(A0 + A1·u_i²).
type Curve struct {
	// Scale multiplies the sine amplitudes (1 for A).
	Scale float64
	// Envelope is the relative amplitude at column 0 (1 at column 69).
	Envelope float64
	// A0 and A1 set the amplitude law, cells.
	A0, A1 float64
}

// curveA is the CurveVel-A curvature.
func curveA() *Curve { return &Curve{Scale: 1, Envelope: 0.25, A0: 2, A1: 20} }

// FlatVelA returns the FlatVel-A generator, recipe measured on the real
// FlatVel-A maps: 4–8 layers, jitter ±0.8 cells, sorted velocities,
// laterally invariant.
func FlatVelA() *Layered {
	return &Layered{name: "flatvel-a", MinLayers: 4, MaxLayers: 8, Jitter: 0.8, Sorted: true}
}

// FlatVelB returns the FlatVel-B generator. ASSUMPTION (no B maps
// available): as A but velocities in random order with depth.
func FlatVelB() *Layered {
	g := FlatVelA()
	g.name, g.Sorted = "flatvel-b", false
	return g
}

// CurveVelA returns the CurveVel-A generator: FlatVel-A layering warped by
// the calibrated sine displacement described on Layered (Scale 1).
func CurveVelA() *Layered {
	g := FlatVelA()
	g.name, g.Curve = "curvevel-a", curveA()
	return g
}

// CurveVelB returns the CurveVel-B generator. ASSUMPTION (no B maps): unsorted
// velocities and amplitudes 1.5× those of A.
func CurveVelB() *Layered {
	g := CurveVelA()
	g.name, g.Sorted = "curvevel-b", false
	g.Curve.Scale = 1.5
	return g
}

// Name implements Generator.
func (g *Layered) Name() string { return g.name }

// Generate implements Generator.
func (g *Layered) Generate(dst []float32, rng *rand.Rand) {
	checkDst(dst)
	var s [NX]float64
	if g.Curve != nil {
		s = curveWarp(rng, g.Curve)
	}
	for try := 0; ; try++ {
		l := g.layers(rng)
		deepest := 0
		for x := range NX {
			for z := range NZ {
				k := layerIndex(l.tops, math.Floor(float64(z)+s[x]))
				deepest = max(deepest, k)
				dst[z*NX+x] = float32(l.vel[k])
			}
		}
		// Real CurveVel-A maps show all N layers (3 distinct velocities
		// in 0.1 % of maps): the warp lifts the deepest layer into view.
		// Where it stays below the bottom, redraw the layering (not the
		// warp, whose statistics are matched separately).
		if g.Curve == nil || deepest == len(l.vel)-1 || try == 20 {
			return
		}
	}
}

// layers draws the flat layering described on Layered.
func (g *Layered) layers(rng *rand.Rand) *layering {
	n := uniformInt(rng, g.MinLayers, g.MaxLayers)
	t := float64(NZ) / float64(n-1)
	u := uniform(rng, 0.5, 1.5)
	l := &layering{tops: []float64{math.Inf(-1)}, vel: velocities(rng, n, g.Sorted)}
	for k := 1; k < n; k++ {
		z := math.Round((u+float64(k-1))*t + uniform(rng, -g.Jitter, g.Jitter))
		z = math.Max(z, l.tops[k-1]+1) // keep interfaces strictly increasing
		l.tops = append(l.tops, z)
	}
	return l
}

// curveWarp draws s(x) of the CurveVel recipe at the columns x = 0..69.
func curveWarp(rng *rand.Rand, c *Curve) [NX]float64 {
	f := c.draw(rng)
	var s [NX]float64
	for x := range s {
		s[x] = f(float64(x))
	}
	return s
}

// draw returns one random displacement s(x), x a real column coordinate.
func (c *Curve) draw(rng *rand.Rand) func(x float64) float64 {
	ks := [2]float64{uniform(rng, 0.3, 2.5), uniform(rng, 2.5, 3.5)}
	var as [2]float64
	for i := range as {
		u := rng.Float64()
		as[i] = c.Scale * (c.A0 + c.A1*u*u)
		if rng.IntN(2) == 0 {
			as[i] = -as[i]
		}
	}
	e0 := c.Envelope
	return func(x float64) float64 {
		s := 0.0
		for i, k := range ks {
			s += as[i] * math.Sin(2*math.Pi*k*x/(NX-1))
		}
		return s * (e0 + (1-e0)*x/(NX-1))
	}
}
