package flow

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// ErrNotInitialized is returned by Inverse when the network's ActNorm layers
// have not been initialised (by Init, a forward pass or loading weights).
var ErrNotInitialized = errors.New("flow: ActNorm layers are not initialised (call Init or Forward first, or load weights)")

// Step is one flow step: ActNorm then a coupling layer.
type Step struct {
	Norm     *ActNorm
	Coupling *Coupling
}

// Glow is InvertibleNetworks.jl's NetworkConditionalGlow with split_scales
// (and, when Cfg.CondChannels is 0, NetworkGlow):
//
//	c ← ActNorm_C(c)                               (conditional only)
//	for level i = 1..L:
//	    x ← Squeeze(x);  c ← Squeeze(c)
//	    for step j = 1..K:  x ← ActNorm_ij(x);  x ← Coupling_ij(x, c)
//	    if i < L:  x, z_i ← x[:round(C/2)], x[round(C/2):]
//	z = [z_1; …; z_{L−1}; x] per sample, reshaped to the input shape
//
// The log-determinant is the sum of the ActNorm and coupling terms, per
// sample. All parameters live in Arena.
type Glow struct {
	Cfg Config
	// CondNorm is ActNorm_C (nil for an unconditional network).
	CondNorm *ActNorm
	// Levels[i][j] is step j of level i.
	Levels [][]Step
	// Arena holds every parameter (weights and gradients) contiguously.
	Arena *nn.Arena
	tapes tapePool // Sample's inference tapes
}

// New builds a network with random weights drawn from rng (Glorot-uniform
// convolutions and Householder vectors, zero biases) and uninitialised
// ActNorm layers. It returns an error if cfg is invalid.
func New(cfg Config, rng *rand.Rand) (*Glow, error) {
	g, err := newGlow(cfg, rng)
	if err != nil {
		return nil, err
	}
	g.Arena = nn.NewArena(g.Params())
	return g, nil
}

// newGlow builds the layers without an arena.
func newGlow(cfg Config, rng *rand.Rand) (*Glow, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Glow{Cfg: cfg}
	if cfg.CondChannels > 0 {
		g.CondNorm = NewActNorm("cond_actnorm", cfg.CondChannels)
	}
	n, nc := cfg.InChannels, cfg.CondChannels
	for l := 0; l < cfg.Levels; l++ {
		n, nc = 4*n, 4*nc
		steps := make([]Step, cfg.Steps)
		for k := range steps {
			name := fmt.Sprintf("level%d.step%d", l+1, k+1)
			steps[k] = Step{
				Norm:     NewActNorm(name+".actnorm", n),
				Coupling: NewCoupling(name+".coupling", n, nc, cfg.Hidden, cfg.RBFinalReLU, cfg.RBOutBias, rng),
			}
		}
		g.Levels = append(g.Levels, steps)
		if l < cfg.Levels-1 {
			n = half(n)
		}
	}
	return g, nil
}

// Params returns every parameter in a fixed order: ActNorm_C, then per level
// and step the ActNorm, the Householder vectors and the residual block.
func (g *Glow) Params() []*nn.Param {
	var ps []*nn.Param
	if g.CondNorm != nil {
		ps = append(ps, g.CondNorm.Params()...)
	}
	for _, lv := range g.Levels {
		for _, st := range lv {
			ps = append(ps, st.Norm.Params()...)
			ps = append(ps, st.Coupling.Params()...)
		}
	}
	return ps
}

// NumParams returns the number of scalar parameters.
func (g *Glow) NumParams() int { return g.Arena.NumParams() }

// actNorms returns every ActNorm layer.
func (g *Glow) actNorms() []*ActNorm {
	var a []*ActNorm
	if g.CondNorm != nil {
		a = append(a, g.CondNorm)
	}
	for _, lv := range g.Levels {
		for _, st := range lv {
			a = append(a, st.Norm)
		}
	}
	return a
}

// Initialized reports whether every ActNorm layer is initialised.
func (g *Glow) Initialized() bool {
	for _, a := range g.actNorms() {
		if !a.Initialized {
			return false
		}
	}
	return true
}

// SetInitialized marks every ActNorm layer as initialised (true) or makes
// the next forward pass re-initialise them from its data (false).
func (g *Glow) SetInitialized(v bool) {
	for _, a := range g.actNorms() {
		a.Initialized = v
	}
}

