package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/tensor"
)

// Conv2d is a 2-D convolution layer: W (F, C, KH, KW), optional B (F).
type Conv2d struct {
	W, B *Param
	Opts autograd.Conv2dOpts
}

// NewConv2d makes a conv layer named name with PyTorch's default
// initialisation: W and B ~ U(-1/√fanIn, 1/√fanIn), fanIn = C·KH·KW.
func NewConv2d(name string, rng *rand.Rand, cin, cout, kh, kw int, opts autograd.Conv2dOpts, bias bool) *Conv2d {
	w, b := convParams(name, rng, tensor.New(cout, cin, kh, kw), cout, cin*kh*kw, bias)
	return &Conv2d{W: w, B: b, Opts: opts}
}

// convParams makes a convolution's weight (the zero tensor w) and, if bias,
// its bias of cout values with PyTorch's default initialisation for the
// fan-in fanIn: both ~ U(−1/√fanIn, 1/√fanIn), the weight drawn first.
func convParams(name string, rng *rand.Rand, w *tensor.Tensor, cout, fanIn int, bias bool) (*Param, *Param) {
	wp := NewParam(name+".weight", w)
	KaimingUniform(wp.Value(), fanIn, math.Sqrt(1.0/3), rng)
	if !bias {
		return wp, nil
	}
	bp := NewParam(name+".bias", tensor.New(cout))
	UniformInit(bp.Value(), 1/math.Sqrt(float64(fanIn)), rng)
	return wp, bp
}

// Forward applies the convolution to x (N, C, H, W).
func (l *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Conv2d(x, l.W.V, optVar(l.B), l.Opts)
}

// Params returns W and B (if any).
func (l *Conv2d) Params() []*Param { return nonNil(l.W, l.B) }

// ConvTranspose2d is a transposed convolution layer: W (C, F, KH, KW),
// optional B (F).
type ConvTranspose2d struct {
	W, B *Param
	Opts autograd.Conv2dOpts
}

// NewConvTranspose2d makes a transposed conv layer with PyTorch's default
// initialisation (fanIn = F·KH·KW, as PyTorch computes it from W's layout).
func NewConvTranspose2d(name string, rng *rand.Rand, cin, cout, kh, kw int, opts autograd.Conv2dOpts, bias bool) *ConvTranspose2d {
	w, b := convParams(name, rng, tensor.New(cin, cout, kh, kw), cout, cout*kh*kw, bias)
	return &ConvTranspose2d{W: w, B: b, Opts: opts}
}

// Forward applies the transposed convolution to x (N, C, H, W).
func (l *ConvTranspose2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.ConvTranspose2d(x, l.W.V, optVar(l.B), l.Opts)
}

// Params returns W and B (if any).
func (l *ConvTranspose2d) Params() []*Param { return nonNil(l.W, l.B) }

// Upsample2x doubles the height and width of x (N, C, H, W) by
// nearest-neighbour repetition, PyTorch's interpolate(scale_factor=2,
// mode="nearest") as the decoders of LDM's UNet and autoencoders use it.
func Upsample2x(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	return autograd.ResizeNearest(x, 2*s[2], 2*s[3])
}

// Linear is y = x·Wᵀ + B with W (Out, In), B (Out).
type Linear struct {
	W, B *Param
}

// NewLinear makes a linear layer with PyTorch's default initialisation
// U(-1/√In, 1/√In).
func NewLinear(name string, rng *rand.Rand, in, out int, bias bool) *Linear {
	l := &Linear{W: NewParam(name+".weight", tensor.New(out, in))}
	KaimingUniform(l.W.Value(), in, math.Sqrt(1.0/3), rng)
	if bias {
		l.B = NewParam(name+".bias", tensor.New(out))
		UniformInit(l.B.Value(), 1/math.Sqrt(float64(in)), rng)
	}
	return l
}

// Forward maps x (..., In) to (..., Out).
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Linear(x, l.W.V, optVar(l.B))
}

// Params returns W and B (if any).
func (l *Linear) Params() []*Param { return nonNil(l.W, l.B) }

// GroupNorm normalises groups of channels; Gamma = 1, Beta = 0 initially.
type GroupNorm struct {
	Groups      int
	Eps         float64
	Gamma, Beta *Param // (C), nil without affine
}

// NewGroupNorm makes an affine GroupNorm over c channels.
// It panics if c is not a multiple of groups.
func NewGroupNorm(name string, groups, c int, eps float64) *GroupNorm {
	if groups <= 0 || c%groups != 0 {
		panic(fmt.Sprintf("nn: GroupNorm %s: %d channels in %d groups", name, c, groups))
	}
	g := &GroupNorm{Groups: groups, Eps: eps, Gamma: NewParam(name+".weight", tensor.New(c)), Beta: NewParam(name+".bias", tensor.New(c))}
	g.Gamma.Value().Fill(1)
	return g
}

// Forward normalises x (N, C, ...).
func (l *GroupNorm) Forward(x *autograd.Var) *autograd.Var {
	return autograd.GroupNorm(x, l.Groups, optVar(l.Gamma), optVar(l.Beta), l.Eps)
}

// ForwardSiLU applies the layer followed by SiLU in one fused op
// (autograd.GroupNormSiLU: the same values and gradients as
// autograd.SiLU(l.Forward(x)), faster and with one array less).
func (l *GroupNorm) ForwardSiLU(x *autograd.Var) *autograd.Var {
	return autograd.GroupNormSiLU(x, l.Groups, optVar(l.Gamma), optVar(l.Beta), l.Eps)
}

