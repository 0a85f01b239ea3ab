package nn

import (
	"math/rand/v2"

	"genfwi/autograd"
)

// RefAE is the fixed reference convolutional autoencoder of the nn-refae
// benchmark (docs/benchmarks.md), used to compare the engine one to one
// with other frameworks: 930 949 parameters, input (N, 1, 64, 64), latent
// (N, 4, 16, 16), output (N, 1, 64, 64). GN = GroupNorm(8 groups, eps 1e-5),
// conv3 = 3×3 conv with padding 1 and bias, up = nearest ×2.
type RefAE struct {
	EncIn                  *Conv2d
	GNDown1, GNDown2       *GroupNorm
	Down1, Down2           *Conv2d
	Res1, Res2, Res3, Res4 *ResBlock
	GNLatent               *GroupNorm
	ToLatent, FromLatent   *Conv2d
	GNUp1, GNUp2, GNOut    *GroupNorm
	Up1, Up2, Out          *Conv2d
}

// ResBlock is x + conv3(silu(GN(conv3(silu(GN(x)))))) with c channels.
type ResBlock struct {
	GN1, GN2     *GroupNorm
	Conv1, Conv2 *Conv2d
}

func conv3(name string, rng *rand.Rand, cin, cout, stride int) *Conv2d {
	return NewConv2d(name, rng, cin, cout, 3, 3, autograd.Conv2dOpts{Stride: [2]int{stride, stride}, Pad: autograd.PadAll(1)}, true)
}

func gn8(name string, c int) *GroupNorm { return NewGroupNorm(name, 8, c, 1e-5) }

// NewResBlock makes a residual block over c channels.
func NewResBlock(name string, rng *rand.Rand, c int) *ResBlock {
	return &ResBlock{GN1: gn8(name+".norm1", c), Conv1: conv3(name+".conv1", rng, c, c, 1),
		GN2: gn8(name+".norm2", c), Conv2: conv3(name+".conv2", rng, c, c, 1)}
}

// Forward applies the block.
func (r *ResBlock) Forward(x *autograd.Var) *autograd.Var {
	h := r.Conv1.Forward(r.GN1.ForwardSiLU(x))
	h = r.Conv2.Forward(r.GN2.ForwardSiLU(h))
	return autograd.Add(x, h)
}

// Params returns the block's parameters.
func (r *ResBlock) Params() []*Param { return Collect(r.GN1, r.Conv1, r.GN2, r.Conv2) }

// NewRefAE builds the reference autoencoder with PyTorch-style
// initialisation drawn from rng.
func NewRefAE(rng *rand.Rand) *RefAE {
	return &RefAE{
		EncIn:   conv3("enc_in", rng, 1, 32, 1),
		GNDown1: gn8("down1.norm", 32), Down1: conv3("down1.conv", rng, 32, 64, 2),
		Res1:    NewResBlock("res1", rng, 64),
		GNDown2: gn8("down2.norm", 64), Down2: conv3("down2.conv", rng, 64, 128, 2),
		Res2:       NewResBlock("res2", rng, 128),
		GNLatent:   gn8("to_latent.norm", 128),
		ToLatent:   NewConv2d("to_latent.conv", rng, 128, 4, 1, 1, autograd.Conv2dOpts{}, true),
		FromLatent: conv3("from_latent", rng, 4, 128, 1),
		Res3:       NewResBlock("res3", rng, 128),
		GNUp1:      gn8("up1.norm", 128), Up1: conv3("up1.conv", rng, 128, 64, 1),
		Res4:  NewResBlock("res4", rng, 64),
		GNUp2: gn8("up2.norm", 64), Up2: conv3("up2.conv", rng, 64, 32, 1),
		GNOut: gn8("out.norm", 32), Out: conv3("out.conv", rng, 32, 1, 1),
	}
}

// Params returns all parameters in a fixed order.
func (m *RefAE) Params() []*Param {
	return Collect(m.EncIn, m.GNDown1, m.Down1, m.Res1, m.GNDown2, m.Down2, m.Res2, m.GNLatent, m.ToLatent,
		m.FromLatent, m.Res3, m.GNUp1, m.Up1, m.Res4, m.GNUp2, m.Up2, m.GNOut, m.Out)
}

// Forward maps x (N, 1, H, W) with H, W divisible by 4 to the reconstruction.
func (m *RefAE) Forward(x *autograd.Var) *autograd.Var {
	h := m.EncIn.Forward(x)
	h = m.Down1.Forward(m.GNDown1.ForwardSiLU(h))
	h = m.Res1.Forward(h)
	h = m.Down2.Forward(m.GNDown2.ForwardSiLU(h))
	h = m.Res2.Forward(h)
	z := m.ToLatent.Forward(m.GNLatent.ForwardSiLU(h))
	h = m.FromLatent.Forward(z)
	h = m.Res3.Forward(h)
	h = m.Up1.Forward(Upsample2x(m.GNUp1.ForwardSiLU(h)))
	h = m.Res4.Forward(h)
	h = m.Up2.Forward(Upsample2x(m.GNUp2.ForwardSiLU(h)))
	return m.Out.Forward(m.GNOut.ForwardSiLU(h))
}
