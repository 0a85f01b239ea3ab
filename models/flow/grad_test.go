package flow

import (
	"fmt"
	"gonum.org/v1/gonum/mat"
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

// tinyNet builds a small network on 8×8 inputs with ActNorm initialised
// from a random batch and nonzero biases, so that no layer is trivial.
func tinyNet(t *testing.T, cfg Config, seed uint64) *Glow {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	g, err := New(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	var c *tensor.Tensor
	if cfg.CondChannels > 0 {
		c = tensor.Randn(rng, 1, 4, cfg.CondChannels, 8, 8)
	}
	if err := g.Init(tensor.Randn(rng, 1, 4, cfg.InChannels, 8, 8), c); err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Params() {
		if n := p.Name; n[len(n)-3:] == ".b1" || n[len(n)-3:] == ".b2" || n[len(n)-3:] == ".b3" {
			for i := range p.Value().Data {
				p.Value().Data[i] = float32(0.1 * rng.NormFloat64())
			}
		}
	}
	return g
}

// jacobian returns ∂z/∂x (D×D, row i = ∂z_i/∂x) of a one-sample network by
// reverse mode, one one-hot cotangent per row.
func jacobian(t *testing.T, g *Glow, x, c *tensor.Tensor) (*mat.Dense, float64) {
	t.Helper()
	d := len(x.Data)
	j := mat.NewDense(d, d, nil)
	var logdet float64
	for i := 0; i < d; i++ {
		tp := autograd.NewTape()
		xv := tp.Input(x)
		z, ld, err := g.Forward(xv, constOrNil(tp, c))
		if err != nil {
			t.Fatal(err)
		}
		logdet = float64(ld.Value.Data[0])
		cot := tensor.New(z.Shape()...)
		cot.Data[i] = 1
		autograd.BackwardWith(z, cot)
		for k, v := range xv.Grad.Data {
			j.Set(i, k, float64(v))
		}
	}
	return j, logdet
}

// TestLogdetMatchesJacobian compares the network's log-determinant with
// log|det J| of the full Jacobian of tiny networks (1×8×8, D = 64), and the
// reverse-mode Jacobian with central differences along a random direction.
func TestLogdetMatchesJacobian(t *testing.T) {
	cases := []Config{
		{InChannels: 1, CondChannels: 1, Hidden: 6, Levels: 1, Steps: 1, RBFinalReLU: true},
		{InChannels: 1, CondChannels: 1, Hidden: 6, Levels: 2, Steps: 2, RBFinalReLU: true},
		{InChannels: 1, CondChannels: 2, Hidden: 6, Levels: 2, Steps: 1, RBOutBias: true},
		{InChannels: 1, CondChannels: 0, Hidden: 6, Levels: 2, Steps: 2, RBFinalReLU: true},
		{InChannels: 2, CondChannels: 0, Hidden: 5, Levels: 1, Steps: 2},
	}
	for ci, cfg := range cases {
		t.Run(fmt.Sprintf("L%dK%dcond%dfinal%v", cfg.Levels, cfg.Steps, cfg.CondChannels, cfg.RBFinalReLU), func(t *testing.T) {
			g := tinyNet(t, cfg, uint64(ci+1))
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			x := tensor.Randn(rng, 1, 1, cfg.InChannels, 8, 8)
			var c *tensor.Tensor
			if cfg.CondChannels > 0 {
				c = tensor.Randn(rng, 1, 1, cfg.CondChannels, 8, 8)
			}
			j, logdet := jacobian(t, g, x, c)
			var lu mat.LU
			lu.Factorize(j)
			want, sign := lu.LogDet()
			t.Logf("logdet %.5f, log|det J| %.5f (sign %v)", logdet, want, sign)
			if math.Abs(logdet-want) > 2e-3*max(1, math.Abs(want)) {
				t.Errorf("logdet %g, log|det J| %g", logdet, want)
			}
			// J·d against (G(x+hd) − G(x−hd))/2h along a unit direction;
			// as in gradCheck, agreement at one of the steps suffices
			// (ReLU kinks).
			d := len(x.Data)
			dir := tensor.Randn(rng, 1, x.Shape...)
			var nrm float64
			for _, v := range dir.Data {
				nrm += float64(v) * float64(v)
			}
			for i := range dir.Data {
				dir.Data[i] /= float32(math.Sqrt(nrm))
			}
			fwd := func(s float64) []float32 {
				xp := x.Clone()
				for i := range xp.Data {
					xp.Data[i] += float32(s) * dir.Data[i]
				}
				tp := autograd.NewTape()
				tp.NoGrad = true
				z, _, _ := g.Forward(tp.Const(xp), constOrNil(tp, c))
				return z.Value.Data
			}
			jd := make([]float64, d)
			var scale float64
			for i := range jd {
				for k := 0; k < d; k++ {
					jd[i] += j.At(i, k) * float64(dir.Data[k])
				}
				scale = max(scale, math.Abs(jd[i]))
			}
			var errs []float64
			for _, h := range []float64{1e-3, 3e-3} {
				zp, zm := fwd(h), fwd(-h)
				var worst float64
				for i := range jd {
					worst = max(worst, math.Abs(jd[i]-(float64(zp[i])-float64(zm[i]))/(2*h)))
				}
				errs = append(errs, worst)
			}
			if min(errs[0], errs[1]) > 1e-2*scale {
				t.Errorf("J·d differs from central differences by %g (max |J·d| %g)", errs, scale)
			}
		})
	}
}

// paramSample picks a few (parameter index, element) pairs from every kind
// of parameter.
func paramSample(g *Glow, rng *rand.Rand) [][2]int {
	var s [][2]int
	for i, p := range g.Params() {
		if i%3 == 0 || i < 4 {
			s = append(s, [2]int{i, rng.IntN(len(p.Value().Data))})
		}
	}
	return s
}

// gradCheck compares the reverse-mode gradient of a scalar f of the
// network with central differences: a directional derivative along a random
// unit direction in every input, and single elements of a sample of
// parameters. eval computes f in float64 from a no-grad pass; grad runs the
// recording pass, returns the input Vars (whose Grad holds ∂f/∂input) and
// leaves the parameter gradients in the arena.
//
// The residual blocks are piecewise linear (ReLU): a central difference
// whose two points straddle a kink is off by up to the kink's slope change,
// which a flow's inverse can amplify. Each check therefore accepts agreement
// at any of three small steps (3e-4, 1e-3 or 3e-3; below that float32 rounding
// dominates); a wrong gradient fails all of them.
func gradCheck(t *testing.T, g *Glow, inputs []*tensor.Tensor, eval func(in []*tensor.Tensor) float64, grad func(tp *autograd.Tape, in []*tensor.Tensor) []*autograd.Var) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	g.Arena.ZeroGrad()
	tp := autograd.NewTape()
	vars := grad(tp, inputs)
	steps := []float64{3e-4, 1e-3, 3e-3}
	agree := func(an float64, fd func(h float64) float64) (bool, []float64) {
		var got []float64
		for _, h := range steps {
			v := fd(h)
			got = append(got, v)
			if math.Abs(an-v) <= 5e-3+2e-2*math.Abs(v) {
				return true, got
			}
		}
		return false, got
	}
	for k, in := range inputs {
		if vars[k] == nil || vars[k].Grad == nil {
			t.Fatalf("input %d has no gradient", k)
		}
		dir := tensor.Randn(rng, 1, in.Shape...)
		var nrm float64
		for _, v := range dir.Data {
			nrm += float64(v) * float64(v)
		}
		nrm = math.Sqrt(nrm)
		var an float64
		for i, v := range dir.Data {
			dir.Data[i] = float32(float64(v) / nrm)
			an += float64(vars[k].Grad.Data[i]) * float64(dir.Data[i])
		}
		shifted := func(s float64) float64 {
			cp := make([]*tensor.Tensor, len(inputs))
			copy(cp, inputs)
			p := in.Clone()
			for i := range p.Data {
				p.Data[i] += float32(s) * dir.Data[i]
			}
			cp[k] = p
			return eval(cp)
		}
		ok, fds := agree(an, func(h float64) float64 { return (shifted(h) - shifted(-h)) / (2 * h) })
		t.Logf("input %d: directional derivative %.6g, central differences %.6g", k, an, fds)
		if !ok {
			t.Errorf("input %d: directional derivative %g, central differences %g", k, an, fds)
		}
	}
	ps := g.Params()
	sample := paramSample(g, rng)
	bad := 0
	for _, pe := range sample {
		p := ps[pe[0]]
		d := p.Value().Data
		old := d[pe[1]]
		an := float64(p.Grad().Data[pe[1]])
		ok, fds := agree(an, func(h float64) float64 {
			d[pe[1]] = old + float32(h)
			fp := eval(inputs)
			d[pe[1]] = old - float32(h)
			fm := eval(inputs)
			d[pe[1]] = old
			return (fp - fm) / (2 * h)
		})
		if !ok {
			bad++
			t.Errorf("%s[%d]: gradient %g, central differences %g", p.Name, pe[1], an, fds)
		}
	}
	if bad == 0 {
		t.Logf("%d sampled parameter elements agree", len(sample))
	}
}

// gradConfigs are the networks of the gradient checks (with and without the
// final ReLU; conditional and not).
var gradConfigs = []Config{
	{InChannels: 1, CondChannels: 2, Hidden: 6, Levels: 2, Steps: 2, RBFinalReLU: true, RBOutBias: true},
	{InChannels: 1, CondChannels: 1, Hidden: 6, Levels: 2, Steps: 2},
	{InChannels: 1, CondChannels: 0, Hidden: 6, Levels: 2, Steps: 2, RBFinalReLU: true},
}

// gradInputs draws the inputs of a gradient check: x (2, InChannels, 8, 8)
// and, for a conditional network, the condition (2, CondChannels, 8, 8).
func gradInputs(rng *rand.Rand, cfg Config) []*tensor.Tensor {
	inputs := []*tensor.Tensor{tensor.Randn(rng, 1, 2, cfg.InChannels, 8, 8)}
	if cfg.CondChannels > 0 {
		inputs = append(inputs, tensor.Randn(rng, 1, 2, cfg.CondChannels, 8, 8))
	}
	return inputs
}

// condVar returns the condition in[1] on tp, nil for an unconditional
// check; input makes it a differentiated input rather than a constant.
func condVar(tp *autograd.Tape, in []*tensor.Tensor, input bool) *autograd.Var {
	if len(in) < 2 {
		return nil
	}
	if input {
		return tp.Input(in[1])
	}
	return tp.Const(in[1])
}

// forGradConfigs runs check as one subtest per gradConfigs entry, on a tiny
// network with weights from seed netSeed+i and inputs drawn from rng =
// PCG(i, stream).
func forGradConfigs(t *testing.T, netSeed, stream uint64, check func(t *testing.T, g *Glow, cfg Config, rng *rand.Rand, inputs []*tensor.Tensor)) {
	for ci, cfg := range gradConfigs {
		t.Run(fmt.Sprintf("cond%dfinal%v", cfg.CondChannels, cfg.RBFinalReLU), func(t *testing.T) {
			g := tinyNet(t, cfg, netSeed+uint64(ci))
			rng := rand.New(rand.NewPCG(uint64(ci), stream))
			check(t, g, cfg, rng, gradInputs(rng, cfg))
		})
	}
}

// TestForwardNLLGradient checks ∂NLL/∂x, ∂NLL/∂c and ∂NLL/∂θ of the forward
// pass (the WISE training gradient) against central differences.
func TestForwardNLLGradient(t *testing.T) {
	forGradConfigs(t, 10, 3, func(t *testing.T, g *Glow, cfg Config, rng *rand.Rand, inputs []*tensor.Tensor) {
		eval := func(in []*tensor.Tensor) float64 {
			tp := autograd.NewTape()
			tp.NoGrad = true
			z, ld, err := g.Forward(tp.Const(in[0]), condVar(tp, in, false))
			if err != nil {
				t.Fatal(err)
			}
			var s float64
			for _, v := range z.Value.Data {
				s += 0.5 * float64(v) * float64(v)
			}
			for _, v := range ld.Value.Data {
				s -= float64(v)
			}
			return s / float64(z.Shape()[0])
		}
		grad := func(tp *autograd.Tape, in []*tensor.Tensor) []*autograd.Var {
			x := tp.Input(in[0])
			c := condVar(tp, in, true)
			z, ld, err := g.Forward(x, c)
			if err != nil {
				t.Fatal(err)
			}
			autograd.Backward(NLL(z, ld))
			return []*autograd.Var{x, c}
		}
		gradCheck(t, g, inputs, eval, grad)
	})
}

// TestInverseGradient checks the gradient of L = Σ r⊙G⁻¹(z; c) with respect
// to z, c and θ (reverse mode through the inverse pass, what WISER needs)
// against central differences.
func TestInverseGradient(t *testing.T) {
	forGradConfigs(t, 20, 5, func(t *testing.T, g *Glow, cfg Config, rng *rand.Rand, inputs []*tensor.Tensor) {
		r := tensor.Randn(rng, 1, 2, cfg.InChannels, 8, 8)
		eval := func(in []*tensor.Tensor) float64 {
			tp := autograd.NewTape()
			tp.NoGrad = true
			x, err := g.Inverse(tp.Const(in[0]), condVar(tp, in, false))
			if err != nil {
				t.Fatal(err)
			}
			var s float64
			for i, v := range x.Value.Data {
				s += float64(v) * float64(r.Data[i])
			}
			return s
		}
		grad := func(tp *autograd.Tape, in []*tensor.Tensor) []*autograd.Var {
			z := tp.Input(in[0])
			c := condVar(tp, in, true)
			x, err := g.Inverse(z, c)
			if err != nil {
				t.Fatal(err)
			}
			autograd.BackwardWith(x, r)
			return []*autograd.Var{z, c}
		}
		gradCheck(t, g, inputs, eval, grad)
	})
}
