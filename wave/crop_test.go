package wave

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCropImagesDotProduct: with Options.CropImages the extended Born
// operator and its adjoint still satisfy ⟨J δv, δd⟩ = ⟨δv, Jᵀ δd⟩, and the
// cropped operator equals the full one on perturbations that vanish on the
// edge cells (whose edge replication is all the absorbing layer gets).
func TestCropImagesDotProduct(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	croppedCases(t, func(o *Options) { o.CropImages = true }, func(t *testing.T, c smallCase, full, s *Simulator, v []float64, rng *rand.Rand) {
		for _, offsets := range [][]int{{0}, {-2, 0, 1, 3}, {-1, 2}} {
			dv, dd, jdv := checkBornDot(t, s, v, rng, offsets)
			// zero edge cells: cropped and full Born agree
			for k := range dv {
				for i := range dv[k] {
					if c.edge(i) {
						dv[k][i] = 0
					}
				}
			}
			jf := make([]float64, len(dd))
			if err := bornT(ctx, s, v, offsets, dv, jdv); err != nil {
				t.Fatal(err)
			}
			if err := bornT(ctx, full, v, offsets, dv, jf); err != nil {
				t.Fatal(err)
			}
			for i := range jf {
				if jf[i] != jdv[i] {
					t.Fatalf("offsets %v: cropped and full Born differ at %d: %g vs %g", offsets, i, jdv[i], jf[i])
				}
			}
		}
	})
}

// TestCropImagesFloat32: the float32 path (C correlation kernels when
// compiled in) agrees with the float64 reference, cropped and not, and the
// cropped zero-offset gather equals the cropped BornAdjoint.
func TestCropImagesFloat32(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := smallCases[1]
	for _, crop := range []bool{false, true} {
		s, v, rng := bornSetup(t, c)
		s.opts.CropImages = crop
		n := c.nz * c.nx
		offsets := []int{-3, -1, 0, 2}
		dd := randn(rng, s.DataLen(s.NumShots()))
		ref := bornImages(t, s, v, dd, nil, offsets)
		v32, dd32 := float32s(v), float32s(dd)
		cig := make([]float32, len(offsets)*n)
		if err := s.ExtendedBornAdjoint(ctx, v32, dd32, nil, offsets, cig); err != nil {
			t.Fatal(err)
		}
		var num, den float64
		for k := range ref {
			for i := range ref[k] {
				d := float64(cig[k*n+i]) - ref[k][i]
				num += d * d
				den += ref[k][i] * ref[k][i]
			}
		}
		if e := math.Sqrt(num / den); e > 1e-5 {
			t.Errorf("crop %v: float32 gathers differ from float64 by %.3g relative L2", crop, e)
		}
		// one shot at a time (the row-band schedule on 2 workers) sums to
		// the same gathers
		sum := make([]float64, len(cig))
		one := make([]float32, len(cig))
		for shot := range s.NumShots() {
			if err := s.ExtendedBornAdjoint(ctx, v32, dd32, []int{shot}, offsets, one); err != nil {
				t.Fatal(err)
			}
			for i, x := range one {
				sum[i] += float64(x)
			}
		}
		for i := range sum {
			if d := math.Abs(sum[i] - float64(cig[i])); d > 1e-5*math.Abs(float64(cig[i]))+1e-6 {
				t.Fatalf("crop %v: per-shot gathers sum to %g, all shots give %g at %d", crop, sum[i], cig[i], i)
			}
		}
		rtm := make([]float32, n)
		if err := s.BornAdjoint(ctx, v32, dd32, nil, rtm); err != nil {
			t.Fatal(err)
		}
		for i := range rtm {
			if d := math.Abs(float64(rtm[i] - cig[2*n+i])); d > 1e-5*math.Abs(float64(rtm[i]))+1e-9 {
				t.Fatalf("crop %v: zero-offset gather %g differs from BornAdjoint %g at %d", crop, cig[2*n+i], rtm[i], i)
			}
		}
	}
}

// TestCropGradient: with Options.CropGradient the misfit gradient equals the
// exact one on the interior cells and lacks the absorbing layer's share on
// the edge cells (JUDI's cropped gradient), the bottom row among them.
func TestCropGradient(t *testing.T) {
	t.Parallel()
	croppedCases(t, func(o *Options) { o.CropGradient = true }, func(t *testing.T, c smallCase, full, crop *Simulator, v []float64, rng *rand.Rand) {
		v32 := float32s(v)
		d := make([]float32, full.DataLen(len(full.shots)))
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		gf, gc := sameMisfitGradients(t, "cropped", full, crop, v32, d)
		var bottom float64
		for i := range gf {
			z, x := i/c.nx, i%c.nx
			if !c.edge(i) && gf[i] != gc[i] {
				t.Fatalf("interior cell (%d, %d): cropped %g, exact %g", z, x, gc[i], gf[i])
			}
			if z == c.nz-1 {
				bottom += math.Abs(float64(gf[i] - gc[i]))
			}
		}
		if !(bottom > 0) {
			t.Errorf("bottom row: the cropped gradient equals the exact one (the layer's share is missing from neither)")
		}
	})
}

// croppedCases runs test as a subtest for every small case with an
// absorbing layer, on bornSetup's simulator, velocity and generator and a
// second simulator of the case whose options crop has changed.
func croppedCases(t *testing.T, crop func(*Options), test func(t *testing.T, c smallCase, full, cropped *Simulator, v []float64, rng *rand.Rand)) {
	t.Helper()
	for _, c := range smallCases {
		if c.nb == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			full, v, rng := bornSetup(t, c)
			cropped := c.sim(t)
			crop(&cropped.opts)
			test(t, c, full, cropped, v, rng)
		})
	}
}

// edge reports whether cell i of the case's grid lies on its edge.
func (c smallCase) edge(i int) bool {
	z, x := i/c.nx, i%c.nx
	return z == 0 || x == 0 || z == c.nz-1 || x == c.nx-1
}
