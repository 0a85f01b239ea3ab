package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// TestParamDirectional: for J = Σ r·tanh(Linear(x)) the reverse-mode and
// central directional derivatives agree for both parameters, a gradient
// scaled by 1.1 is reported, and a gradient that was never computed
// (zeroed) is reported too.
func TestParamDirectional(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewLinear("lin", rng, 6, 5, true)
	for i := range l.B.Value().Data {
		l.B.Value().Data[i] = float32(0.3 * rng.NormFloat64())
	}
	a := NewArena(l.Params())
	x := tensor.Randn(rng, 1, 4, 6)
	r := tensor.Randn(rng, 1, 4, 5)
	forward := func(tp *autograd.Tape) *autograd.Var { return autograd.Tanh(l.Forward(tp.Input(x))) }
	J := func() float64 {
		tp := autograd.NewTape()
		tp.NoGrad = true
		return dot(forward(tp).Value.Data, r.Data)
	}
	a.ZeroGrad()
	autograd.BackwardWith(forward(autograd.NewTape()), r)
	w0 := append([]float32(nil), a.Data...)
	ds := ParamDirectional(a.Params, J, 1e-2, rand.New(rand.NewPCG(3, 4)))
	if len(ds) != 2 || ds[0].Name != a.Params[0].Name || ds[1].Name != a.Params[1].Name {
		t.Fatalf("got %+v", ds)
	}
	for i, v := range a.Data {
		if v != w0[i] {
			t.Fatal("weights not restored")
		}
	}
	// Two tensors only: the sensitivity part needs three, so it must
	// complain, and nothing may mismatch.
	bad, err := CheckDirectional(ds, 1e-4, 1e-3)
	if len(bad) != 0 {
		t.Errorf("correct gradients reported: %+v", bad)
	}
	if err == nil {
		t.Error("CheckDirectional accepted a check with fewer than three sizeable derivatives")
	}
	wrong := append([]Directional(nil), ds...)
	wrong[1].Reverse *= 1.1
	if bad, _ := CheckDirectional(wrong, 1e-4, 1e-3); len(bad) != 1 || bad[0].Name != ds[1].Name {
		t.Errorf("a 10 %% gradient error was not reported alone: %+v", bad)
	}
	a.ZeroGrad()
	ds = ParamDirectional(a.Params, J, 1e-2, rand.New(rand.NewPCG(3, 4)))
	if bad, _ := CheckDirectional(ds, 1e-4, 1e-3); len(bad) != 2 {
		t.Errorf("zeroed gradients: %d reported, want 2", len(bad))
	}
}

// TestOutputDirectional: the cotangent form agrees with central differences
// on the tanh-Linear example, and stale gradients left in the arena do not
// count (OutputDirectional zeroes them before its backward pass).
func TestOutputDirectional(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewLinear("lin", rng, 6, 5, true)
	a := NewArena(l.Params())
	for i := range a.Grad {
		a.Grad[i] = 7
	}
	x := tensor.Randn(rng, 1, 4, 6)
	ds := OutputDirectional(a.Params, func(tp *autograd.Tape) *autograd.Var {
		return autograd.Tanh(l.Forward(tp.Input(x)))
	}, 1e-2, rng)
	if len(ds) != 2 {
		t.Fatalf("got %d entries, want 2", len(ds))
	}
	for _, d := range ds {
		if d.Reverse == 0 || math.Abs(d.Reverse-d.Central) > 1e-4+1e-3*math.Abs(d.Central) {
			t.Errorf("%s: reverse mode %.6g, central difference %.6g", d.Name, d.Reverse, d.Central)
		}
	}
}
