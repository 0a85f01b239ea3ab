package vqae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// This file holds the LDM building blocks (ldm/modules/diffusionmodules/
// model.py): Normalize, ResnetBlock, AttnBlock, Downsample, Upsample.
// Shapes: N batch, C channels, H, W spatial (H = time for seismic data).

// gnEps is LDM's Normalize epsilon (GroupNorm(32, C, eps=1e-6)).
const gnEps = 1e-6

func conv(name string, rng *rand.Rand, cin, cout, k int, o autograd.Conv2dOpts) *nn.Conv2d {
	return nn.NewConv2d(name, rng, cin, cout, k, k, o, true)
}

// outLayer is a decoder's output layer: *nn.Conv2d or *nn.ConvTranspose2d.
type outLayer interface {
	Forward(x *autograd.Var) *autograd.Var
	Params() []*nn.Param
}

func conv3(name string, rng *rand.Rand, cin, cout int) *nn.Conv2d {
	return conv(name, rng, cin, cout, 3, autograd.Conv2dOpts{Pad: autograd.PadAll(1)})
}

func conv1(name string, rng *rand.Rand, cin, cout int) *nn.Conv2d {
	return conv(name, rng, cin, cout, 1, autograd.Conv2dOpts{})
}

// ctx carries what a forward pass needs besides the input: dropout mode and
// randomness.
type fwdCtx struct {
	training bool
	rng      *rand.Rand
}

// resnetBlock is LDM's ResnetBlock without time embedding:
// h = conv3(swish(GN(x))); h = conv3(dropout(swish(GN(h)))); return nin(x) + h,
// nin a 1×1 conv when the channel count changes.
type resnetBlock struct {
	norm1, norm2 *nn.GroupNorm
	conv1, conv2 *nn.Conv2d
	nin          *nn.Conv2d // nil when in == out
	dropout      float64
}

func newResnetBlock(name string, rng *rand.Rand, groups, cin, cout int, dropout float64) *resnetBlock {
	b := &resnetBlock{
		norm1: nn.NewGroupNorm(name+".norm1", groups, cin, gnEps), conv1: conv3(name+".conv1", rng, cin, cout),
		norm2: nn.NewGroupNorm(name+".norm2", groups, cout, gnEps), conv2: conv3(name+".conv2", rng, cout, cout),
		dropout: dropout,
	}
	if cin != cout {
		b.nin = conv1(name+".nin_shortcut", rng, cin, cout)
	}
	return b
}

func (b *resnetBlock) params() []*nn.Param {
	return nn.Collect(b.norm1, b.conv1, b.norm2, b.conv2, moduleOrNil(b.nin))
}

func (b *resnetBlock) forward(fc fwdCtx, x *autograd.Var) *autograd.Var {
	h := b.conv1.Forward(b.norm1.ForwardSiLU(x))
	h = b.norm2.ForwardSiLU(h)
	h = autograd.Dropout(h, b.dropout, fc.training, fc.rng)
	h = b.conv2.Forward(h)
	if b.nin != nil {
		x = b.nin.Forward(x)
	}
	return autograd.Add(x, h)
}

// moduleOrNil turns a nil *nn.Conv2d into a nil nn.Module so Collect skips it.
func moduleOrNil(c *nn.Conv2d) nn.Module {
	if c == nil {
		return nil
	}
	return c
}

// attnBlock is LDM's single-head AttnBlock: h = GN(x); q, k, v = 1×1 convs;
// w_ij = softmax_j(q_i·k_j/√C) over the H·W positions; out_i = Σ_j w_ij v_j;
// return x + proj(out).
type attnBlock struct {
	norm          *nn.GroupNorm
	q, k, v, proj *nn.Conv2d
}

func newAttnBlock(name string, rng *rand.Rand, groups, c int) *attnBlock {
	return &attnBlock{norm: nn.NewGroupNorm(name+".norm", groups, c, gnEps),
		q: conv1(name+".q", rng, c, c), k: conv1(name+".k", rng, c, c), v: conv1(name+".v", rng, c, c),
		proj: conv1(name+".proj_out", rng, c, c)}
}

func (a *attnBlock) params() []*nn.Param { return nn.Collect(a.norm, a.q, a.k, a.v, a.proj) }

func (a *attnBlock) forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	n, c, hw := s[0], s[1], s[2]*s[3]
	h := a.norm.Forward(x)
	q := autograd.Reshape(a.q.Forward(h), n, c, hw) // (N, C, L)
	k := autograd.Reshape(a.k.Forward(h), n, c, hw)
	v := autograd.Reshape(a.v.Forward(h), n, c, hw)
	w := autograd.MatMul(q, k, true, false) // (N, L, L): w[i,j] = q_i·k_j
	w = autograd.Softmax(autograd.Scale(w, float32(1/math.Sqrt(float64(c)))))
	o := autograd.MatMul(v, w, false, true) // (N, C, L): o[c,i] = Σ_j v[c,j] w[i,j]
	return autograd.Add(x, a.proj.Forward(autograd.Reshape(o, s...)))
}

