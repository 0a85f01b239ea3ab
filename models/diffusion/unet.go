package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// This file is LDM's UNetModel (ldm/modules/diffusionmodules/openaimodel.py)
// for an unconditional latent: timestep embedding, ResBlocks with
// scale-shift norm and resblock up/down sampling, legacy multi-head
// attention, skip concatenation. Letters: N batch, C channels, H, W the
// latent size, L = H·W, E = 4·ModelChannels the embedding width.

// UNetConfig is the UNet's hyper-parameters (names follow LDM's YAML).
type UNetConfig struct {
	// ImageSize is the latent size H = W (16).
	ImageSize int `json:"image_size"`
	// InChannels and OutChannels are the latent channels D (32).
	InChannels  int `json:"in_channels"`
	OutChannels int `json:"out_channels"`
	// ModelChannels is the base width C_m (paper 128).
	ModelChannels int `json:"model_channels"`
	// ChannelMult holds one multiplier per level (paper [1,2,2,4,4]).
	ChannelMult []int `json:"channel_mult"`
	// NumResBlocks per level (paper 2).
	NumResBlocks int `json:"num_res_blocks"`
	// AttentionResolutions are DOWNSAMPLE FACTORS ds (1, 2, 4, ...), not
	// pixel sizes: levels whose ds is listed get attention after every
	// ResBlock (paper [1,2,4,4]).
	AttentionResolutions []int `json:"attention_resolutions"`
	// NumHeads is the number of attention heads (paper 8); every attended
	// width must be divisible by it.
	NumHeads int `json:"num_heads"`
	// Dropout inside ResBlocks (0 = none).
	Dropout float64 `json:"dropout"`
	// NormGroups is the GroupNorm group count (0 means 32, GroupNorm32).
	NormGroups int `json:"norm_groups"`
	// NoScaleShiftNorm turns use_scale_shift_norm off (the paper has it on):
	// then the embedding is added to h instead of modulating GN(h).
	NoScaleShiftNorm bool `json:"no_scale_shift_norm,omitempty"`
}

func (c *UNetConfig) groups() int {
	if c.NormGroups == 0 {
		return 32
	}
	return c.NormGroups
}

// Validate checks the UNet hyper-parameters.
func (c *UNetConfig) Validate() error {
	switch {
	case c.ImageSize < 1:
		return fmt.Errorf("unet: image_size must be ≥ 1, got %d", c.ImageSize)
	case c.InChannels < 1 || c.OutChannels < 1:
		return fmt.Errorf("unet: in_channels and out_channels must be ≥ 1, got %d, %d", c.InChannels, c.OutChannels)
	case c.ModelChannels < 2 || c.ModelChannels%2 != 0:
		return fmt.Errorf("unet: model_channels must be even and ≥ 2, got %d", c.ModelChannels)
	case len(c.ChannelMult) == 0:
		return fmt.Errorf("unet: channel_mult must have at least one level")
	case c.NumResBlocks < 1:
		return fmt.Errorf("unet: num_res_blocks must be ≥ 1, got %d", c.NumResBlocks)
	case c.NumHeads < 1:
		return fmt.Errorf("unet: num_heads must be ≥ 1, got %d", c.NumHeads)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("unet: dropout must be in [0, 1), got %g", c.Dropout)
	}
	if c.ImageSize%(1<<(len(c.ChannelMult)-1)) != 0 {
		return fmt.Errorf("unet: image_size %d not divisible by 2^%d (one halving per level)", c.ImageSize, len(c.ChannelMult)-1)
	}
	g := c.groups()
	if c.ModelChannels%g != 0 {
		return fmt.Errorf("unet: model_channels %d not divisible by norm_groups %d", c.ModelChannels, g)
	}
	ds := 1
	for i, m := range c.ChannelMult {
		ch := m * c.ModelChannels
		if m < 1 || ch%g != 0 {
			return fmt.Errorf("unet: channel_mult[%d] = %d gives %d channels, not a positive multiple of norm_groups %d", i, m, ch, g)
		}
		if slices.Contains(c.AttentionResolutions, ds) && ch%c.NumHeads != 0 {
			return fmt.Errorf("unet: %d channels at level %d not divisible by num_heads %d", ch, i, c.NumHeads)
		}
		ds *= 2
	}
	return nil
}

