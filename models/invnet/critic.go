package invnet

import (
	"fmt"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// Critic is VelocityGAN's discriminator as OpenFWI's network.py builds it
// (class Discriminator): nine ConvBlocks (Conv2d → BatchNorm2d →
// LeakyReLU(0.2)) taking a 70×70 velocity map to one score per sample,
//
//	1→d1 s2, d1→d1, d1→d2 s2, d2→d2, d2→d3 s2, d3→d3, d3→d4 s2, d4→d4, d4→1 k5 p0
//
// (70 → 35 → 18 → 9 → 5 → 1; 3×3 kernels with padding 1 except the last).
// The last block is a ConvBlock too, so the score passes through
// BatchNorm(1) and LeakyReLU. The critic always runs in training mode
// (batch statistics), as in OpenFWI's gan_train.py.
type Critic struct {
	// Dims are d1…d4 (OpenFWI: 32, 64, 128, 256).
	Dims [4]int
	// Arena holds every parameter.
	Arena  *nn.Arena
	blocks []*block
}

// PaperCriticDims returns the widths of OpenFWI's Discriminator.
func PaperCriticDims() [4]int { return [4]int{32, 64, 128, 256} }

// CriticSize is the side of the velocity maps the critic scores.
const CriticSize = 70

// NewCritic builds the critic with PyTorch's default initialisation drawn
// from rng.
func NewCritic(dims [4]int, rng *rand.Rand) (*Critic, error) {
	for i, d := range dims {
		if d < 1 {
			return nil, fmt.Errorf("invnet: critic width d%d = %d, must be ≥ 1", i+1, d)
		}
	}
	c := &Critic{Dims: dims}
	s2 := autograd.Conv2dOpts{Stride: [2]int{2, 2}, Pad: autograd.PadAll(1)}
	s1 := autograd.Conv2dOpts{Pad: autograd.PadAll(1)}
	in := 1
	for i, d := range dims {
		c.blocks = append(c.blocks,
			convBlock(fmt.Sprintf("convblock%d_1", i+1), rng, in, d, 3, 3, s2),
			convBlock(fmt.Sprintf("convblock%d_2", i+1), rng, d, d, 3, 3, s1))
		in = d
	}
	c.blocks = append(c.blocks, convBlock("convblock5", rng, in, 1, 5, 5, autograd.Conv2dOpts{}))
	var ps []*nn.Param
	for _, b := range c.blocks {
		ps = append(ps, b.params()...)
	}
	c.Arena = nn.NewArena(ps)
	return c, nil
}

// NumParams returns the number of scalar parameters.
func (c *Critic) NumParams() int { return c.Arena.NumParams() }

// check validates the input shape (N, 1, 70, 70).
func (c *Critic) check(x *autograd.Var) error {
	if s := x.Shape(); len(s) != 4 || s[0] < 2 || s[1] != 1 || s[2] != CriticSize || s[3] != CriticSize {
		return fmt.Errorf("invnet: critic input shape %v, want [N 1 %d %d] with N ≥ 2 (batch statistics)", s, CriticSize, CriticSize)
	}
	return nil
}

// Forward returns the scores D(x) (N) of velocity maps x (N, 1, 70, 70),
// with the fused BatchNorm (and its running statistics updated).
func (c *Critic) Forward(x *autograd.Var) (*autograd.Var, error) {
	if err := c.check(x); err != nil {
		return nil, err
	}
	for _, b := range c.blocks {
		b.bn.Training = true
		x = b.forward(x)
	}
	return autograd.Reshape(x, x.Shape()[0]), nil
}

// InputGradient returns the scores D(x) and g = ∂(Σ_i D(x)_i)/∂x, the
// gradient WGAN-GP penalises (PyTorch: autograd.grad(D(x), x, ones,
// create_graph=True)), built from differentiable operations so that a loss
// on g can be differentiated again with respect to the critic's weights —
// the double backward of the gradient penalty, exact rather than
// approximated. Per block (a = conv(h), batch-statistics BatchNorm
// x̂ = (a − μ)/σ, n = γx̂ + β, h' = LeakyReLU(n)), with the cotangent g of h':
//
//	g_n = g ⊙ (n > 0 ? 1 : 0.2)                   (the slope is piecewise constant)
//	g_a = (γ/σ) ⊙ (g_n − mean(g_n) − x̂ ⊙ mean(g_n ⊙ x̂))   (means over N, H, W)
//	g_h = ConvTranspose2d(g_a, W)                  (the adjoint of the convolution)
//
// The forward pass here is composed of elementary operations (μ, σ and x̂
// are nodes of the graph); it does not update the running statistics,
// which the critic never uses.
func (c *Critic) InputGradient(x *autograd.Var) (d, g *autograd.Var, err error) {
	d, g, _, err = c.inputGradient(x, nil)
	return d, g, err
}

// inputGradient is InputGradient with the LeakyReLU slopes of every block
// either computed (slopes nil) or given: with given slopes the activation
// becomes n ⊙ slope, a smooth function of the weights, which is what the
// finite-difference test of the double backward needs (the penalty jumps
// where a pre-activation changes sign). It returns the slopes used.
func (c *Critic) inputGradient(x *autograd.Var, slopes []*tensor.Tensor) (d, g *autograd.Var, used []*tensor.Tensor, err error) {
	if err := c.check(x); err != nil {
		return nil, nil, nil, err
	}
	type saved struct {
		in         []int // shape of the block's input
		xhat, rstd *autograd.Var
		slope      *autograd.Var // LeakyReLU'(n), a constant
		b          *block
	}
	tp := x.Tape()
	var st []saved
	h := x
	for bi, b := range c.blocks {
		a := b.conv.Forward(h)
		mu := autograd.Mean(a, true, 0, 2, 3)
		cen := autograd.Sub(a, mu)
		variance := autograd.Mean(autograd.Mul(cen, cen), true, 0, 2, 3)
		rstd := autograd.Div(onesLike(tp, variance), autograd.Sqrt(autograd.AddScalar(variance, float32(b.bn.Eps))))
		xhat := autograd.Mul(cen, rstd)
		ch := a.Shape()[1]
		n := autograd.Add(autograd.Mul(xhat, autograd.Reshape(b.bn.Gamma.V, 1, ch, 1, 1)), autograd.Reshape(b.bn.Beta.V, 1, ch, 1, 1))
		var slope *tensor.Tensor
		if slopes != nil {
			slope = slopes[bi]
		} else {
			slope = tensor.New(n.Shape()...)
			for i, v := range n.Value.Data {
				slope.Data[i] = leak
				if v > 0 {
					slope.Data[i] = 1
				}
			}
		}
		used = append(used, slope)
		sv := constOn(tp, slope)
		st = append(st, saved{in: h.Shape(), xhat: xhat, rstd: rstd, slope: sv, b: b})
		if slopes != nil {
			h = autograd.Mul(n, sv)
		} else {
			h = autograd.LeakyReLU(n, leak)
		}
	}
	d = autograd.Reshape(h, h.Shape()[0])
	g = onesLike(tp, h)
	for i := len(st) - 1; i >= 0; i-- {
		s := st[i]
		ch := s.xhat.Shape()[1]
		gn := autograd.Mul(g, s.slope)
		gx := autograd.Mul(gn, autograd.Reshape(s.b.bn.Gamma.V, 1, ch, 1, 1))
		m1 := autograd.Mean(gx, true, 0, 2, 3)
		m2 := autograd.Mean(autograd.Mul(gx, s.xhat), true, 0, 2, 3)
		ga := autograd.Mul(autograd.Sub(autograd.Sub(gx, m1), autograd.Mul(s.xhat, m2)), s.rstd)
		o := s.b.conv.Opts
		oh, ow := ga.Shape()[2], ga.Shape()[3]
		kh, kw := s.b.conv.W.Value().Shape[2], s.b.conv.W.Value().Shape[3]
		sh, sw := max(o.Stride[0], 1), max(o.Stride[1], 1)
		o.OutputPad = [2]int{
			s.in[2] - ((oh-1)*sh - o.Pad[0] - o.Pad[1] + kh),
			s.in[3] - ((ow-1)*sw - o.Pad[2] - o.Pad[3] + kw),
		}
		g = autograd.ConvTranspose2d(ga, s.b.conv.W.V, nil, o)
	}
	return d, g, used, nil
}

// GradientPenalty returns WGAN-GP's penalty E_i[(‖∂ΣD/∂x_i‖₂ − 1)²] at the
// points x (N, 1, 70, 70), differentiable with respect to the critic's
// weights (and x).
func (c *Critic) GradientPenalty(x *autograd.Var) (*autograd.Var, error) {
	gp, _, err := c.gradientPenalty(x, nil)
	return gp, err
}

// gradientPenalty is GradientPenalty with given or computed slopes (see
// inputGradient).
func (c *Critic) gradientPenalty(x *autograd.Var, slopes []*tensor.Tensor) (*autograd.Var, []*tensor.Tensor, error) {
	_, g, used, err := c.inputGradient(x, slopes)
	if err != nil {
		return nil, nil, err
	}
	n := g.Shape()[0]
	norm := autograd.Sqrt(autograd.Sum(autograd.Mul(g, g), false, 1, 2, 3))
	dev := autograd.AddScalar(norm, -1)
	return autograd.Scale(autograd.Sum(autograd.Mul(dev, dev), false), 1/float32(n)), used, nil
}

// constOn puts t on tp as a constant (a plain leaf when tp is nil).
func constOn(tp *autograd.Tape, t *tensor.Tensor) *autograd.Var {
	if tp == nil {
		return autograd.NewLeaf(t, false)
	}
	return tp.Const(t)
}

// onesLike returns a constant of ones with v's shape.
func onesLike(tp *autograd.Tape, v *autograd.Var) *autograd.Var {
	t := tensor.New(v.Shape()...)
	t.Fill(1)
	return constOn(tp, t)
}