// Init (re)initialises every ActNorm layer from the batch x (N, C, H, W) and
// condition c (nil for an unconditional network): one forward pass in which
// each layer sets s = 1/σ, b = −μ/σ from its own input. Nothing is recorded
// for gradients.
func (g *Glow) Init(x, c *tensor.Tensor) error {
	tp := autograd.NewTape()
	tp.NoGrad = true
	var cv *autograd.Var
	if c != nil {
		cv = tp.Const(c)
	}
	xv := tp.Const(x)
	if _, err := g.check("Init", xv, cv); err != nil {
		return err
	}
	g.SetInitialized(false)
	_, _, err := g.Forward(xv, cv)
	return err
}

// Layout returns the multiscale bookkeeping for inputs of shape (C, H, W);
// see Config.Layout.
func (g *Glow) Layout(c, h, w int) (*Layout, error) { return g.Cfg.Layout(c, h, w) }

// check validates x (N, C, H, W) and the condition and returns the layout.
func (g *Glow) check(op string, x, c *autograd.Var) (*Layout, error) {
	xs := x.Shape()
	if len(xs) != 4 || xs[0] < 1 {
		return nil, fmt.Errorf("flow: %s: input must be (N, C, H, W) with N ≥ 1, got %v", op, xs)
	}
	lay, err := g.Cfg.Layout(xs[1], xs[2], xs[3])
	if err != nil {
		return nil, fmt.Errorf("flow: %s: %w", op, err)
	}
	if g.Cfg.CondChannels == 0 {
		if c != nil {
			return nil, fmt.Errorf("flow: %s: unconditional network given a condition", op)
		}
		return lay, nil
	}
	if c == nil {
		return nil, fmt.Errorf("flow: %s: conditional network needs a condition of shape (%d, %d, %d, %d)", op, xs[0], g.Cfg.CondChannels, xs[2], xs[3])
	}
	if cs := c.Shape(); len(cs) != 4 || cs[0] != xs[0] || cs[1] != g.Cfg.CondChannels || cs[2] != xs[2] || cs[3] != xs[3] {
		return nil, fmt.Errorf("flow: %s: condition has shape %v, want (%d, %d, %d, %d)", op, c.Shape(), xs[0], g.Cfg.CondChannels, xs[2], xs[3])
	}
	return lay, nil
}

// conditions returns the condition seen by each level: ActNorm_C(c)
// squeezed once, twice, … (nil entries for an unconditional network).
func (g *Glow) conditions(c *autograd.Var) []*autograd.Var {
	out := make([]*autograd.Var, g.Cfg.Levels)
	if c == nil {
		return out
	}
	c = g.CondNorm.Apply(c)
	for i := range out {
		c = Squeeze(c)
		out[i] = c
	}
	return out
}

// Forward maps x (N, C, H, W) with condition c (N, CondChannels, H, W; nil
// for an unconditional network) to the latent z (same shape as x) and the
// per-sample log-determinant log|det ∂z/∂x| (N). Uninitialised ActNorm
// layers are initialised from this batch first. Gradients with respect to
// x, c and the parameters flow through z and logdet when the inputs are on
// a recording tape (autograd.Backward / BackwardWith). It returns an error
// if the shapes do not fit the network.
func (g *Glow) Forward(x, c *autograd.Var) (z, logdet *autograd.Var, err error) {
	lay, err := g.check("Forward", x, c)
	if err != nil {
		return nil, nil, err
	}
	conds := g.conditions(c)
	n := x.Shape()[0]
	var parts []*autograd.Var
	h := x
	for i, lv := range g.Levels {
		h = Squeeze(h)
		for _, st := range lv {
			var ld *autograd.Var
			h, ld = st.Norm.Forward(h)
			logdet = addLogdet(logdet, ld)
			h, ld = st.Coupling.Forward(h, conds[i])
			logdet = addLogdet(logdet, ld)
		}
		if i < len(g.Levels)-1 {
			k := lay.Levels[i].C - lay.Levels[i].SplitOff
			sp := autograd.Split(h, 1, k, lay.Levels[i].SplitOff)
			h = sp[0]
			parts = append(parts, autograd.Reshape(sp[1], n, -1))
		}
	}
	parts = append(parts, autograd.Reshape(h, n, -1))
	z = autograd.Reshape(autograd.Concat(1, parts...), x.Shape()...)
	return z, logdet, nil
}

