package invnet

import (
	"fmt"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// bnEps is PyTorch's BatchNorm2d default epsilon (momentum 0.1 is nn's
// default too).
const bnEps = 1e-5

// leak is the negative slope of OpenFWI's LeakyReLU(0.2).
const leak = 0.2

// block is OpenFWI's ConvBlock (Conv2d → BatchNorm2d → LeakyReLU(0.2)) or
// DeconvBlock (ConvTranspose2d → BatchNorm2d → LeakyReLU(0.2)); the last
// block of the network (ConvBlock_Tanh) ends in tanh instead.
type block struct {
	conv   *nn.Conv2d          // nil for a transposed block
	deconv *nn.ConvTranspose2d // nil for a convolution block
	bn     *nn.BatchNorm2d
	tanh   bool
}

func convBlock(name string, rng *rand.Rand, cin, cout, kh, kw int, o autograd.Conv2dOpts) *block {
	return &block{conv: nn.NewConv2d(name+".conv", rng, cin, cout, kh, kw, o, true), bn: nn.NewBatchNorm2d(name+".bn", cout, bnEps)}
}

func deconvBlock(name string, rng *rand.Rand, cin, cout, k int, o autograd.Conv2dOpts) *block {
	return &block{deconv: nn.NewConvTranspose2d(name+".deconv", rng, cin, cout, k, k, o, true), bn: nn.NewBatchNorm2d(name+".bn", cout, bnEps)}
}

func (b *block) params() []*nn.Param {
	if b.conv != nil {
		return nn.Collect(b.conv, b.bn)
	}
	return nn.Collect(b.deconv, b.bn)
}

func (b *block) forward(x *autograd.Var) *autograd.Var {
	if b.conv != nil {
		x = b.conv.Forward(x)
	} else {
		x = b.deconv.Forward(x)
	}
	x = b.bn.Forward(x)
	if b.tanh {
		return autograd.Tanh(x)
	}
	return autograd.LeakyReLU(x, leak)
}

// Net is InversionNet (Wu & Lin 2019) as OpenFWI's network.py builds it:
// an encoder of ConvBlocks that first compresses time only ((k,1) kernels,
// stride (s,1)), then both axes (3×3, stride 2), down to 512×1×1 through a
// convblock8 whose kernel covers what is left; a decoder of DeconvBlocks
// (ConvTranspose 4×4, stride 2) each followed by a 3×3 ConvBlock, up to
// 32×80×80; a crop of 5 cells on every side (F.pad with −5) to 70×70; and a
// 3×3 ConvBlock to one channel with tanh, so the output lies in (−1, 1),
// OpenFWI's normalised velocity scale.
//
// Parameters are named after network.py's attributes
// ("convblock2_1.conv.weight", "deconv3_1.bn.bias", ...); BatchNorm running
// statistics are buffers ("….bn.running_mean", "….bn.running_var").
type Net struct {
	// Cfg is the architecture.
	Cfg NetConfig
	// Arena holds every parameter in one flat slice.
	Arena *nn.Arena
	// enc are convblock1 … convblock8, dec deconv1_1 … deconv5_2 and
	// deconv6 (the tanh block), in forward order.
	enc, dec []*block
	names    []string
}

// New builds an InversionNet with PyTorch's default initialisation drawn
// from rng, in training mode (batch statistics in BatchNorm).
func New(cfg NetConfig, rng *rand.Rand) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d1, d2, d3, d4, d5 := cfg.Dims[0], cfg.Dims[1], cfg.Dims[2], cfg.Dims[3], cfg.Dims[4]
	s := cfg.TimeStrides
	tk := func(stride, pad int) autograd.Conv2dOpts { // (k,1) kernels along time
		return autograd.Conv2dOpts{Stride: [2]int{stride, 1}, Pad: [4]int{pad, pad, 0, 0}}
	}
	sq := func(stride int) autograd.Conv2dOpts { // 3×3, padding 1
		return autograd.Conv2dOpts{Stride: [2]int{stride, stride}, Pad: autograd.PadAll(1)}
	}
	kh, kw := cfg.encoderShape()
	n := &Net{Cfg: cfg}
	add := func(list *[]*block, name string, b *block) {
		*list = append(*list, b)
		n.names = append(n.names, name)
	}
	add(&n.enc, "convblock1", convBlock("convblock1", rng, Shots, d1, 7, 1, tk(s[0], 3)))
	add(&n.enc, "convblock2_1", convBlock("convblock2_1", rng, d1, d2, 3, 1, tk(s[1], 1)))
	add(&n.enc, "convblock2_2", convBlock("convblock2_2", rng, d2, d2, 3, 1, tk(1, 1)))
	add(&n.enc, "convblock3_1", convBlock("convblock3_1", rng, d2, d2, 3, 1, tk(s[2], 1)))
	add(&n.enc, "convblock3_2", convBlock("convblock3_2", rng, d2, d2, 3, 1, tk(1, 1)))
	add(&n.enc, "convblock4_1", convBlock("convblock4_1", rng, d2, d3, 3, 1, tk(s[3], 1)))
	add(&n.enc, "convblock4_2", convBlock("convblock4_2", rng, d3, d3, 3, 1, tk(1, 1)))
	add(&n.enc, "convblock5_1", convBlock("convblock5_1", rng, d3, d3, 3, 3, sq(2)))
	add(&n.enc, "convblock5_2", convBlock("convblock5_2", rng, d3, d3, 3, 3, sq(1)))
	add(&n.enc, "convblock6_1", convBlock("convblock6_1", rng, d3, d4, 3, 3, sq(2)))
	add(&n.enc, "convblock6_2", convBlock("convblock6_2", rng, d4, d4, 3, 3, sq(1)))
	add(&n.enc, "convblock7_1", convBlock("convblock7_1", rng, d4, d4, 3, 3, sq(2)))
	add(&n.enc, "convblock7_2", convBlock("convblock7_2", rng, d4, d4, 3, 3, sq(1)))
	add(&n.enc, "convblock8", convBlock("convblock8", rng, d4, d5, kh, kw, autograd.Conv2dOpts{}))
	up := autograd.Conv2dOpts{Stride: [2]int{2, 2}, Pad: autograd.PadAll(1)}
	add(&n.dec, "deconv1_1", deconvBlock("deconv1_1", rng, d5, d5, 5, autograd.Conv2dOpts{}))
	add(&n.dec, "deconv1_2", convBlock("deconv1_2", rng, d5, d5, 3, 3, sq(1)))
	widths := []int{d5, d4, d3, d2, d1}
	for i := 1; i < len(widths); i++ {
		name := fmt.Sprintf("deconv%d", i+1)
		add(&n.dec, name+"_1", deconvBlock(name+"_1", rng, widths[i-1], widths[i], 4, up))
		add(&n.dec, name+"_2", convBlock(name+"_2", rng, widths[i], widths[i], 3, 3, sq(1)))
	}
	last := convBlock("deconv6", rng, d1, 1, 3, 3, sq(1))
	last.tanh = true
	add(&n.dec, "deconv6", last)
	var ps []*nn.Param
	for _, b := range n.blocks() {
		ps = append(ps, b.params()...)
	}
	n.Arena = nn.NewArena(ps)
	if got, want := n.Arena.NumParams(), cfg.NumParams(); got != want {
		return nil, fmt.Errorf("invnet: built %d parameters, the configuration counts %d (bug)", got, want)
	}
	return n, nil
}

