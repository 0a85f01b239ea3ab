package gen

import (
	"math"
	"math/rand/v2"
	"slices"
)

// fine is the refinement of the grid on which faulted maps are drawn before
// the antialiased bicubic downsampling that smears interfaces as in the real
// FlatFault-A maps (docs/datasets.md §4).
const fine = 2

// Faulted generates FlatFault and CurveFault maps (recipe, assumptions and
// validation: docs/datasets.md §4).
//
// Layering: L layers (L drawn from Layers) whose L−1 interfaces lie in a
// band starting at Top cells, separated by at least Gap cells; the free length
// Slack is spread as sorted uniform points (so spacings are Gap + Slack·Beta,
// a decreasing density, as measured). For L ≠ 4 all three lengths are scaled
// by 4.5/(L+0.5) so the band fits the map. One more layer lies below (it
// becomes visible where a fault uplifts it). Velocities are integers uniform
// in [1500, 4500] m/s, sorted ascending with depth when Sorted is set.
//
// Curvature (CurveFault, when Curve is set): the CurveVel displacement of
// Layered.
//
// Faults (Faults.Min..Faults.Max of them): a line through a point uniform in
// columns [15, 55] and rows [15, 55], with a dip drawn from Dip (a
// piecewise-linear inverse CDF) and a random direction. The side below the
// line is uplifted: it samples the layering at (x + s, z + t) with the throw
// t = 0 with probability ZeroThrow, else t ~ U[Throw[0], Throw[1]] cells, and
// a horizontal shift s ~ U[−Shift, Shift] cells. Uplifting the lower side keeps
// sorted columns monotone, as in every real map.
//
// Rendering: the map is evaluated on a 2× finer grid and downsampled with an
// antialiased bicubic filter (Keys a = −0.5, the PIL/imresize convention),
// then clipped to [the smallest layer velocity, 4500] m/s: the real maps
// overshoot above the largest velocity but never undershoot the smallest.
type Faulted struct {
	name string
	// Layers are the possible layer counts L.
	Layers []int
	// Top, Gap and Slack define the interfaces for L = 4, cells: the
	// first at Top + Slack·u², each next one Gap + Slack·u² deeper (u ~
	// U[0, 1] each), redrawn until the last is inside the map.
	Top, Gap, Slack float64
	// Extra bounds the depth below the map bottom of the top of the extra
	// layer, cells.
	Extra [2]float64
	// Kernel is the downsampling filter: "bicubic" or "triangle".
	Kernel string
	// Sorted orders velocities ascending with depth (A versions).
	Sorted bool
	// Curve, when non-nil, warps the layers (CurveFault).
	Curve *Curve
	// Faults bounds the number of faults.
	Faults struct{ Min, Max int }
	// Dip is the inverse CDF of the dip in degrees at probabilities
	// 0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.
	Dip [7]float64
	// ZeroThrow is the probability of a purely horizontal fault shift.
	ZeroThrow float64
	// Throw bounds the vertical uplift, cells.
	Throw [2]float64
	// Shift bounds the horizontal shift, cells. It is 0 in every preset:
	// on flat layers it changes nothing, and on curved layers it breaks
	// the ascending order down the columns.
	Shift float64
}

// dipQuantiles are the probabilities of the Dip knots.
var dipQuantiles = [7]float64{0, 0.05, 0.25, 0.5, 0.75, 0.95, 1}

// FlatFaultA returns the FlatFault-A generator, calibrated against the 1 000
// real FlatFault-A maps shipped with genfwi (see the package tests and
// docs/datasets.md for the remaining mismatch). L ∈ {2, 3, 4} as in the file
// names vel{L}_1_{k}; the real maps measured are L = 4.
func FlatFaultA() *Faulted {
	g := &Faulted{
		name: "flatfault-a", Layers: []int{2, 3, 4},
		Top: 14.5, Gap: 15, Slack: 10, Extra: [2]float64{8, 20}, Kernel: "bicubic", Sorted: true,
		Dip:       [7]float64{10, 28, 49, 66, 79, 88, 90},
		ZeroThrow: 0.5, Throw: [2]float64{5.5, 10.5},
	}
	g.Faults.Min, g.Faults.Max = 1, 1
	return g
}

