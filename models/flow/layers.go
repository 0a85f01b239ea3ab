package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// Squeeze is the checkerboard squeeze (N, C, H, W) → (N, 4C, H/2, W/2):
// output channel block k (channels k·C … k·C+C−1) holds the polyphase
// component x[:, :, ox::2, oy::2] with (ox, oy) = (0,0), (1,0), (0,1), (1,1)
// for k = 0, 1, 2, 3 (k = ox + 2·oy; ox is the offset along the first
// spatial axis H, oy along W). It is a permutation of the elements, so its
// log-determinant is 0. It panics if H or W is odd.
func Squeeze(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 || s[2]%2 != 0 || s[3]%2 != 0 {
		panic(fmt.Sprintf("flow: Squeeze: want (N, C, H, W) with even H and W, got %v", s))
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	y := autograd.Reshape(x, n, c, h/2, 2, w/2, 2) // (n, c, h2, ox, w2, oy)
	y = autograd.Permute(y, 0, 5, 3, 1, 2, 4)      // (n, oy, ox, c, h2, w2)
	return autograd.Reshape(y, n, 4*c, h/2, w/2)
}

// Unsqueeze is the exact inverse of Squeeze, (N, 4C, H, W) → (N, C, 2H, 2W).
// It panics if the channel count is not a multiple of 4.
func Unsqueeze(y *autograd.Var) *autograd.Var {
	s := y.Shape()
	if len(s) != 4 || s[1]%4 != 0 {
		panic(fmt.Sprintf("flow: Unsqueeze: want (N, 4C, H, W), got %v", s))
	}
	n, c, h, w := s[0], s[1]/4, s[2], s[3]
	x := autograd.Reshape(y, n, 2, 2, c, h, w) // (n, oy, ox, c, h2, w2)
	x = autograd.Permute(x, 0, 3, 4, 2, 5, 1)  // (n, c, h2, ox, w2, oy)
	return autograd.Reshape(x, n, c, 2*h, 2*w)
}

// ActNorm is the per-channel affine layer y = s⊙x + b of Glow. Its
// parameters are set from data on the first forward pass (Initialized
// false): s = 1/σ, b = −μ/σ with μ and σ² the mean and the unbiased variance
// of each channel over (batch, H, W), so that the first batch leaves the
// layer with zero mean and unit variance per channel (InvertibleNetworks.jl,
// which uses Julia's unbiased var). The log-determinant per sample is
// H·W·Σ_c log|s_c|.
type ActNorm struct {
	S, B *nn.Param // (C)
	// Initialized reports whether S and B hold trained or data-initialised
	// values. Forward initialises the layer when it is false.
	Initialized bool
}

// NewActNorm returns an uninitialised ActNorm over c channels (s = 1,
// b = 0 until the first forward pass).
func NewActNorm(name string, c int) *ActNorm {
	a := &ActNorm{S: nn.NewParam(name+".s", tensor.New(c)), B: nn.NewParam(name+".b", tensor.New(c))}
	a.S.Value().Fill(1)
	return a
}

// Params returns S and B.
func (a *ActNorm) Params() []*nn.Param { return []*nn.Param{a.S, a.B} }

// Init sets s and b from the statistics of x (N, C, H, W) and marks the
// layer initialised. A channel with zero variance gets s = 1, b = −μ.
// It panics if x has the wrong number of channels.
func (a *ActNorm) Init(x *tensor.Tensor) {
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	if c != len(a.S.Value().Data) {
		panic(fmt.Sprintf("flow: ActNorm.Init: %d channels for a layer of %d", c, len(a.S.Value().Data)))
	}
	s, b := a.S.Value().Data, a.B.Value().Data
	for ch := 0; ch < c; ch++ {
		var sum, sq float64
		for i := 0; i < n; i++ {
			for _, v := range x.Data[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				sum += float64(v)
			}
		}
		m := float64(n * hw)
		mu := sum / m
		for i := 0; i < n; i++ {
			for _, v := range x.Data[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				d := float64(v) - mu
				sq += d * d
			}
		}
		sd := 1.0
		if m > 1 && sq > 0 {
			sd = math.Sqrt(sq / (m - 1))
		}
		s[ch] = float32(1 / sd)
		b[ch] = float32(-mu / sd)
	}
	a.Initialized = true
}

// Forward returns y = s⊙x + b for x (N, C, H, W) and the log-determinant
// per sample H·W·Σ log|s| as a scalar Var (shape []), initialising the layer
// from x first if needed.
func (a *ActNorm) Forward(x *autograd.Var) (y, logdet *autograd.Var) {
	if !a.Initialized {
		a.Init(x.Value)
	}
	c := len(a.S.Value().Data)
	s := autograd.Reshape(a.S.V, 1, c, 1, 1)
	b := autograd.Reshape(a.B.V, 1, c, 1, 1)
	y = autograd.Add(autograd.Mul(x, s), b)
	hw := float32(x.Shape()[2] * x.Shape()[3])
	logdet = autograd.Scale(autograd.Sum(autograd.Log(autograd.Abs(a.S.V)), false), hw)
	return y, logdet
}

// Apply returns s⊙x + b without a log-determinant (the ActNorm of the
// condition), initialising the layer from x first if needed.
func (a *ActNorm) Apply(x *autograd.Var) *autograd.Var {
	if !a.Initialized {
		a.Init(x.Value)
	}
	c := len(a.S.Value().Data)
	return autograd.Add(autograd.Mul(x, autograd.Reshape(a.S.V, 1, c, 1, 1)), autograd.Reshape(a.B.V, 1, c, 1, 1))
}

// Inverse returns x = (y − b)/s.
func (a *ActNorm) Inverse(y *autograd.Var) *autograd.Var {
	c := len(a.S.Value().Data)
	s := autograd.Reshape(a.S.V, 1, c, 1, 1)
	b := autograd.Reshape(a.B.V, 1, c, 1, 1)
	return autograd.Div(autograd.Sub(y, b), s)
}

// Householder is the invertible 1×1 convolution of InvertibleNetworks.jl's
// Conv1x1: with H(v) = I − 2vvᵀ/(vᵀv) and W = H(v1)·H(v2)·H(v3), each pixel's
// channel vector (as a row) maps to x·W. W is orthogonal, so the
// log-determinant is 0 and the inverse is y·Wᵀ. The vectors are
// Glorot-uniform initialised.
type Householder struct {
	V [3]*nn.Param // (C) each
}

// NewHouseholder returns the layer for c channels with v_i ~ U(±√(6/(1+c)))
// (Flux's glorot_uniform for a vector).
func NewHouseholder(name string, c int, rng *rand.Rand) *Householder {
	h := &Householder{}
	for i := range h.V {
		h.V[i] = nn.NewParam(fmt.Sprintf("%s.v%d", name, i+1), tensor.New(c))
		nn.GlorotUniform(h.V[i].Value(), 1, c, 1, rng)
	}
	return h
}

// Params returns v1, v2, v3.
func (h *Householder) Params() []*nn.Param { return h.V[:] }

// reflection returns H(v) = I − 2vvᵀ/(vᵀv) as a (C, C) Var.
func reflection(v *autograd.Var) *autograd.Var {
	c := v.Shape()[0]
	col := autograd.Reshape(v, c, 1)
	outer := autograd.MatMul(col, col, false, true)
	nrm := autograd.Sum(autograd.Mul(v, v), false)
	id := tensor.New(c, c)
	for i := 0; i < c; i++ {
		id.Data[i*c+i] = 1
	}
	return autograd.Sub(autograd.NewLeaf(id, false), autograd.Scale(autograd.Div(outer, nrm), 2))
}

// Matrix returns W = H(v1)·H(v2)·H(v3) (C, C).
func (h *Householder) Matrix() *autograd.Var {
	return autograd.MatMul(autograd.MatMul(reflection(h.V[0].V), reflection(h.V[1].V), false, false), reflection(h.V[2].V), false, false)
}

// conv1x1 applies the (C, C) matrix m to every pixel of x: y[:, f] =
// Σ_c m[f, c]·x[:, c].
func conv1x1(x, m *autograd.Var) *autograd.Var {
	c := m.Shape()[0]
	return autograd.Conv2d(x, autograd.Reshape(m, c, c, 1, 1), nil, autograd.Conv2dOpts{})
}

// Forward returns y with y_pixel = x_pixel·W, i.e. the 1×1 convolution with
// weight Wᵀ = H(v3)·H(v2)·H(v1) (reflections are symmetric).
func (h *Householder) Forward(x *autograd.Var) *autograd.Var {
	wt := autograd.MatMul(autograd.MatMul(reflection(h.V[2].V), reflection(h.V[1].V), false, false), reflection(h.V[0].V), false, false)
	return conv1x1(x, wt)
}

// Inverse returns x with x_pixel = y_pixel·Wᵀ, the 1×1 convolution with
// weight W.
func (h *Householder) Inverse(y *autograd.Var) *autograd.Var { return conv1x1(y, h.Matrix()) }

// ResidualBlock is InvertibleNetworks.jl's ResidualBlock with fan=true and
// the Glow kernel sizes (k1 = 3, k2 = 1):
//
//	h1 = ReLU(conv3×3(x, W1) + b1)
//	h2 = ReLU(h1 + conv1×1(h1, W2) + b2)
//	y  = conv3×3(h2, W3) [+ b3]         then ReLU if FinalReLU
//
// The original's last layer is the adjoint (∇conv_data) of a 3×3 stride-1
// pad-1 convolution, which is itself a 3×3 stride-1 pad-1 convolution with
// the kernel flipped and its channel axes swapped: the same function class
// and parameter count, so it is stored here directly as a conv weight
// (Out, Hidden, 3, 3). Weights are Glorot-uniform, biases zero.
type ResidualBlock struct {
	W1, B1, W2, B2, W3 *nn.Param
	B3                 *nn.Param // nil unless Config.RBOutBias
	FinalReLU          bool
}

// NewResidualBlock returns a block in → hidden → hidden → out.
func NewResidualBlock(name string, in, hidden, out int, finalReLU, outBias bool, rng *rand.Rand) *ResidualBlock {
	rb := &ResidualBlock{
		W1:        nn.NewParam(name+".w1", tensor.New(hidden, in, 3, 3)),
		B1:        nn.NewParam(name+".b1", tensor.New(hidden)),
		W2:        nn.NewParam(name+".w2", tensor.New(hidden, hidden, 1, 1)),
		B2:        nn.NewParam(name+".b2", tensor.New(hidden)),
		W3:        nn.NewParam(name+".w3", tensor.New(out, hidden, 3, 3)),
		FinalReLU: finalReLU,
	}
	nn.GlorotUniform(rb.W1.Value(), 9*in, 9*hidden, 1, rng)
	nn.GlorotUniform(rb.W2.Value(), hidden, hidden, 1, rng)
	nn.GlorotUniform(rb.W3.Value(), 9*hidden, 9*out, 1, rng)
	if outBias {
		rb.B3 = nn.NewParam(name+".b3", tensor.New(out))
	}
	return rb
}

// Params returns the block's parameters.
func (rb *ResidualBlock) Params() []*nn.Param {
	ps := []*nn.Param{rb.W1, rb.B1, rb.W2, rb.B2, rb.W3}
	if rb.B3 != nil {
		ps = append(ps, rb.B3)
	}
	return ps
}

// Forward applies the block to x (N, In, H, W) and returns (N, Out, H, W).
func (rb *ResidualBlock) Forward(x *autograd.Var) *autograd.Var {
	pad1 := autograd.Conv2dOpts{Pad: autograd.PadAll(1)}
	// Fused activations (Conv2dReLU, AddReLU): the same function, without
	// the pre-activation arrays and their extra passes over memory.
	h1 := autograd.Conv2dReLU(x, rb.W1.V, rb.B1.V, pad1)
	h2 := autograd.AddReLU(h1, autograd.Conv2d(h1, rb.W2.V, rb.B2.V, autograd.Conv2dOpts{}))
	var b3 *autograd.Var
	if rb.B3 != nil {
		b3 = rb.B3.V
	}
	if rb.FinalReLU {
		return autograd.Conv2dReLU(h2, rb.W3.V, b3, pad1)
	}
	return autograd.Conv2d(h2, rb.W3.V, b3, pad1)
}

// Coupling is the (conditional) affine coupling layer with a learned 1×1
// mixing, InvertibleNetworks.jl's ConditionalLayerGlow (and, without a
// condition, CouplingLayerGlow). On n channels with k = round(n/2):
//
//	x' = Householder(x);  x1 = x'[:k], x2 = x'[k:]
//	[a; t] = RB([x2; c]);  s = 0.5 + 0.5·σ(a)
//	y = [s⊙x1 + t; x2],    log-det = Σ log s  (per sample)
//
// and the inverse x1 = (y1 − t)/s, x = Householder⁻¹([x1; x2]).
// (InvertibleNetworks.jl divides by s + eps; s ≥ 0.5, so genfwi divides by s
// and the inverse is exact to rounding.)
type Coupling struct {
	Mix *Householder
	RB  *ResidualBlock
	// K is the number of transformed channels, round(n/2).
	K int
}

// NewCoupling returns a coupling on n channels with nc condition channels
// (0 for none).
func NewCoupling(name string, n, nc, hidden int, finalReLU, outBias bool, rng *rand.Rand) *Coupling {
	k := half(n)
	return &Coupling{
		Mix: NewHouseholder(name+".householder", n, rng),
		RB:  NewResidualBlock(name+".rb", n-k+nc, hidden, 2*k, finalReLU, outBias, rng),
		K:   k,
	}
}

// Params returns the Householder vectors and the residual block's
// parameters.
func (cl *Coupling) Params() []*nn.Param { return append(cl.Mix.Params(), cl.RB.Params()...) }

// scaleShift returns s = 0.5 + 0.5σ(a) and t from x2 and the condition.
func (cl *Coupling) scaleShift(x2, cond *autograd.Var) (s, t *autograd.Var) {
	in := x2
	if cond != nil {
		in = autograd.Concat(1, x2, cond)
	}
	at := autograd.Split(cl.RB.Forward(in), 1, cl.K, cl.K)
	s = autograd.AddScalar(autograd.Scale(autograd.Sigmoid(at[0]), 0.5), 0.5)
	return s, at[1]
}

// Forward maps x (N, n, H, W) to y and the per-sample log-determinant (N).
// cond is (N, nc, H, W), or nil for an unconditional coupling.
func (cl *Coupling) Forward(x, cond *autograd.Var) (y, logdet *autograd.Var) {
	n := x.Shape()[1]
	parts := autograd.Split(cl.Mix.Forward(x), 1, cl.K, n-cl.K)
	s, t := cl.scaleShift(parts[1], cond)
	y1 := autograd.Add(autograd.Mul(s, parts[0]), t)
	return autograd.Concat(1, y1, parts[1]), autograd.Sum(autograd.Log(s), false, 1, 2, 3)
}

// Inverse maps y back to x.
func (cl *Coupling) Inverse(y, cond *autograd.Var) *autograd.Var {
	n := y.Shape()[1]
	parts := autograd.Split(y, 1, cl.K, n-cl.K)
	s, t := cl.scaleShift(parts[1], cond)
	x1 := autograd.Div(autograd.Sub(parts[0], t), s)
	return cl.Mix.Inverse(autograd.Concat(1, x1, parts[1]))
}