// addLogdet returns acc + ld where ld is a per-sample (N) or shared scalar
// term.
func addLogdet(acc, ld *autograd.Var) *autograd.Var {
	if acc == nil {
		return ld
	}
	if len(acc.Shape()) == 0 && len(ld.Shape()) == 1 {
		return autograd.Add(ld, acc)
	}
	return autograd.Add(acc, ld)
}

// Inverse maps the latent z (N, C, H, W) with condition c back to x =
// G⁻¹(z; c). c is the raw condition, as given to Forward (the ActNorm of the
// condition and the squeezes are applied here). With z, c or the
// parameters on a recording tape, autograd.Backward / BackwardWith through
// the result gives ∂G⁻¹/∂z, ∂G⁻¹/∂c and the parameter gradients (what
// WISER's latent correction needs). It returns ErrNotInitialized before the
// ActNorm layers are initialised and an error if the shapes do not fit.
func (g *Glow) Inverse(z, c *autograd.Var) (*autograd.Var, error) {
	lay, err := g.check("Inverse", z, c)
	if err != nil {
		return nil, err
	}
	if !g.Initialized() {
		return nil, ErrNotInitialized
	}
	conds := g.conditions(c)
	n := z.Shape()[0]
	sizes := lay.latentSizes()
	parts := autograd.Split(autograd.Reshape(z, n, -1), 1, sizes...)
	L := len(g.Levels)
	last := lay.Levels[L-1]
	h := autograd.Reshape(parts[L-1], n, last.C, last.H, last.W)
	for i := L - 1; i >= 0; i-- {
		lv := lay.Levels[i]
		if i < L-1 {
			zi := autograd.Reshape(parts[i], n, lv.SplitOff, lv.H, lv.W)
			h = autograd.Concat(1, h, zi)
		}
		for j := len(g.Levels[i]) - 1; j >= 0; j-- {
			st := g.Levels[i][j]
			h = st.Coupling.Inverse(h, conds[i])
			h = st.Norm.Inverse(h)
		}
		h = Unsqueeze(h)
	}
	return h, nil
}

// NLL returns the training objective of WISE for a batch,
//
//	(1/N) Σ_b [ ½‖z_b‖² − logdet_b ],
//
// the negative log-likelihood under a standard normal latent without the
// constant (D/2)·log 2π (D = C·H·W); divide by D for a per-pixel figure.
// z is (N, …) and logdet (N), as returned by Forward.
func NLL(z, logdet *autograd.Var) *autograd.Var {
	n := float32(z.Shape()[0])
	sq := autograd.Scale(autograd.Sum(autograd.Mul(z, z), false), 0.5/n)
	return autograd.Sub(sq, autograd.Scale(autograd.Sum(logdet, false), 1/n))
}

// Sample returns G⁻¹(z; c) for latent draws z (N, C, H, W) and the raw
// condition c (nil for an unconditional network) without recording
// gradients. The result is a new tensor owned by the caller; the
// activations live on a tape that later calls reuse.
func (g *Glow) Sample(z, c *tensor.Tensor) (*tensor.Tensor, error) {
	tp := g.tapes.get()
	defer g.tapes.put(tp)
	var cv *autograd.Var
	if c != nil {
		cv = tp.Const(c)
	}
	x, err := g.Inverse(tp.Const(z), cv)
	if err != nil {
		return nil, err
	}
	return x.Value.Clone(), nil
}

// SetTrainable turns gradient recording for the parameters ps on or off.
// With it off, backward passes through the network (e.g. through a frozen
// WISE network's inverse inside WISER) skip the weight gradients; gradients
// with respect to inputs still flow. Values and gradient storage stay the
// same tensors (the arena's views).
func SetTrainable(ps []*nn.Param, on bool) {
	for _, p := range ps {
		if p.V.RequiresGrad() == on {
			continue
		}
		grad := p.V.Grad
		p.V = autograd.NewLeaf(p.V.Value, on)
		p.V.Grad = grad
	}
}