// FlatFaultB returns the FlatFault-B generator. ASSUMPTION (no B maps
// available): L ∈ {6, 7, 8}, 1–2 faults, throw up to 15 cells, and velocities
// sorted ascending with depth. A first version drew unsorted velocities,
// but those put fast rock at the surface: 40 simulated maps already exceeded
// the official FlatFault-B data_max (50.28, below FlatFault-A's 50.86), which
// sorted velocities over more layers (a slower top layer) explain
// (docs/datasets.md).
func FlatFaultB() *Faulted {
	g := FlatFaultA()
	g.name, g.Layers = "flatfault-b", []int{6, 7, 8}
	g.Faults.Max = 2
	g.Throw = [2]float64{5, 15}
	return g
}

// CurveFaultA returns the CurveFault-A generator. ASSUMPTION (no CurveFault
// maps available): the FlatFault-A recipe on CurveVel-A-warped layers.
func CurveFaultA() *Faulted {
	g := FlatFaultA()
	g.name, g.Curve = "curvefault-a", curveA()
	return g
}

// CurveFaultB returns the CurveFault-B generator. ASSUMPTION: FlatFault-B on
// CurveVel-B-warped layers (amplitude 1.5×).
func CurveFaultB() *Faulted {
	g := FlatFaultB()
	g.name, g.Curve = "curvefault-b", curveA()
	g.Curve.Scale = 1.5
	return g
}

// Name implements Generator.
func (g *Faulted) Name() string { return g.name }

// ForLayers returns a copy of g that always draws L layers (the L of the
// Fault file names seis{L}_1_{k}).
func (g *Faulted) ForLayers(l int) *Faulted {
	c := *g
	c.Layers = []int{l}
	return &c
}

// fault is one drawn fault.
type fault struct {
	x0, z0, cot, dir float64 // line x = x0 + dir·(z − z0)·cot
	s, t             float64 // horizontal and vertical shift of the lower side
}

// below reports whether (x, z) lies on the lower side of the line.
func (f *fault) below(x, z float64) bool {
	return f.dir*(x-(f.x0+f.dir*(z-f.z0)*f.cot)) < 0
}

// Generate implements Generator.
func (g *Faulted) Generate(dst []float32, rng *rand.Rand) {
	checkDst(dst)
	l := g.layers(rng)
	var warp func(x float64) float64
	if g.Curve != nil {
		warp = g.Curve.draw(rng)
	}
	nf := uniformInt(rng, g.Faults.Min, g.Faults.Max)
	faults := make([]fault, nf)
	for i := range faults {
		f := &faults[i]
		f.x0, f.z0 = uniform(rng, 15, 55), uniform(rng, 15, 55)
		dip := invCDF(g.Dip, rng.Float64()) * math.Pi / 180
		f.cot = math.Cos(dip) / math.Sin(dip)
		f.dir = 1
		if rng.IntN(2) == 0 {
			f.dir = -1
		}
		if rng.Float64() >= g.ZeroThrow {
			f.t = uniform(rng, g.Throw[0], g.Throw[1])
		}
		f.s = uniform(rng, -g.Shift, g.Shift)
	}
	const nf2 = NZ * fine
	hi := make([]float64, nf2*nf2)
	for j := range nf2 {
		for i := range nf2 {
			// Coarse coordinates of the fine cell centre.
			z := (float64(j)+0.5)/fine - 0.5
			x := (float64(i)+0.5)/fine - 0.5
			for k := range faults {
				if faults[k].below(x, z) {
					x += faults[k].s
					z += faults[k].t
				}
			}
			y := z
			if warp != nil {
				y += warp(x)
			}
			// Row z lies in layer k when interface k <= z, so the
			// continuous boundary sits half a cell above it.
			hi[j*nf2+i] = l.at(y + 0.5)
		}
	}
	lo := slices.Min(l.vel)
	w := &bicubicWeights
	if g.Kernel == "triangle" {
		w = &triangleWeights
	}
	downsample(dst, hi, lo, w)
}