// unetEps is GroupNorm32's epsilon (PyTorch default 1e-5).
const unetEps = 1e-5

type fwdCtx struct {
	training bool
	rng      *rand.Rand
}

// TimestepEmbedding writes the sinusoidal embedding of timesteps t into a
// new (len(t), dim) tensor: with half = dim/2 and f_i = exp(−ln(10000)·i/half),
// row n = [cos(t_n f_0..f_{half−1}), sin(t_n f_0..)] (cos first, LDM's
// timestep_embedding). dim must be even. It allocates.
func TimestepEmbedding(t []int, dim int) *tensor.Tensor {
	if dim%2 != 0 {
		panic(fmt.Sprintf("diffusion: TimestepEmbedding: odd dim %d", dim))
	}
	half := dim / 2
	out := tensor.New(len(t), dim)
	for n, tn := range t {
		row := out.Data[n*dim : (n+1)*dim]
		for i := 0; i < half; i++ {
			f := math.Exp(-math.Log(10000) * float64(i) / float64(half))
			a := float64(tn) * f
			row[i] = float32(math.Cos(a))
			row[half+i] = float32(math.Sin(a))
		}
	}
	return out
}

func zeroConv(c *nn.Conv2d) *nn.Conv2d {
	c.W.Value().Zero()
	if c.B != nil {
		c.B.Value().Zero()
	}
	return c
}

func conv3(name string, rng *rand.Rand, cin, cout int) *nn.Conv2d {
	return nn.NewConv2d(name, rng, cin, cout, 3, 3, autograd.Conv2dOpts{Pad: autograd.PadAll(1)}, true)
}

func conv1(name string, rng *rand.Rand, cin, cout int) *nn.Conv2d {
	return nn.NewConv2d(name, rng, cin, cout, 1, 1, autograd.Conv2dOpts{}, true)
}

// resBlock is openaimodel's ResBlock with use_scale_shift_norm:
//
//	h = in_conv(resample(SiLU(GN(x))));  x = resample(x)
//	scale, shift = Linear(SiLU(emb)) split in two (N, C_out) each
//	h = out_conv(dropout(SiLU(GN(h)·(1+scale) + shift)))   (out_conv zero-initialised)
//	return skip(x) + h       (skip = identity, or 1×1 conv if channels change)
//
// resample is 2×2 average pooling (down), nearest ×2 (up) or nothing.
type resBlock struct {
	inNorm, outNorm *nn.GroupNorm
	inConv, outConv *nn.Conv2d
	emb             *nn.Linear
	skip            *nn.Conv2d // nil: identity
	up, down        bool
	scaleShift      bool
	dropout         float64
	cout            int
}

func newResBlock(name string, rng *rand.Rand, c *UNetConfig, cin, cout, embDim int, up, down bool) *resBlock {
	g := c.groups()
	b := &resBlock{
		inNorm: nn.NewGroupNorm(name+".in_layers.0", g, cin, unetEps), inConv: conv3(name+".in_layers.2", rng, cin, cout),
		outNorm: nn.NewGroupNorm(name+".out_layers.0", g, cout, unetEps),
		up:      up, down: down, scaleShift: !c.NoScaleShiftNorm, dropout: c.Dropout, cout: cout,
	}
	ne := cout
	if b.scaleShift {
		ne = 2 * cout
	}
	b.emb = nn.NewLinear(name+".emb_layers.1", rng, embDim, ne, true)
	b.outConv = zeroConv(conv3(name+".out_layers.3", rng, cout, cout))
	if cin != cout {
		b.skip = conv1(name+".skip_connection", rng, cin, cout)
	}
	return b
}

func (b *resBlock) params() []*nn.Param {
	ps := nn.Collect(b.inNorm, b.inConv, b.emb, b.outNorm, b.outConv)
	if b.skip != nil {
		ps = append(ps, b.skip.Params()...)
	}
	return ps
}

