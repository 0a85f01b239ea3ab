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
	// LitEma warm-up: first decay is min(0.9999, 1/10) = 0.1.
	w := NewEMA(oneParam(0, 0), 0.9999, true)
	w.Update(oneParam(1, 0))
	if !near(float64(w.Shadow[0]), 0.9, 1e-6) {
		t.Fatalf("warm-up EMA %g, want 0.9", w.Shadow[0])
	}
}
