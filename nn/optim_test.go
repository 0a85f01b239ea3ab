package nn

import (
	"math"
	"testing"

	"genfwi/tensor"
)

func oneParam(v, g float32) *Arena {
	a := NewArena([]*Param{NewParam("w", tensor.FromSlice([]float32{v}, 1))})
	a.Grad[0] = g
	return a
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestAdamSteps compares two Adam steps with the closed form: with a constant
// gradient g the bias-corrected m̂ = g and v̂ = g², so each step moves the
// weight by lr·g/(|g|+eps).
func TestAdamSteps(t *testing.T) {
	a := oneParam(1, 0.5)
	o := NewAdam()
	o.Step(a, 0.1)
	o.Step(a, 0.1)
	want := 1 - 2*0.1*0.5/(0.5+1e-8)
	if !near(float64(a.Data[0]), want, 1e-6) {
		t.Fatalf("Adam: %g, want %g", a.Data[0], want)
	}
	// AdamW decays the weight before the step: p·(1-lr·wd) - lr·sign(g).
	b := oneParam(2, -1)
	w := NewAdamW()
	w.WeightDecay = 0.5
	w.Step(b, 0.1)
	if want := 2*(1-0.1*0.5) + 0.1; !near(float64(b.Data[0]), want, 1e-6) {
		t.Fatalf("AdamW: %g, want %g", b.Data[0], want)
	}
	// Adam with L2 weight decay adds wd·p to the gradient instead.
	c := oneParam(2, 0)
	l2 := NewAdam()
	l2.WeightDecay = 0.5 // effective g = 1
	l2.Step(c, 0.1)
	if !near(float64(c.Data[0]), 1.9, 1e-6) {
		t.Fatalf("Adam L2: %g, want 1.9", c.Data[0])
	}
}

func TestSGDMomentum(t *testing.T) {
	a := oneParam(0, 1)
	o := &SGD{Momentum: 0.9}
	o.Step(a, 0.1) // b = 1, p = -0.1
	o.Step(a, 0.1) // b = 1.9, p = -0.29
	if !near(float64(a.Data[0]), -0.29, 1e-6) {
		t.Fatalf("SGD momentum: %g, want -0.29", a.Data[0])
	}
	n := oneParam(0, 1)
	on := &SGD{Momentum: 0.9, Nesterov: true}
	on.Step(n, 0.1) // b = 1, d = 1 + 0.9 = 1.9
	if !near(float64(n.Data[0]), -0.19, 1e-6) {
		t.Fatalf("SGD Nesterov: %g, want -0.19", n.Data[0])
	}
}

func TestClipping(t *testing.T) {
	a := NewArena([]*Param{NewParam("a", tensor.New(2)), NewParam("b", tensor.New(1))})
	copy(a.Grad, []float32{3, 4, 12}) // global norm 13
	if n := ClipGlobalNorm(a, 6.5); !near(n, 13, 1e-9) {
		t.Fatalf("ClipGlobalNorm returned %g, want 13", n)
	}
	if !near(float64(a.Grad[0]), 1.5, 1e-6) || !near(float64(a.Grad[2]), 6, 1e-6) {
		t.Fatalf("clipped gradients %v", a.Grad)
	}
	copy(a.Grad, []float32{3, 4, 12})
	ClipPerParam(a, 2.5) // a: norm 5 → halved; b: norm 12 → 2.5
	if !near(float64(a.Grad[0]), 1.5, 1e-6) || !near(float64(a.Grad[1]), 2, 1e-6) || !near(float64(a.Grad[2]), 2.5, 1e-6) {
		t.Fatalf("per-parameter clipped gradients %v", a.Grad)
	}
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"constant", Constant(0.1), 50, 0.1},
		{"cosine start", Cosine{Base: 1, Min: 0.1, Steps: 100}, 0, 1},
		{"cosine middle", Cosine{Base: 1, Min: 0.1, Steps: 100}, 50, 0.55},
		{"cosine end", Cosine{Base: 1, Min: 0.1, Steps: 100}, 150, 0.1},
		{"step", StepDecay{Base: 1, Gamma: 0.5, Every: 10}, 25, 0.25},
		{"warmup start", Warmup{Steps: 10, Start: 0, Then: Constant(2)}, 0, 0},
		{"warmup half", Warmup{Steps: 10, Start: 0, Then: Constant(2)}, 5, 1},
		{"warmup done", Warmup{Steps: 10, Start: 0, Then: Constant(2)}, 10, 2},
	}
	for _, c := range cases {
		if got := c.s.LR(c.step); !near(got, c.want, 1e-12) {
			t.Errorf("%s: LR(%d) = %g, want %g", c.name, c.step, got, c.want)
		}
	}
}

