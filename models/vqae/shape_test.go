package vqae

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// presetParams are the presets' parameter counts (docs/wavediffusion-models.md).
var presetParams = map[string]int{
	"cpu": 1958719, "cpu-aligned": 1958751, "cpu-one-in": 1677247, "cpu-seismic": 1212302, "cpu-velocity": 1008593,
	"paper": 707487910, "paper-aligned": 707487942, "paper-one-in": 654010118, "paper-seismic": 583408869,
	"paper-velocity": 124341217,
}

// TestPresetShapes builds every cpu preset, checks its parameter count and
// latent shape and runs it forward on a batch of 2 to check every output
// shape. The paper presets (up to 7·10⁸ parameters, 2.8 GB) are only
// counted from their shapes, against presetParams.
func TestPresetShapes(t *testing.T) {
	for _, name := range PresetNames() {
		c, _ := Preset(name)
		if name[:3] != "cpu" {
			// the paper presets hold up to 7e8 parameters (2.8 GB, twice
			// that while building): count them from the shapes.
			if got, want := c.NumParams(), presetParams[name]; got != want {
				t.Errorf("%s: %d parameters (counted), want %d", name, got, want)
			}
			continue
		}
		m, err := New(*c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := m.LatentShape(); got != [3]int{32, 16, 16} {
			t.Errorf("%s: latent %v, want [32 16 16]", name, got)
		}
		if n := c.NumParams(); n != m.NumParams() || n != presetParams[name] {
			t.Errorf("%s: Config.NumParams %d, built model %d, want %d", name, n, m.NumParams(), presetParams[name])
		}
		rng := rand.New(rand.NewPCG(1, 2))
		tp := autograd.NewTape()
		tp.NoGrad = true
		var seis, vel *autograd.Var
		var sIn, vIn [2]int
		if c.Seismic != nil {
			sIn = c.Seismic.In()
			seis = tp.Const(tensor.Randn(rng, 1, 2, 5, sIn[0], sIn[1]))
		}
		if c.Velocity != nil {
			vIn = c.Velocity.In()
			vel = tp.Const(tensor.Randn(rng, 1, 2, 1, vIn[0], vIn[1]))
		}
		h := m.Encode(tp, seis, vel)
		if !tensor.SameShape(h.Shape(), []int{2, 32, 16, 16}) {
			t.Fatalf("%s: h %v", name, h.Shape())
		}
		s, v := m.Decode(tp, h)
		if m.Cfg.Mode.HasSeismicDecoder() != (s != nil) || m.Cfg.Mode.HasVelocityDecoder() != (v != nil) {
			t.Fatalf("%s: decoders present: seismic %v velocity %v", name, s != nil, v != nil)
		}
		if s != nil && !tensor.SameShape(s.Shape(), []int{2, 5, sIn[0], sIn[1]}) {
			t.Errorf("%s: seismic out %v", name, s.Shape())
		}
		if v != nil && !tensor.SameShape(v.Shape(), []int{2, 1, vIn[0], vIn[1]}) {
			t.Errorf("%s: velocity out %v", name, v.Shape())
		}
	}
}

// TestNumParamsMatchesBuild checks the shape-only count against real builds
// of tiny models in every mode (TestPresetShapes does the same for the cpu
// presets).
func TestNumParamsMatchesBuild(t *testing.T) {
	var cs []Config
	for _, mode := range []Mode{Joint, Aligned, OneInTwoOut, VelocityOnly, SeismicOnly} {
		c := tinyModeConfig(mode)
		cs = append(cs, c)
		// The same with input adapters and standardisation on each branch.
		for _, b := range []**BranchConfig{&c.Seismic, &c.Velocity} {
			if *b != nil {
				cp := **b
				cp.InputSize = [2]int{cp.Resolution[0] + 2, cp.Resolution[1] + 3}
				cp.Standardize = true
				*b = &cp
			}
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		if n := c.NumParams(); n != m.NumParams() {
			t.Errorf("%s/%s: Config.NumParams %d, built %d", c.Name, c.Mode, n, m.NumParams())
		}
	}
}
