package gen

import (
	"math"
	"slices"
	"testing"
)

func TestDeterministicAndInRange(t *testing.T) {
	for _, name := range Names() {
		g, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		if g.Name() != name {
			t.Errorf("New(%q).Name() = %q", name, g.Name())
		}
		a, b, c := make([]float32, NZ*NX), make([]float32, NZ*NX), make([]float32, NZ*NX)
		for i := range 20 {
			Sample(g, 3, i, a)
			Sample(g, 3, i, b)
			Sample(g, 4, i, c)
			if !slices.Equal(a, b) {
				t.Fatalf("%s: map (3, %d) differs between two draws", name, i)
			}
			if slices.Equal(a, c) {
				t.Fatalf("%s: maps (3, %d) and (4, %d) are equal", name, i, i)
			}
			for k, v := range a {
				if !(v >= VMin && v <= VMax) {
					t.Fatalf("%s: map (3, %d) value %d = %g outside [1500, 4500]", name, i, k, v)
				}
			}
		}
	}
	if _, err := New("marmousi"); err == nil {
		t.Error("New(marmousi) succeeded")
	}
	if g, err := New("FlatVel_A"); err != nil || g.Name() != "flatvel-a" {
		t.Errorf("New(FlatVel_A) = %v, %v", g, err)
	}
}

// sortedColumns returns the fraction of maps whose every column is
// non-decreasing with depth (to within tol m/s).
func sortedColumns(maps [][]float32, tol float32) float64 {
	n := 0
	for _, m := range maps {
		ok := true
		for x := 0; x < NX && ok; x++ {
			for z := 1; z < NZ; z++ {
				if m[z*NX+x] < m[(z-1)*NX+x]-tol {
					ok = false
					break
				}
			}
		}
		if ok {
			n++
		}
	}
	return float64(n) / float64(len(maps))
}

func TestAssumptionsOfBVersions(t *testing.T) {
	const n = 400
	// A versions are sorted with depth; Vel-B versions are not (assumed);
	// Fault-B versions are (see FlatFaultB).
	for _, tc := range []struct {
		name   string
		sorted bool
	}{
		{"flatvel-a", true}, {"curvevel-a", true}, {"flatvel-b", false}, {"curvevel-b", false},
		{"flatfault-a", true}, {"curvefault-a", true}, {"flatfault-b", true}, {"curvefault-b", true},
	} {
		g, _ := New(tc.name)
		// Faulted maps overshoot slightly at smeared interfaces.
		f := sortedColumns(generate(g, n), 150)
		if tc.sorted && f < 0.95 || !tc.sorted && f > 0.3 {
			t.Errorf("%s: %.2f of maps have sorted columns", tc.name, f)
		}
	}
	// CurveVel-B warps 1.5× more than A (unsorted B maps have no
	// traceable interface, so compare the displacements themselves).
	warpRMS := func(c *Curve) float64 {
		rng := RNG("warp", 0, 0)
		s := 0.0
		for range n {
			for _, v := range curveWarp(rng, c) {
				s += v * v
			}
		}
		return math.Sqrt(s / (n * NX))
	}
	if r := warpRMS(CurveVelB().Curve) / warpRMS(CurveVelA().Curve); math.Abs(r-1.5) > 0.1 {
		t.Errorf("CurveVel-B/A displacement rms ratio %.2f, want 1.5", r)
	}
	// FlatFault-B has 6–8 layers in its window (plus an uplifted one;
	// equal velocities, drawn as integers, occasionally merge two).
	bad := 0
	for _, m := range generate(FlatFaultB(), 200) {
		if k := len(integerPlateaus(m, 100)); k < 6 || k > 9 {
			bad++
		}
	}
	if bad > 10 {
		t.Errorf("%d of 200 FlatFault-B maps without 6–9 layers", bad)
	}
	// Style-A is smoother than Style-B.
	rough := func(g Generator) float64 {
		s := 0.0
		for _, m := range generate(g, 100) {
			for z := range NZ {
				for x := 1; x < NX; x++ {
					s += math.Abs(float64(m[z*NX+x] - m[z*NX+x-1]))
				}
			}
		}
		return s
	}
	if ra, rb := rough(StyleA()), rough(StyleB()); ra >= 0.8*rb {
		t.Errorf("Style-A roughness %.3g not below Style-B's %.3g", ra, rb)
	}
}

func TestForLayers(t *testing.T) {
	g := FlatFaultA().ForLayers(3)
	bad := 0
	for _, m := range generate(g, 200) {
		if k := len(integerPlateaus(m, 100)); k != 3 && k != 4 {
			bad++ // two equal integer velocities, or a thin uplifted layer
		}
	}
	if bad > 4 {
		t.Errorf("%d of 200 ForLayers(3) maps without 3 or 4 layers", bad)
	}
	if len(FlatFaultA().Layers) != 3 {
		t.Error("ForLayers modified the original generator")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, name := range []string{"flatvel-a", "curvevel-a", "flatfault-a", "style-a"} {
		g, _ := New(name)
		dst := make([]float32, NZ*NX)
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				Sample(g, 0, i, dst)
			}
		})
	}
}