func resample(x *autograd.Var, up, down bool) *autograd.Var {
	switch {
	case down:
		return autograd.AvgPool2d(x, [2]int{2, 2}, [2]int{2, 2})
	case up:
		return nn.Upsample2x(x)
	}
	return x
}

// forward maps x (N, C_in, H, W) and the SiLU-ed embedding semb (N, E) to
// (N, C_out, H', W').
func (b *resBlock) forward(fc fwdCtx, x, semb *autograd.Var) *autograd.Var {
	h := b.inNorm.ForwardSiLU(x)
	h = b.inConv.Forward(resample(h, b.up, b.down))
	x = resample(x, b.up, b.down)
	n := h.Shape()[0]
	e := autograd.Reshape(b.emb.Forward(semb), n, -1, 1, 1) // (N, 2C or C, 1, 1)
	if b.scaleShift {
		ss := autograd.Split(e, 1, b.cout, b.cout)
		h = autograd.Add(autograd.Mul(b.outNorm.Forward(h), autograd.AddScalar(ss[0], 1)), ss[1])
	} else {
		h = b.outNorm.Forward(autograd.Add(h, e))
	}
	h = autograd.Dropout(autograd.SiLU(h), b.dropout, fc.training, fc.rng)
	h = b.outConv.Forward(h)
	if b.skip != nil {
		x = b.skip.Forward(x)
	}
	return autograd.Add(x, h)
}

// attention is openaimodel's AttentionBlock with QKVAttentionLegacy:
// qkv = 1×1 conv(GN(x)) → 3C, reshaped to (N·heads, 3·C/heads, L) (heads
// split first), w = softmax over s of (q·c^{−1/4})ᵀ(k·c^{−1/4}) with c = C/heads,
// a = v·wᵀ, out = x + proj_out(a) with proj_out zero-initialised.
type attention struct {
	norm  *nn.GroupNorm
	qkv   *nn.Conv2d
	proj  *nn.Conv2d
	heads int
}

func newAttention(name string, rng *rand.Rand, c *UNetConfig, ch int) *attention {
	return &attention{norm: nn.NewGroupNorm(name+".norm", c.groups(), ch, unetEps),
		qkv:  conv1(name+".qkv", rng, ch, 3*ch),
		proj: zeroConv(conv1(name+".proj_out", rng, ch, ch)), heads: c.NumHeads}
}

func (a *attention) params() []*nn.Param { return nn.Collect(a.norm, a.qkv, a.proj) }

func (a *attention) forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	n, c, l := s[0], s[1], s[2]*s[3]
	ch := c / a.heads
	qkv := autograd.Reshape(a.qkv.Forward(a.norm.Forward(x)), n*a.heads, 3*ch, l)
	p := autograd.Split(qkv, 1, ch, ch, ch)       // q, k, v (N·heads, ch, L)
	w := autograd.MatMul(p[0], p[1], true, false) // (N·heads, L, L)
	w = autograd.Softmax(autograd.Scale(w, float32(1/math.Sqrt(float64(ch)))))
	o := autograd.MatMul(p[2], w, false, true) // (N·heads, ch, L)
	return autograd.Add(x, a.proj.Forward(autograd.Reshape(o, s...)))
}

// block is one entry of input_blocks / output_blocks: a conv, a ResBlock
// with optional attention, or a resampling ResBlock.
type block struct {
	conv *nn.Conv2d
	res  *resBlock
	attn *attention
	upRB *resBlock // output blocks: trailing up-sampling ResBlock
}

func (b *block) params() []*nn.Param {
	var ps []*nn.Param
	if b.conv != nil {
		ps = append(ps, b.conv.Params()...)
	}
	if b.res != nil {
		ps = append(ps, b.res.params()...)
	}
	if b.attn != nil {
		ps = append(ps, b.attn.params()...)
	}
	if b.upRB != nil {
		ps = append(ps, b.upRB.params()...)
	}
	return ps
}

func (b *block) forward(fc fwdCtx, h, semb *autograd.Var) *autograd.Var {
	if b.conv != nil {
		h = b.conv.Forward(h)
	}
	if b.res != nil {
		h = b.res.forward(fc, h, semb)
	}
	if b.attn != nil {
		h = b.attn.forward(h)
	}
	if b.upRB != nil {
		h = b.upRB.forward(fc, h, semb)
	}
	return h
}