// downsample is LDM's Downsample(with_conv=True) generalised to anisotropic
// factors: zero pad (bottom 1 along a halved axis; 1 on both sides of a kept
// axis), then a 3×3 conv with stride f, no further padding. For f = (2, 2)
// this is exactly LDM's pad (0,1,0,1) + stride-2 conv.
type downsample struct {
	conv *nn.Conv2d
}

func newDownsample(name string, rng *rand.Rand, c int, f [2]int) *downsample {
	var pad [4]int // top, bottom, left, right
	if f[0] == 2 {
		pad[1] = 1
	} else {
		pad[0], pad[1] = 1, 1
	}
	if f[1] == 2 {
		pad[3] = 1
	} else {
		pad[2], pad[3] = 1, 1
	}
	return &downsample{conv: conv(name+".conv", rng, c, c, 3, autograd.Conv2dOpts{Stride: f, Pad: pad})}
}

func (d *downsample) forward(x *autograd.Var) *autograd.Var { return d.conv.Forward(x) }

// upsample is LDM's Upsample(with_conv=True): nearest-neighbour ×f, then a
// 3×3 conv with padding 1.
type upsample struct {
	conv *nn.Conv2d
	f    [2]int
}

func newUpsample(name string, rng *rand.Rand, c int, f [2]int) *upsample {
	return &upsample{conv: conv3(name+".conv", rng, c, c), f: f}
}

func (u *upsample) forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	return u.conv.Forward(autograd.ResizeNearest(x, s[2]*u.f[0], s[3]*u.f[1]))
}

// level is one encoder or decoder level: res blocks, optional attention
// after each, optional resampling at the end.
type level struct {
	blocks []*resnetBlock
	attn   []*attnBlock // nil entries: no attention after that block
	down   *downsample
	up     *upsample
}

func (l *level) params() []*nn.Param {
	var ps []*nn.Param
	for i, b := range l.blocks {
		ps = append(ps, b.params()...)
		if l.attn[i] != nil {
			ps = append(ps, l.attn[i].params()...)
		}
	}
	if l.down != nil {
		ps = append(ps, l.down.conv.Params()...)
	}
	if l.up != nil {
		ps = append(ps, l.up.conv.Params()...)
	}
	return ps
}

func (l *level) forward(fc fwdCtx, h *autograd.Var) *autograd.Var {
	for i, b := range l.blocks {
		h = b.forward(fc, h)
		if l.attn[i] != nil {
			h = l.attn[i].forward(h)
		}
	}
	if l.down != nil {
		h = l.down.forward(h)
	}
	if l.up != nil {
		h = l.up.forward(h)
	}
	return h
}

// mid is the middle block: ResnetBlock, AttnBlock, ResnetBlock.
type mid struct {
	block1, block2 *resnetBlock
	attn           *attnBlock
}

func newMid(name string, rng *rand.Rand, groups, c int, dropout float64) *mid {
	return &mid{block1: newResnetBlock(name+".block_1", rng, groups, c, c, dropout),
		attn:   newAttnBlock(name+".attn_1", rng, groups, c),
		block2: newResnetBlock(name+".block_2", rng, groups, c, c, dropout)}
}

func (m *mid) params() []*nn.Param {
	return append(append(m.block1.params(), m.attn.params()...), m.block2.params()...)
}

func (m *mid) forward(fc fwdCtx, h *autograd.Var) *autograd.Var {
	return m.block2.forward(fc, m.attn.forward(m.block1.forward(fc, h)))
}

// Encoder is LDM's Encoder with per-level (possibly anisotropic)
// downsampling: conv_in, levels, mid, GN → swish → conv_out (→ ZChannels).
// Input (N, InChannels, H, W) = Resolution; output (N, ZChannels, h, w) =
// LatentSize.
type Encoder struct {
	cfg     BranchConfig
	convIn  *nn.Conv2d
	levels  []*level
	mid     *mid
	normOut *nn.GroupNorm
	convOut *nn.Conv2d
	// InMean (InChannels, H, W) and InScale (1) whiten the input,
	// x' = (x − InMean)·InScale, when BranchConfig.Standardize is set
	// (nil otherwise). They enter the graph as constants: stored like
	// parameters so that checkpoints carry them, never trained (zero
	// gradient, so Adam leaves them unchanged).
	InMean, InScale *nn.Param
}