func (n *Net) blocks() []*block { return append(append([]*block(nil), n.enc...), n.dec...) }

// Params returns the parameters in arena (checkpoint) order.
func (n *Net) Params() []*nn.Param { return n.Arena.Params }

// Weights returns the parameter arena and the BatchNorm running statistics,
// what a checkpoint holds.
func (n *Net) Weights() (*nn.Arena, []*nn.Buffer) { return n.Arena, n.Buffers() }

// Buffers returns the BatchNorm running statistics of every block.
func (n *Net) Buffers() []*nn.Buffer {
	var bs []*nn.Buffer
	for _, b := range n.blocks() {
		bs = append(bs, b.bn.Buffers()...)
	}
	return bs
}

// NumParams returns the number of scalar parameters.
func (n *Net) NumParams() int { return n.Arena.NumParams() }

// SetTraining switches BatchNorm between batch statistics (training, which
// also updates the running statistics) and running statistics (eval).
func (n *Net) SetTraining(on bool) {
	for _, b := range n.blocks() {
		b.bn.Training = on
	}
}

// crop is OpenFWI's F.pad(x, [-5, -5, -5, -5]): 80×80 → 70×70.
const crop = 5

// Forward maps normalised seismic x (N, 5, InputT(), 70) to normalised
// velocity (N, 1, 70, 70) in (−1, 1). The tape of x decides whether
// gradients are recorded. Shape errors in x are reported, not panicked on.
func (n *Net) Forward(x *autograd.Var) (*autograd.Var, error) {
	if sh := x.Shape(); len(sh) != 4 || sh[1] != Shots || sh[2] != n.Cfg.InputT() || sh[3] != Receivers {
		return nil, fmt.Errorf("invnet: input shape %v, want [N %d %d %d]", sh, Shots, n.Cfg.InputT(), Receivers)
	}
	for _, b := range n.enc {
		x = b.forward(x)
	}
	for _, b := range n.dec[:len(n.dec)-1] {
		x = b.forward(x)
	}
	h, w := x.Shape()[2], x.Shape()[3]
	x = autograd.Slice(autograd.Slice(x, 2, crop, h-crop), 3, crop, w-crop)
	return n.dec[len(n.dec)-1].forward(x), nil
}

// Shapes returns the output shape (C, H, W) of every block for one sample,
// by name, in forward order, with "crop" before deconv6: the table of
// docs/baselines.md §1 for PaperNet.
func (n *Net) Shapes() []LayerShape {
	tp := autograd.NewTape()
	tp.NoGrad = true
	training := n.enc[0].bn.Training
	n.SetTraining(false)
	defer n.SetTraining(training)
	x := tp.Const(tensor.New(1, Shots, n.Cfg.InputT(), Receivers))
	var out []LayerShape
	rec := func(name string, v *autograd.Var) {
		s := v.Shape()
		out = append(out, LayerShape{Name: name, C: s[1], H: s[2], W: s[3]})
	}
	for i, b := range n.enc {
		x = b.forward(x)
		rec(n.names[i], x)
	}
	for i, b := range n.dec[:len(n.dec)-1] {
		x = b.forward(x)
		rec(n.names[len(n.enc)+i], x)
	}
	h, w := x.Shape()[2], x.Shape()[3]
	x = autograd.Slice(autograd.Slice(x, 2, crop, h-crop), 3, crop, w-crop)
	rec("crop", x)
	rec("deconv6", n.dec[len(n.dec)-1].forward(x))
	return out
}

// LayerShape is the output shape of one block for one sample.
type LayerShape struct {
	Name    string
	C, H, W int
}