// UNet is the ε-predictor ε_θ(z_t, t). Build it with NewUNet.
type UNet struct {
	Cfg UNetConfig

	time1, time2 *nn.Linear
	input        []*block
	middle       []*block
	output       []*block
	outNorm      *nn.GroupNorm
	outConv      *nn.Conv2d

	// Training enables dropout with masks from RNG.
	Training bool
	RNG      *rand.Rand
}

// resSpec describes one ResBlock: its parameter prefix, channels and
// resampling.
type resSpec struct {
	name      string
	cin, cout int
	up, down  bool
}

// blockSpec describes one block after the stem convolution: a ResBlock,
// optionally attention over its output channels (named attn) and, in the
// output blocks, a trailing up-sampling ResBlock.
type blockSpec struct {
	res  resSpec
	attn string
	upRB *resSpec
}

// layout returns the blocks of input_blocks (after the stem conv
// input_blocks.0.0), middle_block and output_blocks in the order and with
// the names of LDM's openaimodel.UNetModel, and the channel count of the
// last output block. NewUNet builds this layout and NumParams counts it, so
// the two cannot disagree.
func (c *UNetConfig) layout() (input, middle, output []blockSpec, ch int) {
	mc := c.ModelChannels
	chans := []int{mc}
	ch, ds := mc, 1
	for lvl, m := range c.ChannelMult {
		for range c.NumResBlocks {
			name := fmt.Sprintf("input_blocks.%d", len(input)+1)
			b := blockSpec{res: resSpec{name: name + ".0", cin: ch, cout: m * mc}}
			ch = m * mc
			if slices.Contains(c.AttentionResolutions, ds) {
				b.attn = name + ".1"
			}
			input = append(input, b)
			chans = append(chans, ch)
		}
		if lvl != len(c.ChannelMult)-1 {
			name := fmt.Sprintf("input_blocks.%d.0", len(input)+1)
			input = append(input, blockSpec{res: resSpec{name: name, cin: ch, cout: ch, down: true}})
			chans = append(chans, ch)
			ds *= 2
		}
	}
	middle = []blockSpec{{res: resSpec{name: "middle_block.0", cin: ch, cout: ch}, attn: "middle_block.1"},
		{res: resSpec{name: "middle_block.2", cin: ch, cout: ch}}}
	for lvl := len(c.ChannelMult) - 1; lvl >= 0; lvl-- {
		m := c.ChannelMult[lvl]
		for i := 0; i <= c.NumResBlocks; i++ {
			ich := chans[len(chans)-1]
			chans = chans[:len(chans)-1]
			name := fmt.Sprintf("output_blocks.%d", len(output))
			b := blockSpec{res: resSpec{name: name + ".0", cin: ch + ich, cout: m * mc}}
			ch = m * mc
			k := 1
			if slices.Contains(c.AttentionResolutions, ds) {
				b.attn = fmt.Sprintf("%s.%d", name, k)
				k++
			}
			if lvl > 0 && i == c.NumResBlocks {
				b.upRB = &resSpec{name: fmt.Sprintf("%s.%d", name, k), cin: ch, cout: ch, up: true}
				ds /= 2
			}
			output = append(output, b)
		}
	}
	return input, middle, output, ch
}

// NewUNet builds a validated UNet with PyTorch-default initialisation from
// rng and LDM's zero-initialised output convolutions.
func NewUNet(c UNetConfig, rng *rand.Rand) (*UNet, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	mc := c.ModelChannels
	E := 4 * mc
	u := &UNet{Cfg: c, time1: nn.NewLinear("time_embed.0", rng, mc, E, true), time2: nn.NewLinear("time_embed.2", rng, E, E, true)}
	u.input = append(u.input, &block{conv: conv3("input_blocks.0.0", rng, c.InChannels, mc)})
	input, middle, output, ch := c.layout()
	build := func(s blockSpec) *block {
		b := &block{res: newResBlock(s.res.name, rng, &c, s.res.cin, s.res.cout, E, s.res.up, s.res.down)}
		if s.attn != "" {
			b.attn = newAttention(s.attn, rng, &c, s.res.cout)
		}
		if r := s.upRB; r != nil {
			b.upRB = newResBlock(r.name, rng, &c, r.cin, r.cout, E, r.up, r.down)
		}
		return b
	}
	for _, s := range input {
		u.input = append(u.input, build(s))
	}
	for _, s := range middle {
		u.middle = append(u.middle, build(s))
	}
	for _, s := range output {
		u.output = append(u.output, build(s))
	}
	u.outNorm = nn.NewGroupNorm("out.0", c.groups(), ch, unetEps)
	u.outConv = zeroConv(conv3("out.2", rng, ch, c.OutChannels)) // ch = mult[0]·C_m
	return u, nil
}