func attnAt(attn []int, h, w int) bool {
	r := max(h, w)
	for _, a := range attn {
		if a == r {
			return true
		}
	}
	return false
}

// newLevel builds the n residual blocks of one encoder or decoder level at
// resolution h×w, named prefix.block.j, each followed by attention
// (prefix.attn.j) where c.AttnResolutions asks for it; the first block maps
// blockIn to blockOut channels. Parameters are created block by block, the
// order of LDM's modules (and of the checkpoints).
func newLevel(prefix string, rng *rand.Rand, c BranchConfig, n, blockIn, blockOut, h, w int) *level {
	g := c.groups()
	l := &level{}
	for j := range n {
		l.blocks = append(l.blocks, newResnetBlock(fmt.Sprintf("%s.block.%d", prefix, j), rng, g, blockIn, blockOut, c.Dropout))
		var a *attnBlock
		if attnAt(c.AttnResolutions, h, w) {
			a = newAttnBlock(fmt.Sprintf("%s.attn.%d", prefix, j), rng, g, blockOut)
		}
		l.attn = append(l.attn, a)
		blockIn = blockOut
	}
	return l
}

// NewEncoder builds an encoder named name (parameter prefix) from a
// validated branch config with PyTorch-default initialisation from rng.
func NewEncoder(name string, rng *rand.Rand, c BranchConfig) *Encoder {
	g := c.groups()
	a := c.adapt()
	e := &Encoder{cfg: c, convIn: nn.NewConv2d(name+".conv_in", rng, c.InChannels, c.Ch, 3+a[0], 3+a[1], autograd.Conv2dOpts{Pad: autograd.PadAll(1)}, true)}
	h, w := c.Resolution[0], c.Resolution[1]
	blockIn := c.Ch
	for i, m := range c.ChMult {
		blockOut := c.Ch * m
		l := newLevel(fmt.Sprintf("%s.down.%d", name, i), rng, c, c.NumResBlocks, blockIn, blockOut, h, w)
		blockIn = blockOut
		if i < len(c.Down) && c.Down[i] != [2]int{1, 1} {
			l.down = newDownsample(fmt.Sprintf("%s.down.%d.downsample", name, i), rng, blockIn, c.Down[i])
			h, w = h/c.Down[i][0], w/c.Down[i][1]
		}
		e.levels = append(e.levels, l)
	}
	e.mid = newMid(name+".mid", rng, g, blockIn, c.Dropout)
	e.normOut = nn.NewGroupNorm(name+".norm_out", g, blockIn, gnEps)
	e.convOut = conv3(name+".conv_out", rng, blockIn, c.ZChannels)
	if c.Standardize {
		in := c.In()
		e.InMean = nn.NewParam(name+".in_mean", tensor.New(c.InChannels, in[0], in[1]))
		sc := tensor.New(1)
		sc.Data[0] = 1
		e.InScale = nn.NewParam(name+".in_scale", sc)
	}
	return e
}

// Params returns the encoder's parameters in a fixed order.
func (e *Encoder) Params() []*nn.Param {
	ps := e.convIn.Params()
	for _, l := range e.levels {
		ps = append(ps, l.params()...)
	}
	ps = append(ps, e.mid.params()...)
	ps = append(ps, nn.Collect(e.normOut, e.convOut)...)
	if e.InMean != nil {
		ps = append(ps, e.InMean, e.InScale)
	}
	return ps
}

func (e *Encoder) forward(fc fwdCtx, x *autograd.Var) *autograd.Var {
	s, in := x.Shape(), e.cfg.In()
	if len(s) != 4 || s[1] != e.cfg.InChannels || s[2] != in[0] || s[3] != in[1] {
		panic(fmt.Sprintf("vqae: encoder input %v, want (N, %d, %d, %d)", s, e.cfg.InChannels, in[0], in[1]))
	}
	if e.InMean != nil { // constants: no gradient reaches μ or 1/σ
		x = autograd.Sub(x, autograd.NewLeaf(e.InMean.Value(), false))
		x = autograd.Scale(x, e.InScale.Value().Data[0])
	}
	h := e.convIn.Forward(x)
	for _, l := range e.levels {
		h = l.forward(fc, h)
	}
	h = e.mid.forward(fc, h)
	return e.convOut.Forward(e.normOut.ForwardSiLU(h))
}

