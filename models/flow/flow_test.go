package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// TestSqueezeOrder checks the polyphase order of the checkerboard squeeze
// element by element against its definition, and that Unsqueeze inverts it.
func TestSqueezeOrder(t *testing.T) {
	const n, c, h, w = 2, 3, 6, 4
	x := tensor.New(n, c, h, w)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	tp := autograd.NewTape()
	y := Squeeze(tp.Const(x))
	if got := y.Shape(); got[0] != n || got[1] != 4*c || got[2] != h/2 || got[3] != w/2 {
		t.Fatalf("shape %v", got)
	}
	offs := [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} // (ox along H, oy along W)
	for b := 0; b < n; b++ {
		for k := 0; k < 4; k++ {
			for ch := 0; ch < c; ch++ {
				for i := 0; i < h/2; i++ {
					for j := 0; j < w/2; j++ {
						want := x.Data[((b*c+ch)*h+2*i+offs[k][0])*w+2*j+offs[k][1]]
						got := y.Value.Data[((b*4*c+k*c+ch)*(h/2)+i)*(w/2)+j]
						if got != want {
							t.Fatalf("block %d channel %d (%d,%d): got %v want %v", k, ch, i, j, got, want)
						}
					}
				}
			}
		}
	}
	// A hand-written case: one 4×4 channel holding 0..15.
	x1 := tensor.New(1, 1, 4, 4)
	for i := range x1.Data {
		x1.Data[i] = float32(i)
	}
	y1 := Squeeze(tp.Const(x1)).Value.Data
	want := []float32{0, 2, 8, 10, 4, 6, 12, 14, 1, 3, 9, 11, 5, 7, 13, 15}
	for i := range want {
		if y1[i] != want[i] {
			t.Fatalf("4×4 squeeze = %v, want %v", y1, want)
		}
	}
	back := Unsqueeze(y)
	if d := maxAbsDiff(back.Value.Data, x.Data); d != 0 || len(back.Shape()) != 4 || back.Shape()[2] != h {
		t.Fatalf("Unsqueeze(Squeeze(x)) differs by %g, shape %v", d, back.Shape())
	}
	sq := Squeeze(Unsqueeze(tp.Const(y.Value)))
	if d := maxAbsDiff(sq.Value.Data, y.Value.Data); d != 0 {
		t.Fatalf("Squeeze(Unsqueeze(y)) differs by %g", d)
	}
}

