package gen

import (
	"math"
	"math/rand/v2"
)

// Style generates Style-like maps with a random-field SUBSTITUTE for
// OpenFWI's style transfer (Deng et al., NeurIPS 2022), which needs COCO images and a
// pretrained VGG and cannot be reproduced offline. Nothing about it was
// verified against real Style maps (none were available); it only aims at
// the same ingredients: a smooth depth trend, laterally elongated
// heterogeneity, a few sharp bodies, and an overall smoothing that is
// stronger for A than for B.
//
// A map is the sum of
//
//	trend(z) = v0 + (v1 − v0)·(z/69)^p, v0 ~ U[1500, 2500], v1 ~ U[v0+500 ∨ 3000, 4500], p ~ U[0.7, 1.5]
//	Fields Gaussian random fields, each white noise blurred with σx ~ U[4, 15]
//	  and σz ~ U[1.5, 5] cells, rotated by θ ~ N(0, 15°), scaled to standard
//	  deviation U[150, 450] m/s
//	0..MaxBlobs elliptic bodies (semi-axes U[3, 12] × U[2, 6] cells, random
//	  orientation) adding ±U[300, 1000] m/s
//
// then Gaussian smoothing with σ ~ U[Sigma[0], Sigma[1]] cells and clipping to
// [1500, 4500] m/s.
type Style struct {
	name string
	// Fields is the number of random fields added.
	Fields int
	// MaxBlobs bounds the number of sharp bodies.
	MaxBlobs int
	// Sigma bounds the final smoothing, cells.
	Sigma [2]float64
}

// StyleA returns the Style-A substitute: smoothing σ ∈ [2, 3] cells.
// ASSUMPTION, see Style.
func StyleA() *Style { return &Style{name: "style-a", Fields: 2, MaxBlobs: 3, Sigma: [2]float64{2, 3}} }

// StyleB returns the Style-B substitute: smoothing σ ∈ [0.5, 1] cells.
// ASSUMPTION, see Style.
func StyleB() *Style {
	return &Style{name: "style-b", Fields: 2, MaxBlobs: 3, Sigma: [2]float64{0.5, 1}}
}

// Name implements Generator.
func (g *Style) Name() string { return g.name }

// Generate implements Generator.
func (g *Style) Generate(dst []float32, rng *rand.Rand) {
	checkDst(dst)
	m := make([]float64, NZ*NX)
	v0 := uniform(rng, 1500, 2500)
	v1 := uniform(rng, math.Max(v0+500, 3000), 4500)
	p := uniform(rng, 0.7, 1.5)
	for z := range NZ {
		t := v0 + (v1-v0)*math.Pow(float64(z)/(NZ-1), p)
		for x := range NX {
			m[z*NX+x] = t
		}
	}
	for range g.Fields {
		addField(m, rng)
	}
	for range rng.IntN(g.MaxBlobs + 1) {
		cx, cz := uniform(rng, 0, NX-1), uniform(rng, 10, NZ-1)
		a, b := uniform(rng, 3, 12), uniform(rng, 2, 6)
		th := uniform(rng, 0, math.Pi)
		dv := uniform(rng, 300, 1000)
		if rng.IntN(2) == 0 {
			dv = -dv
		}
		c, s := math.Cos(th), math.Sin(th)
		for z := range NZ {
			for x := range NX {
				dx, dz := float64(x)-cx, float64(z)-cz
				u, w := (c*dx+s*dz)/a, (-s*dx+c*dz)/b
				if u*u+w*w <= 1 {
					m[z*NX+x] += dv
				}
			}
		}
	}
	blur(m, NZ, NX, uniform(rng, g.Sigma[0], g.Sigma[1]), uniform(rng, g.Sigma[0], g.Sigma[1]))
	for i, v := range m {
		dst[i] = float32(clampV(v))
	}
}