func TestEMA(t *testing.T) {
	a := oneParam(0, 0)
	e := NewEMA(a, 0.9, false)
	a.Data[0] = 1
	e.Update(a) // 0.1
	e.Update(a) // 0.19
	if !near(float64(e.Shadow[0]), 0.19, 1e-6) {
		t.Fatalf("EMA %g, want 0.19", e.Shadow[0])
	}
	e.Swap(a)
	if !near(float64(a.Data[0]), 0.19, 1e-6) || e.Shadow[0] != 1 {
		t.Fatal("Swap did not exchange weights")
	}
	// LitEma warm-up: num_updates becomes 1 before the first decay,
	// min(0.9999, 2/11), so the shadow moves 9/11 of the way.
	w := NewEMA(oneParam(0, 0), 0.9999, true)
	w.Update(oneParam(1, 0))
	if !near(float64(w.Shadow[0]), 9.0/11, 1e-6) {
		t.Fatalf("warm-up EMA %g, want 9/11", w.Shadow[0])
	}
}

// TestEMAMatchesLitEma replays latent-diffusion's LitEma by hand:
// num_updates += 1, then decay = min(decay, (1+num_updates)/(10+num_updates)),
// shadow -= (1-decay)*(shadow-param). The shadow values are exact rational
// arithmetic for weights 1, 2, 3, 4 from a shadow of 0.
func TestEMAMatchesLitEma(t *testing.T) {
	a := oneParam(0, 0)
	e := NewEMA(a, 0.9999, true)
	want := []struct{ decay, shadow float64 }{
		{2.0 / 11, 0.8181818181818182},
		{3.0 / 12, 1.7045454545454546},
		{4.0 / 13, 2.6013986013986012},
		{5.0 / 14, 3.5004995004995005},
	}
	for i, w := range want {
		if d := e.NextDecay(); !near(d, w.decay, 1e-15) {
			t.Fatalf("update %d: decay %g, LitEma %g", i+1, d, w.decay)
		}
		a.Data[0] = float32(i + 1)
		e.Update(a)
		if e.N != i+1 {
			t.Fatalf("after %d updates N = %d", i+1, e.N)
		}
		if !near(float64(e.Shadow[0]), w.shadow, 1e-6) {
			t.Fatalf("update %d: shadow %.7g, LitEma %.7g", i+1, e.Shadow[0], w.shadow)
		}
	}
	// The cap: with decay 0.5, (1+n)/(10+n) reaches 0.5 at update n = 8.
	c := NewEMA(oneParam(0, 0), 0.5, true)
	for n := 1; n <= 12; n++ {
		want := math.Min(0.5, float64(1+n)/float64(10+n))
		if d := c.NextDecay(); d != want {
			t.Fatalf("capped: update %d decay %g, LitEma %g", n, d, want)
		}
		c.Update(oneParam(0, 0))
	}
	// Without warm-up the decay is constant.
	if d := NewEMA(oneParam(0, 0), 0.9, false).NextDecay(); d != 0.9 {
		t.Fatalf("no warm-up: decay %g, want 0.9", d)
	}
}
