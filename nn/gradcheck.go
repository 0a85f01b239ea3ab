package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/tensor"
)

// Directional is one parameter's entry in a ParamDirectional check.
type Directional struct {
	// Name is the parameter's name.
	Name string
	// Reverse is ⟨g_p, d_p⟩ with the reverse-mode gradient g_p; Central is
	// (J(θ+εd_p) − J(θ−εd_p))/2ε.
	Reverse, Central float64
}

// String formats the entry for a test failure.
func (d Directional) String() string {
	return fmt.Sprintf("%s: reverse mode %.6g, central difference %.6g", d.Name, d.Reverse, d.Central)
}

// ParamDirectional checks whole-model parameter gradients. For every
// parameter p it draws a unit random direction d_p (from rng) confined to
// p and compares the reverse-mode directional derivative ⟨g_p, d_p⟩, where
// g_p = p.Grad() as left by the caller's backward pass of J (nil counts as
// zero), with the central difference of J along d_p with step eps. J must
// recompute the objective from the current weights; the weights are
// restored afterwards. A test shows that its tolerance rejects a wrong
// gradient by comparing, say, 1.1·Reverse with Central.
//
// A unit direction keeps the step eps·d small next to the weights even for
// the largest tensors (truncation error), and one direction per tensor
// catches a parameter that receives no gradient or a wrong one, which
// per-operation checks cannot see when a layer is wired wrongly.
func ParamDirectional(params []*Param, J func() float64, eps float64, rng *rand.Rand) []Directional {
	out := make([]Directional, 0, len(params))
	for _, p := range params {
		w := p.Value().Data
		var g []float32
		if gt := p.Grad(); gt != nil {
			g = gt.Data
		}
		d := make([]float64, len(w))
		norm := 0.0
		for i := range d {
			d[i] = rng.NormFloat64()
			norm += d[i] * d[i]
		}
		a := 0.0
		for i := range d {
			d[i] /= math.Sqrt(norm)
			if g != nil {
				a += float64(g[i]) * d[i]
			}
		}
		orig := append([]float32(nil), w...)
		for i := range w {
			w[i] = orig[i] + float32(eps*d[i])
		}
		jp := J()
		for i := range w {
			w[i] = orig[i] - float32(eps*d[i])
		}
		jm := J()
		copy(w, orig)
		out = append(out, Directional{Name: p.Name, Reverse: a, Central: (jp - jm) / (2 * eps)})
	}
	return out
}

// CheckDirectional returns the entries of ds whose reverse-mode and central
// derivatives differ by more than atol + rtol·max(|Reverse|, |Central|).
// It also checks that this tolerance is tight enough to be worth running:
// the error is non-nil unless at least three entries have |Central| > 0.1
// and a gradient 10 % too large in the first, a middle and the last of them
// would be reported.
func CheckDirectional(ds []Directional, atol, rtol float64) (bad []Directional, err error) {
	mismatch := func(a, f float64) bool { return math.Abs(a-f) > atol+rtol*math.Max(math.Abs(a), math.Abs(f)) }
	var big []int
	for i, d := range ds {
		if mismatch(d.Reverse, d.Central) {
			bad = append(bad, d)
		}
		if math.Abs(d.Central) > 0.1 {
			big = append(big, i)
		}
	}
	if len(big) < 3 {
		return bad, fmt.Errorf("only %d of %d parameters with |∂J/∂θ·d| > 0.1: the check cannot show it detects errors", len(big), len(ds))
	}
	for _, k := range []int{big[0], big[len(big)/2], big[len(big)-1]} {
		if d := ds[k]; !mismatch(1.1*d.Reverse, d.Central) {
			return bad, fmt.Errorf("a 10 %% error in the gradient of %s would go unnoticed (%.6g vs %.6g)", d.Name, 1.1*d.Reverse, d.Central)
		}
	}
	return bad, nil
}

// OutputDirectional runs ParamDirectional for J = Σ r⊙f with a fixed
// random cotangent r ~ N(0, 1) of f's output drawn from rng: it zeroes the
// parameters' gradients, back-propagates r through one evaluation of f and
// compares with central differences of J, which it evaluates on no-grad
// tapes. f must build the output on the given tape from the current
// weights, the same way every time (no randomness of its own).
func OutputDirectional(params []*Param, f func(tp *autograd.Tape) *autograd.Var, eps float64, rng *rand.Rand) []Directional {
	out := f(autograd.NewTape())
	r := tensor.Randn(rng, 1, out.Value.Shape...)
	for _, p := range params {
		if g := p.Grad(); g != nil {
			g.Zero()
		}
	}
	autograd.BackwardWith(out, r)
	J := func() float64 {
		tp := autograd.NewTape()
		tp.NoGrad = true
		return dot(f(tp).Value.Data, r.Data)
	}
	return ParamDirectional(params, J, eps, rng)
}

// dot returns Σ a_i·b_i accumulated in float64.
func dot(a, b []float32) float64 {
	s := 0.0
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}