// layers draws the layering: L−1 interfaces inside the map plus one below.
func (g *Faulted) layers(rng *rand.Rand) *layering {
	L := g.Layers[rng.IntN(len(g.Layers))]
	scale := 4.5 / (float64(L) + 0.5)
	top, gap, slack := g.Top*scale, g.Gap*scale, g.Slack*scale
	var tops []float64
	// Redraw until every layer is visible (all real maps show L layers);
	// the band is designed so that this rarely takes more than two tries.
	for try := 0; ; try++ {
		tops = tops[:0]
		z := top
		for i := 0; i < L-1; i++ {
			u := rng.Float64()
			if i > 0 {
				z += gap
			}
			z += slack * u * u
			tops = append(tops, math.Round(z))
		}
		if L == 1 || tops[len(tops)-1] <= NZ-gap/3 || try == 100 {
			break
		}
	}
	extra := float64(NZ) + uniform(rng, g.Extra[0], g.Extra[1])
	l := &layering{tops: []float64{math.Inf(-1)}, vel: velocities(rng, L+1, g.Sorted)}
	l.tops = append(l.tops, tops...)
	l.tops = append(l.tops, math.Max(math.Round(extra), tops[len(tops)-1]+1))
	return l
}

// invCDF interpolates the inverse CDF given at dipQuantiles.
func invCDF(knots [7]float64, p float64) float64 {
	for i := 1; i < len(dipQuantiles); i++ {
		if p <= dipQuantiles[i] {
			w := (p - dipQuantiles[i-1]) / (dipQuantiles[i] - dipQuantiles[i-1])
			return knots[i-1] + w*(knots[i]-knots[i-1])
		}
	}
	return knots[len(knots)-1]
}

// keys is the Keys cubic convolution kernel with a = −0.5.
func keys(t float64) float64 {
	const a = -0.5
	t = math.Abs(t)
	switch {
	case t < 1:
		return ((a+2)*t-(a+3))*t*t + 1
	case t < 2:
		return ((a*t-5*a)*t+8*a)*t - 4*a
	}
	return 0
}

// bicubicWeights are the antialiased downsampling weights of one output
// cell: the kernel stretched by the factor, normalised, support clipped to
// the image (PIL's convention).
var bicubicWeights = filterWeights(keys, 2)

// triangleWeights are the same for the triangle (bilinear) kernel.
var triangleWeights = filterWeights(func(t float64) float64 { return math.Max(0, 1-math.Abs(t)) }, 1)

type tap struct {
	i int
	w float64
}

func filterWeights(k func(float64) float64, support int) [NX][]tap {
	var out [NX][]tap
	n := NX * fine
	for c := range NX {
		centre := (float64(c)+0.5)*fine - 0.5
		sum := 0.0
		for i := max(0, int(centre)-support*fine-1); i <= min(n-1, int(centre)+support*fine+1); i++ {
			w := k((float64(i) - centre) / fine)
			if w != 0 {
				out[c] = append(out[c], tap{i, w})
				sum += w
			}
		}
		for k := range out[c] {
			out[c][k].w /= sum
		}
	}
	return out
}

// downsampleBicubic reduces the fine map hi (140×140) to dst (70×70),
// separably, and clips to [lo, VMax].
func downsample(dst []float32, hi []float64, lo float64, weights *[NX][]tap) {
	n := NX * fine
	tmp := make([]float64, n*NX) // rows fine, columns coarse
	for j := range n {
		for c := range NX {
			s := 0.0
			for _, t := range weights[c] {
				s += t.w * hi[j*n+t.i]
			}
			tmp[j*NX+c] = s
		}
	}
	for r := range NZ {
		for c := range NX {
			s := 0.0
			for _, t := range weights[r] {
				s += t.w * tmp[t.i*NX+c]
			}
			// Inside a layer the weights (summing to 1 only up to
			// rounding) must give back its integer velocity exactly.
			if r := math.Round(s); math.Abs(s-r) < 1e-6 {
				s = r
			}
			dst[r*NX+c] = float32(math.Max(lo, math.Min(VMax, s)))
		}
	}
}