// TestHouseholderOrthogonal checks WᵀW = I, that Forward and Inverse apply
// W and Wᵀ per pixel, and that they invert each other.
func TestHouseholderOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []int{2, 4, 7, 16} {
		h := NewHouseholder("hh", c, rng)
		w := h.Matrix().Value.Data
		for i := 0; i < c; i++ {
			for j := 0; j < c; j++ {
				var s float64
				for k := 0; k < c; k++ {
					s += float64(w[k*c+i]) * float64(w[k*c+j])
				}
				if want := b2f(i == j); math.Abs(s-want) > 1e-5 {
					t.Fatalf("c=%d: (WᵀW)[%d,%d] = %g", c, i, j, s)
				}
			}
		}
		tp := autograd.NewTape()
		x := tensor.Randn(rng, 1, 2, c, 3, 5)
		y := h.Forward(tp.Const(x))
		// y_pixel = x_pixel·W: y[f] = Σ_i x[i] W[i, f].
		for b := 0; b < 2; b++ {
			for p := 0; p < 15; p++ {
				for f := 0; f < c; f++ {
					var s float64
					for i := 0; i < c; i++ {
						s += float64(x.Data[(b*c+i)*15+p]) * float64(w[i*c+f])
					}
					if got := float64(y.Value.Data[(b*c+f)*15+p]); math.Abs(got-s) > 1e-5 {
						t.Fatalf("c=%d: Forward pixel %d channel %d = %g, want %g", c, p, f, got, s)
					}
				}
			}
		}
		back := h.Inverse(y)
		if d := maxAbsDiff(back.Value.Data, x.Data); d > 1e-5 {
			t.Fatalf("c=%d: Inverse(Forward(x)) off by %g", c, d)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestActNormInit checks the data-dependent initialisation: zero mean and
// unit (unbiased) variance per channel on the first batch, the
// log-determinant H·W·Σ log|s|, and that later batches do not re-initialise.
func TestActNormInit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, c, h, w = 3, 4, 5, 6
	x := tensor.Randn(rng, 1, n, c, h, w)
	for i := range x.Data {
		ch := (i / (h * w)) % c
		x.Data[i] = x.Data[i]*float32(ch+1)*0.7 + float32(ch) - 1.5
	}
	a := NewActNorm("an", c)
	tp := autograd.NewTape()
	y, ld := a.Forward(tp.Const(x))
	if !a.Initialized {
		t.Fatal("not initialised after the first forward pass")
	}
	m := float64(n * h * w)
	for ch := 0; ch < c; ch++ {
		var sum, sq float64
		for b := 0; b < n; b++ {
			for _, v := range y.Value.Data[(b*c+ch)*h*w : (b*c+ch+1)*h*w] {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
		}
		mean := sum / m
		vr := (sq - m*mean*mean) / (m - 1)
		if math.Abs(mean) > 1e-5 || math.Abs(vr-1) > 1e-4 {
			t.Errorf("channel %d: mean %g, unbiased variance %g", ch, mean, vr)
		}
	}
	var want float64
	for _, s := range a.S.Value().Data {
		want += math.Log(math.Abs(float64(s)))
	}
	want *= h * w
	if got := float64(ld.Item()); math.Abs(got-want) > 1e-4*math.Abs(want) {
		t.Errorf("logdet %g, want %g", got, want)
	}
	s0 := append([]float32(nil), a.S.Value().Data...)
	a.Forward(tp.Const(tensor.Randn(rng, 1, n, c, h, w)))
	if maxAbsDiff(s0, a.S.Value().Data) != 0 {
		t.Error("a second forward pass changed s")
	}
	back := a.Inverse(y)
	if d := maxAbsDiff(back.Value.Data, x.Data); d > 1e-5 {
		t.Errorf("Inverse(Forward(x)) off by %g", d)
	}
}

// TestNumParams checks the presets' parameter counts, from the formula and
// from a built network.
func TestNumParams(t *testing.T) {
	cases := []struct {
		preset string
		uncond bool
		outB   *bool
		want   int
	}{
		{"cpu", false, nil, 238322},
		{"cpu", false, ptr(false), 238154}, // InvertibleNetworks.jl: no bias on the last conv
		{"cpu", true, nil, 238322 - 2 - 6*(9*32*(4+16+64))},
		{"paper", false, nil, 0},
	}
	for _, tc := range cases {
		cfg, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		if tc.outB != nil {
			cfg.RBOutBias = *tc.outB
		}
		if tc.uncond {
			*cfg = cfg.Unconditional()
		}
		g, err := New(*cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if g.NumParams() != cfg.NumParams() {
			t.Errorf("%s: built %d parameters, NumParams says %d", cfg.Name, g.NumParams(), cfg.NumParams())
		}
		if tc.want != 0 && g.NumParams() != tc.want {
			t.Errorf("%s (uncond %v): %d parameters, want %d", tc.preset, tc.uncond, g.NumParams(), tc.want)
		}
		t.Logf("%s uncond=%v out_bias=%v: %d parameters", tc.preset, tc.uncond, cfg.RBOutBias, g.NumParams())
	}
}

func ptr[T any](v T) *T { return &v }

// TestInverseCPUPreset checks ‖G⁻¹(G(x; c); c) − x‖∞ < 1e-4 in float32 for
// the cpu preset on 64×64 inputs, for the conditional network and its
// unconditional twin, and that the latent has the input's shape.
func TestInverseCPUPreset(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, uncond := range []bool{false, true} {
		cfg, _ := Preset("cpu")
		if uncond {
			*cfg = cfg.Unconditional()
		}
		g, err := New(*cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.Randn(rng, 1, 2, 1, 64, 64)
		var c *tensor.Tensor
		if !uncond {
			c = tensor.Randn(rng, 1, 2, 1, 64, 64)
		}
		tp := autograd.NewTape()
		tp.NoGrad = true
		// Initialise on one batch, test on another.
		if err := g.Init(tensor.Randn(rng, 1, 4, 1, 64, 64), condOrNil(rng, uncond, 4)); err != nil {
			t.Fatal(err)
		}
		z, ld, err := g.Forward(tp.Const(x), constOrNil(tp, c))
		if err != nil {
			t.Fatal(err)
		}
		if s := z.Shape(); s[0] != 2 || s[1] != 1 || s[2] != 64 || s[3] != 64 || len(ld.Shape()) != 1 || ld.Shape()[0] != 2 {
			t.Fatalf("z %v, logdet %v", z.Shape(), ld.Shape())
		}
		xr, err := g.Inverse(tp.Const(z.Value), constOrNil(tp, c))
		if err != nil {
			t.Fatal(err)
		}
		d := maxAbsDiff(xr.Value.Data, x.Data)
		t.Logf("uncond=%v: ‖G⁻¹(G(x)) − x‖∞ = %.3g, logdet %v", uncond, d, ld.Value.Data)
		if d >= 1e-4 {
			t.Errorf("uncond=%v: round trip off by %g", uncond, d)
		}
	}
}

func condOrNil(rng *rand.Rand, uncond bool, n int) *tensor.Tensor {
	if uncond {
		return nil
	}
	return tensor.Randn(rng, 1, n, 1, 64, 64)
}

func constOrNil(tp *autograd.Tape, c *tensor.Tensor) *autograd.Var {
	if c == nil {
		return nil
	}
	return tp.Const(c)
}

// TestSetTrainable checks that freezing a network leaves the input
// gradient of its inverse unchanged, records no weight gradient, and that
// unfreezing reconnects the arena's gradient storage.
func TestSetTrainable(t *testing.T) {
	cfg := Config{InChannels: 1, CondChannels: 1, Hidden: 4, Levels: 2, Steps: 1, RBFinalReLU: true}
	g := tinyNet(t, cfg, 5)
	rng := rand.New(rand.NewPCG(8, 8))
	z, c, r := tensor.Randn(rng, 1, 2, 1, 8, 8), tensor.Randn(rng, 1, 2, 1, 8, 8), tensor.Randn(rng, 1, 2, 1, 8, 8)
	dz := func() []float32 {
		g.Arena.ZeroGrad()
		tp := autograd.NewTape()
		zv := tp.Input(z)
		x, err := g.Inverse(zv, tp.Const(c))
		if err != nil {
			t.Fatal(err)
		}
		autograd.BackwardWith(x, r)
		return zv.Grad.Data
	}
	ref := dz()
	if g.Arena.GradNorm() == 0 {
		t.Fatal("trainable network got no weight gradient")
	}
	SetTrainable(g.Params(), false)
	if d := maxAbsDiff(dz(), ref); d != 0 {
		t.Errorf("frozen network: ∂/∂z differs by %g", d)
	}
	if g.Arena.GradNorm() != 0 {
		t.Error("frozen network recorded weight gradients")
	}
	SetTrainable(g.Params(), true)
	dz()
	if g.Arena.GradNorm() == 0 {
		t.Error("unfrozen network records no weight gradients in its arena")
	}
}