// addField adds one rotated anisotropic Gaussian random field to m.
func addField(m []float64, rng *rand.Rand) {
	const n = 110 // larger than the 70·√2 diagonal so rotation stays inside
	sx, sz := uniform(rng, 4, 15), uniform(rng, 1.5, 5)
	th := rng.NormFloat64() * 15 * math.Pi / 180
	f := make([]float64, n*n)
	for i := range f {
		f[i] = rng.NormFloat64()
	}
	blur(f, n, n, sz, sx)
	mean, sd := 0.0, 0.0
	for _, v := range f {
		mean += v
	}
	mean /= float64(len(f))
	for _, v := range f {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd / float64(len(f)))
	amp := uniform(rng, 150, 450) / sd
	c, s := math.Cos(th), math.Sin(th)
	for z := range NZ {
		for x := range NX {
			// Rotate about the map centre into the field's frame.
			dx, dz := float64(x)-34.5, float64(z)-34.5
			u := c*dx + s*dz + n/2
			w := -s*dx + c*dz + n/2
			m[z*NX+x] += amp * (bilinear(f, n, w, u) - mean)
		}
	}
}

// bilinear samples the n×n image f at row r, column c (inside the image).
func bilinear(f []float64, n int, r, c float64) float64 {
	r0, c0 := int(r), int(c)
	r0, c0 = min(max(r0, 0), n-2), min(max(c0, 0), n-2)
	wr, wc := r-float64(r0), c-float64(c0)
	return (1-wr)*((1-wc)*f[r0*n+c0]+wc*f[r0*n+c0+1]) + wr*((1-wc)*f[(r0+1)*n+c0]+wc*f[(r0+1)*n+c0+1])
}

// blur smooths the nz×nx image m in place with a Gaussian of standard
// deviations sz (rows) and sx (columns) cells, truncated at 3σ, with
// mirrored edges.
func blur(m []float64, nz, nx int, sz, sx float64) {
	tmp := make([]float64, len(m))
	conv1(tmp, m, nz, nx, sx, 1)  // along rows
	conv1(m, tmp, nx, nz, sz, nx) // along columns
}

// GaussianKernel returns the normalised 1-D Gaussian g[k] ∝ exp(−(k−h)²/(2σ²)),
// k = 0…2h, of standard deviation sigma cells and half-width h (length
// 2h+1). It is the kernel of the Style maps' blur (h = ⌈3σ⌉) and, through
// fwi.GaussianKernelWidth, of the FWI smoothers, which sit above this package
// and so borrow it rather than keep a copy. It allocates. It panics if
// sigma <= 0 or h < 0.
func GaussianKernel(sigma float64, h int) []float64 {
	if !(sigma > 0) || h < 0 {
		panic("gen: Gaussian sigma must be positive and the half-width non-negative")
	}
	g := make([]float64, 2*h+1)
	s := 0.0
	for k := range g {
		d := float64(k - h)
		g[k] = math.Exp(-d * d / (2 * sigma * sigma))
		s += g[k]
	}
	for k := range g {
		g[k] /= s
	}
	return g
}

// conv1 convolves lines of length n (stride step between elements, lines
// starting at multiples of the other stride) with a Gaussian of σ s.
func conv1(dst, src []float64, lines, n int, s float64, step int) {
	if s <= 0 {
		copy(dst, src)
		return
	}
	r := int(math.Ceil(3 * s))
	k := GaussianKernel(s, r)
	lineStride := 1
	if step == 1 {
		lineStride = n
	}
	for l := range lines {
		base := l * lineStride
		for i := range n {
			acc := 0.0
			for j, w := range k {
				t := i + j - r
				for t < 0 || t >= n { // mirror, repeated for wide kernels
					if t < 0 {
						t = -t - 1
					}
					if t >= n {
						t = 2*n - t - 1
					}
				}
				acc += w * src[base+t*step]
			}
			dst[base+i*step] = acc
		}
	}
}
