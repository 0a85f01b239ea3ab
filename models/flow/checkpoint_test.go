package flow

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/nn/nntest"
	"genfwi/tensor"
)

// TestCheckpointRoundTrip saves an initialised network, loads it back and
// checks that the config, the initialisation state and the outputs are
// bit-identical.
func TestCheckpointRoundTrip(t *testing.T) {
	cfg := Config{Name: "tiny", InChannels: 1, CondChannels: 2, Hidden: 4, Levels: 2, Steps: 2, RBFinalReLU: true, RBOutBias: true}
	g := tinyNet(t, cfg, 3)
	h, meta, path := nntest.RoundTrip(t, "flow.safetensors", g.Save, map[string]string{"step": "7"}, Load)
	if meta["step"] != "7" || h.Cfg != g.Cfg || !h.Initialized() {
		t.Fatalf("loaded config %+v, meta %v, initialised %v", h.Cfg, meta, h.Initialized())
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x, c := tensor.Randn(rng, 1, 2, 1, 8, 8), tensor.Randn(rng, 1, 2, 2, 8, 8)
	tp := autograd.NewTape()
	tp.NoGrad = true
	z1, l1, _ := g.Forward(tp.Const(x), tp.Const(c))
	z2, l2, _ := h.Forward(tp.Const(x), tp.Const(c))
	if maxAbsDiff(z1.Value.Data, z2.Value.Data) != 0 || maxAbsDiff(l1.Value.Data, l2.Value.Data) != 0 {
		t.Fatal("reloaded network computes something else")
	}
	// An uninitialised network stays uninitialised through a checkpoint.
	u, _ := New(cfg, rng)
	if err := u.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	if v, _, err := Load(path); err != nil || v.Initialized() {
		t.Fatalf("uninitialised network loaded as initialised (%v)", err)
	}
	// Another architecture is rejected.
	other, _ := New(Config{InChannels: 1, CondChannels: 2, Hidden: 5, Levels: 2, Steps: 2}, rng)
	if err := other.LoadWeights(path); !errors.Is(err, nn.ErrMismatch) {
		t.Fatalf("loading into another architecture: %v", err)
	}
}

// TestShapeErrors checks that misuse by callers is reported as errors.
func TestShapeErrors(t *testing.T) {
	cond, _ := New(Config{InChannels: 1, CondChannels: 1, Hidden: 4, Levels: 2, Steps: 1}, rand.New(rand.NewPCG(1, 1)))
	uncond, _ := New(Config{InChannels: 1, Hidden: 4, Levels: 2, Steps: 1}, rand.New(rand.NewPCG(1, 1)))
	tp := autograd.NewTape()
	rng := rand.New(rand.NewPCG(2, 2))
	v := func(shape ...int) *autograd.Var { return tp.Const(tensor.Randn(rng, 1, shape...)) }
	if _, err := cond.Inverse(v(1, 1, 8, 8), v(1, 1, 8, 8)); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("inverse before init: %v", err)
	}
	cases := []struct {
		name string
		g    *Glow
		x, c *autograd.Var
		want string
	}{
		{"odd size", cond, v(1, 1, 6, 8), v(1, 1, 6, 8), "multiple of 2^levels"},
		{"channels", cond, v(1, 2, 8, 8), v(1, 1, 8, 8), "channels"},
		{"no condition", cond, v(1, 1, 8, 8), nil, "needs a condition"},
		{"condition batch", cond, v(2, 1, 8, 8), v(1, 1, 8, 8), "condition has shape"},
		{"condition size", cond, v(1, 1, 8, 8), v(1, 1, 16, 8), "condition has shape"},
		{"unexpected condition", uncond, v(1, 1, 8, 8), v(1, 1, 8, 8), "unconditional"},
		{"rank", cond, v(1, 8, 8), v(1, 1, 8, 8), "(N, C, H, W)"},
	}
	for _, tc := range cases {
		if _, _, err := tc.g.Forward(tc.x, tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Forward error %v, want one mentioning %q", tc.name, err, tc.want)
		}
		if err := tc.g.Init(tc.x.Value, valueOrNil(tc.c)); err == nil {
			t.Errorf("%s: Init accepted bad shapes", tc.name)
		}
	}
	if cond.Initialized() {
		t.Error("a failed Init marked the network initialised")
	}
	if _, err := ParseConfig([]byte(`{"in_channels":1,"hidden":4,"levels":0,"steps":1}`), "x"); err == nil {
		t.Error("levels 0 accepted")
	}
	if _, err := ParseConfig([]byte(`{"in_channels":1,"hidden":4,"levels":1,"steps":1,"bogus":1}`), "x"); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func valueOrNil(v *autograd.Var) *tensor.Tensor {
	if v == nil {
		return nil
	}
	return v.Value
}