// Params returns Gamma and Beta.
func (l *GroupNorm) Params() []*Param { return nonNil(l.Gamma, l.Beta) }

// LayerNorm normalises over the last axis (length D).
type LayerNorm struct {
	Eps         float64
	Gamma, Beta *Param // (D)
}

// NewLayerNorm makes an affine LayerNorm over d features.
func NewLayerNorm(name string, d int, eps float64) *LayerNorm {
	l := &LayerNorm{Eps: eps, Gamma: NewParam(name+".weight", tensor.New(d)), Beta: NewParam(name+".bias", tensor.New(d))}
	l.Gamma.Value().Fill(1)
	return l
}

// Forward normalises x (..., D).
func (l *LayerNorm) Forward(x *autograd.Var) *autograd.Var {
	return autograd.LayerNorm(x, l.Gamma.V, l.Beta.V, l.Eps)
}

// Params returns Gamma and Beta.
func (l *LayerNorm) Params() []*Param { return nonNil(l.Gamma, l.Beta) }

// BatchNorm2d normalises per channel with batch statistics in training and
// running statistics in eval mode (Training false).
type BatchNorm2d struct {
	Eps         float64
	Training    bool
	Gamma, Beta *Param
	Stats       autograd.BNStats
	name        string
}

// NewBatchNorm2d makes an affine BatchNorm over c channels in training mode
// (running mean 0, running variance 1, momentum 0.1).
func NewBatchNorm2d(name string, c int, eps float64) *BatchNorm2d {
	b := &BatchNorm2d{Eps: eps, Training: true, name: name,
		Gamma: NewParam(name+".weight", tensor.New(c)), Beta: NewParam(name+".bias", tensor.New(c)),
		Stats: autograd.BNStats{Mean: make([]float32, c), Var: make([]float32, c), Momentum: 0.1}}
	b.Gamma.Value().Fill(1)
	for i := range b.Stats.Var {
		b.Stats.Var[i] = 1
	}
	return b
}

// Forward normalises x (N, C, H, W); in training mode it updates Stats.
func (l *BatchNorm2d) Forward(x *autograd.Var) *autograd.Var { return l.ForwardMode(x, l.Training) }

// ForwardMode is Forward in the mode given instead of l.Training, for a
// network that owns the mode of its layers: it does not read l.Training,
// and in eval mode it writes nothing, so concurrent eval-mode calls on one
// network do not race.
func (l *BatchNorm2d) ForwardMode(x *autograd.Var, training bool) *autograd.Var {
	return autograd.BatchNorm2d(x, l.Gamma.V, l.Beta.V, &l.Stats, training, l.Eps)
}

// Params returns Gamma and Beta.
func (l *BatchNorm2d) Params() []*Param { return nonNil(l.Gamma, l.Beta) }

// Buffers returns the running mean and variance.
func (l *BatchNorm2d) Buffers() []*Buffer {
	c := len(l.Stats.Mean)
	return []*Buffer{
		{Name: l.name + ".running_mean", T: tensor.FromSlice(l.Stats.Mean, c)},
		{Name: l.name + ".running_var", T: tensor.FromSlice(l.Stats.Var, c)},
	}
}

// Embedding is a lookup table (K, D).
type Embedding struct {
	Table *Param
}

// NewEmbedding makes a (k, d) table initialised U(-1/k, 1/k) (the VQ
// codebook initialisation of taming-transformers).
func NewEmbedding(name string, rng *rand.Rand, k, d int) *Embedding {
	e := &Embedding{Table: NewParam(name+".weight", tensor.New(k, d))}
	UniformInit(e.Table.Value(), 1/float64(k), rng)
	return e
}

// Forward returns the rows idx of the table, (len(idx), D).
func (l *Embedding) Forward(idx []int) *autograd.Var { return autograd.Embedding(l.Table.V, idx) }

// Params returns the table.
func (l *Embedding) Params() []*Param { return []*Param{l.Table} }

// MultiHeadAttention is self- or cross-attention with input projections
// Q, K, V and output projection Out (each D→D with bias).
type MultiHeadAttention struct {
	Heads        int
	Q, K, V, Out *Linear
}

// NewMultiHeadAttention makes attention over d features in heads heads.
// It panics if d is not a multiple of heads.
func NewMultiHeadAttention(name string, rng *rand.Rand, d, heads int) *MultiHeadAttention {
	if heads <= 0 || d%heads != 0 {
		panic(fmt.Sprintf("nn: MultiHeadAttention %s: %d features in %d heads", name, d, heads))
	}
	return &MultiHeadAttention{Heads: heads,
		Q: NewLinear(name+".q", rng, d, d, true), K: NewLinear(name+".k", rng, d, d, true),
		V: NewLinear(name+".v", rng, d, d, true), Out: NewLinear(name+".out", rng, d, d, true)}
}

// Forward attends from x (B, Lq, D) to ctx (B, Lk, D); ctx = x for
// self-attention.
func (l *MultiHeadAttention) Forward(x, ctx *autograd.Var) *autograd.Var {
	o := autograd.Attention(l.Q.Forward(x), l.K.Forward(ctx), l.V.Forward(ctx), l.Heads)
	return l.Out.Forward(o)
}

// Params returns the projection parameters.
func (l *MultiHeadAttention) Params() []*Param { return Collect(l.Q, l.K, l.V, l.Out) }

func optVar(p *Param) *autograd.Var {
	if p == nil {
		return nil
	}
	return p.V
}

func nonNil(ps ...*Param) []*Param {
	out := ps[:0:0]
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}
