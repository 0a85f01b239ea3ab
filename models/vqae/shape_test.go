package vqae

import (
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// TestPresetShapes builds every cpu preset (the paper ones are only counted), checks the latent shape, and runs
// the cpu presets forward on a batch of 2 to check every output shape.
func TestPresetShapes(t *testing.T) {
	for _, name := range PresetNames() {
		c, _ := Preset(name)
		if name[:3] != "cpu" {
			// the paper presets hold up to 7e8 parameters (2.8 GB, twice
			// that while building): count them from the shapes.
			t.Logf("%-16s %12d parameters (counted)", name, c.NumParams())
			continue
		}
		m, err := New(*c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := m.LatentShape(); got != [3]int{32, 16, 16} {
			t.Errorf("%s: latent %v, want [32 16 16]", name, got)
		}
		t.Logf("%-16s %12d parameters", name, m.NumParams())
		if n := c.NumParams(); n != m.NumParams() {
			t.Errorf("%s: Config.NumParams %d, built model %d", name, n, m.NumParams())
		}
		if name[:3] != "cpu" {
			continue
		}
		rng := rand.New(rand.NewPCG(1, 2))
		tp := autograd.NewTape()
		tp.NoGrad = true
		var seis, vel *autograd.Var
		if c.Seismic != nil {
			seis = tp.Const(tensor.Randn(rng, 1, 2, 5, 256, 64))
		}
		if c.Velocity != nil {
			vel = tp.Const(tensor.Randn(rng, 1, 2, 1, 64, 64))
		}
		h := m.Encode(tp, seis, vel)
		if !tensor.SameShape(h.Shape(), []int{2, 32, 16, 16}) {
			t.Fatalf("%s: h %v", name, h.Shape())
		}
		s, v := m.Decode(tp, h)
		if m.Cfg.Mode.HasSeismicDecoder() != (s != nil) || m.Cfg.Mode.HasVelocityDecoder() != (v != nil) {
			t.Fatalf("%s: decoders present: seismic %v velocity %v", name, s != nil, v != nil)
		}
		if s != nil && !tensor.SameShape(s.Shape(), []int{2, 5, 256, 64}) {
			t.Errorf("%s: seismic out %v", name, s.Shape())
		}
		if v != nil && !tensor.SameShape(v.Shape(), []int{2, 1, 64, 64}) {
			t.Errorf("%s: velocity out %v", name, v.Shape())
		}
	}
}

// TestNumParamsMatchesBuild checks the shape-only count against real builds
// of the paper velocity preset (1.2e8 parameters; skipped with -short) and
// of tiny models in every mode.
func TestNumParamsMatchesBuild(t *testing.T) {
	var cs []Config
	for _, mode := range []Mode{Joint, Aligned, OneInTwoOut, VelocityOnly, SeismicOnly} {
		c := tinyConfig(mode)
		switch mode {
		case VelocityOnly:
			c.Seismic = nil
		case SeismicOnly:
			c.Velocity = nil
		}
		cs = append(cs, c)
	}
	if !testing.Short() {
		p, _ := Preset("paper-velocity")
		cs = append(cs, *p)
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
