package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/tensor"
)

// GradCheckOpts configures GradCheck. Zero fields take the defaults.
type GradCheckOpts struct {
	// Eps is the central-difference step (default 1e-2; float32 values make
	// smaller steps noisier than the truncation error they remove).
	Eps float64
	// RTol and ATol bound |analytic - numeric| ≤ ATol + RTol·max(|analytic|,
	// |numeric|) per element (defaults 2e-2 and 2e-3).
	RTol, ATol float64
	// Seed seeds the random cotangent (default 1).
	Seed uint64
}

// GradCheck compares the reverse-mode gradient of f at inputs with central
// finite differences. f builds its output on the given tape from the given
// input Vars; the scalar checked is L = Σ_i r_i·out_i with a fixed random
// cotangent r, accumulated in float64, so every output element is tested.
// It returns nil on agreement, else an error naming the input and element
// with the worst mismatch. It is meant for tests; it calls f 2·Σ numel + 1
// times.
func GradCheck(f func(tp *Tape, in []*Var) *Var, inputs []*tensor.Tensor, o GradCheckOpts) error {
	if o.Eps == 0 {
		o.Eps = 1e-2
	}
	if o.RTol == 0 {
		o.RTol = 2e-2
	}
	if o.ATol == 0 {
		o.ATol = 2e-3
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	tp := NewTape()
	vars := make([]*Var, len(inputs))
	for i, x := range inputs {
		vars[i] = tp.Input(x)
	}
	out := f(tp, vars)
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	r := tensor.Randn(rng, 1, out.Value.Shape...)
	BackwardWith(out, r)
	analytic := make([]*tensor.Tensor, len(inputs))
	for i, v := range vars {
		if v.Grad == nil {
			analytic[i] = tensor.New(v.Value.Shape...)
		} else {
			analytic[i] = v.Grad.Clone()
		}
	}
	eval := func() float64 {
		t := NewTape()
		t.NoGrad = true
		in := make([]*Var, len(inputs))
		for i, x := range inputs {
			in[i] = t.Const(x)
		}
		y := f(t, in)
		var s float64
		for i, v := range y.Value.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	var worst float64
	var msg string
	for i, x := range inputs {
		for j := range x.Data {
			orig := x.Data[j]
			x.Data[j] = orig + float32(o.Eps)
			fp := eval()
			x.Data[j] = orig - float32(o.Eps)
			fm := eval()
			x.Data[j] = orig
			// The actual step in float32 may differ from Eps.
			h := float64(orig+float32(o.Eps)) - float64(orig-float32(o.Eps))
			num := (fp - fm) / h
			an := float64(analytic[i].Data[j])
			err := math.Abs(an - num)
			tol := o.ATol + o.RTol*math.Max(math.Abs(an), math.Abs(num))
			if err/tol > worst {
				worst = err / tol
				msg = fmt.Sprintf("input %d (shape %v) element %d: analytic %.6g, numeric %.6g", i, x.Shape, j, an, num)
			}
		}
	}
	if worst > 1 {
		return fmt.Errorf("gradient check failed (error %.3g× tolerance): %s", worst, msg)
	}
	return nil
}