// NumParams returns the number of scalar parameters of the UNet built from
// the valid config c, from the shapes alone (no allocation): the paper
// preset's 1.26·10⁸ parameters can be sized without the gigabyte its
// construction takes.
func (c *UNetConfig) NumParams() int {
	mc, E := c.ModelChannels, 4*c.ModelChannels
	conv := func(cin, cout, k int) int { return cout*cin*k*k + cout }
	norm := func(ch int) int { return 2 * ch }
	res := func(r resSpec) int {
		ne := 2 * r.cout // scale and shift
		if c.NoScaleShiftNorm {
			ne = r.cout
		}
		n := norm(r.cin) + conv(r.cin, r.cout, 3) + E*ne + ne + norm(r.cout) + conv(r.cout, r.cout, 3)
		if r.cin != r.cout {
			n += conv(r.cin, r.cout, 1)
		}
		return n
	}
	input, middle, output, ch := c.layout()
	n := mc*E + E + E*E + E + conv(c.InChannels, mc, 3) + norm(ch) + conv(ch, c.OutChannels, 3)
	for _, s := range slices.Concat(input, middle, output) {
		n += res(s.res)
		if s.attn != "" {
			n += norm(s.res.cout) + conv(s.res.cout, 3*s.res.cout, 1) + conv(s.res.cout, s.res.cout, 1)
		}
		if s.upRB != nil {
			n += res(*s.upRB)
		}
	}
	return n
}

// Params returns the UNet's parameters in a fixed order.
func (u *UNet) Params() []*nn.Param {
	ps := nn.Collect(u.time1, u.time2)
	for _, bs := range [][]*block{u.input, u.middle, u.output} {
		for _, b := range bs {
			ps = append(ps, b.params()...)
		}
	}
	return append(ps, nn.Collect(u.outNorm, u.outConv)...)
}

// Forward returns ε_θ(x, t) (N, OutChannels, H, W) for x (N, InChannels,
// H, W) on tp and one integer timestep per sample. It panics on a shape
// mismatch.
func (u *UNet) Forward(tp *autograd.Tape, x *autograd.Var, t []int) *autograd.Var {
	s := x.Shape()
	c := &u.Cfg
	if len(s) != 4 || s[1] != c.InChannels || s[2] != c.ImageSize || s[3] != c.ImageSize || len(t) != s[0] {
		panic(fmt.Sprintf("diffusion: UNet.Forward: x %v with %d timesteps, want (N, %d, %d, %d) and N timesteps",
			s, len(t), c.InChannels, c.ImageSize, c.ImageSize))
	}
	fc := fwdCtx{training: u.Training, rng: u.RNG}
	emb := u.time2.Forward(autograd.SiLU(u.time1.Forward(tp.Const(TimestepEmbedding(t, c.ModelChannels)))))
	semb := autograd.SiLU(emb) // every ResBlock's emb_layers starts with SiLU
	var hs []*autograd.Var
	h := x
	for _, b := range u.input {
		h = b.forward(fc, h, semb)
		hs = append(hs, h)
	}
	for _, b := range u.middle {
		h = b.forward(fc, h, semb)
	}
	for _, b := range u.output {
		h = autograd.Concat(1, h, hs[len(hs)-1])
		hs = hs[:len(hs)-1]
		h = b.forward(fc, h, semb)
	}
	return u.outConv.Forward(u.outNorm.ForwardSiLU(h))
}