// Decoder is LDM's Decoder mirroring an Encoder: conv_in (ZChannels →
// Ch·ChMult[last]), mid, levels in reverse with NumResBlocks+1 ResnetBlocks
// and an Upsample by the matching Down factor, GN → swish → conv_out.
// Input (N, ZChannels, h, w); output (N, InChannels, H, W), no tanh.
type Decoder struct {
	cfg     BranchConfig
	convIn  *nn.Conv2d
	mid     *mid
	levels  []*level // in execution order (coarsest first)
	normOut *nn.GroupNorm
	// convOut is a 3×3 convolution, or with BranchConfig.InputSize the
	// transposed convolution that maps Resolution back to InputSize.
	convOut outLayer
	// PosEmbed (ZChannels, h, w) is added to the decoder input when
	// BranchConfig.PosEmbed is set; OutBias (InChannels, H, W) is added to
	// the output when BranchConfig.OutputBias is set. Both start at 0.
	PosEmbed *nn.Param
	OutBias  *nn.Param
}

// NewDecoder builds the decoder that mirrors NewEncoder(c).
func NewDecoder(name string, rng *rand.Rand, c BranchConfig) *Decoder {
	g := c.groups()
	last := len(c.ChMult) - 1
	blockIn := c.Ch * c.ChMult[last]
	lat := c.LatentSize()
	h, w := lat[0], lat[1]
	d := &Decoder{cfg: c, convIn: conv3(name+".conv_in", rng, c.ZChannels, blockIn)}
	d.mid = newMid(name+".mid", rng, g, blockIn, c.Dropout)
	for i := last; i >= 0; i-- {
		blockOut := c.Ch * c.ChMult[i]
		l := newLevel(fmt.Sprintf("%s.up.%d", name, i), rng, c, c.NumResBlocks+1, blockIn, blockOut, h, w)
		blockIn = blockOut
		if i > 0 && c.Down[i-1] != [2]int{1, 1} {
			l.up = newUpsample(fmt.Sprintf("%s.up.%d.upsample", name, i), rng, blockIn, c.Down[i-1])
			h, w = h*c.Down[i-1][0], w*c.Down[i-1][1]
		}
		d.levels = append(d.levels, l)
	}
	d.normOut = nn.NewGroupNorm(name+".norm_out", g, blockIn, gnEps)
	var outW, outB *nn.Param
	if a := c.adapt(); a == [2]int{} {
		cv := conv3(name+".conv_out", rng, blockIn, c.InChannels)
		d.convOut, outW, outB = cv, cv.W, cv.B
	} else {
		ct := nn.NewConvTranspose2d(name+".conv_out", rng, blockIn, c.InChannels, 3+a[0], 3+a[1], autograd.Conv2dOpts{Pad: autograd.PadAll(1)}, true)
		d.convOut, outW, outB = ct, ct.W, ct.B
	}
	if c.PosEmbed {
		d.PosEmbed = nn.NewParam(name+".pos_embed", tensor.New(c.ZChannels, lat[0], lat[1]))
	}
	if c.OutputBias || c.Standardize {
		in := c.In()
		d.OutBias = nn.NewParam(name+".out_bias", tensor.New(c.InChannels, in[0], in[1]))
	}
	if c.Standardize { // the untrained decoder outputs exactly its bias (the mean image)
		outW.Value().Zero()
		outB.Value().Zero()
	}
	return d
}

// Params returns the decoder's parameters in a fixed order.
func (d *Decoder) Params() []*nn.Param {
	ps := d.convIn.Params()
	ps = append(ps, d.mid.params()...)
	for _, l := range d.levels {
		ps = append(ps, l.params()...)
	}
	ps = append(ps, nn.Collect(d.normOut, d.convOut)...)
	for _, p := range []*nn.Param{d.PosEmbed, d.OutBias} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

func (d *Decoder) forward(fc fwdCtx, z *autograd.Var) *autograd.Var {
	if d.PosEmbed != nil {
		z = autograd.Add(z, d.PosEmbed.V) // (N, Z, h, w) + (Z, h, w)
	}
	h := d.mid.forward(fc, d.convIn.Forward(z))
	for _, l := range d.levels {
		h = l.forward(fc, h)
	}
	out := d.convOut.Forward(d.normOut.ForwardSiLU(h))
	if d.OutBias != nil {
		out = autograd.Add(out, d.OutBias.V) // (N, C, H, W) + (C, H, W)
	}
	return out
}

// SetOutputBias copies mean (InChannels·H·W values, e.g. the per-pixel mean
// of the training targets) into the decoder's output bias, so training
// starts from the mean image and the network only learns deviations. It
// returns an error when the decoder has no output bias or the length is
// wrong.
func (d *Decoder) SetOutputBias(mean []float32) error {
	if d.OutBias == nil {
		return fmt.Errorf("vqae: decoder has no output bias (set output_bias in the branch config)")
	}
	b := d.OutBias.Value()
	if len(mean) != len(b.Data) {
		return fmt.Errorf("vqae: output bias has %d values, got %d", len(b.Data), len(mean))
	}
	copy(b.Data, mean)
	return nil
}
