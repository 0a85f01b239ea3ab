package vqae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/tensor"
)

// Model is a VQ autoencoder of any Mode. Branch fields a Mode does not use
// are nil. Build it with New; the parameters live in Arena.
//
// Shapes: seismic (N, C_s, T, W_s) = (N, Seismic.InChannels,
// Seismic.Resolution...), velocity (N, 1, 64, 64), latent h (N, D, 16, 16)
// with D = EmbedDim. Inputs are in the OpenFWI normalised scale [−1, 1].
type Model struct {
	Cfg Config

	SeisEnc *Encoder
	VelEnc  *Encoder
	SeisDec *Decoder
	VelDec  *Decoder
	// QuantConv maps the concatenated encoder outputs to D (Joint), or the
	// seismic encoder output to D (OneInTwoOut, SeismicOnly, and h_s in
	// Aligned); VelQuantConv is the velocity one (Aligned, VelocityOnly).
	QuantConv    *nn.Conv2d
	VelQuantConv *nn.Conv2d
	// SeisPostQuant and VelPostQuant map D back to each decoder's z_channels.
	SeisPostQuant *nn.Conv2d
	VelPostQuant  *nn.Conv2d
	Quant         *Quantizer

	// Arena holds every parameter (order: Params).
	Arena *nn.Arena

	// Training enables dropout; RNG draws its masks (needed only when a
	// branch has Dropout > 0 and Training is set).
	Training bool
	RNG      *rand.Rand
	// SkipQuant makes Loss decode the continuous latent h directly, with no
	// quantisation and no VQ loss (TrainConfig.VQWarmup: the autoencoder
	// first learns as a plain autoencoder, then the codebook is initialised
	// from its latents). Not supported by the Aligned mode (Loss panics).
	SkipQuant bool
}

// New validates c and builds the model with weights drawn from a PCG seeded
// by c.Seed (PyTorch-default initialisation, codebook U(−1/K, 1/K)).
func New(c Config) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Mode == "" {
		c.Mode = Joint
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	m := &Model{Cfg: c}
	mode := c.Mode
	if mode.HasSeismicEncoder() {
		m.SeisEnc = NewEncoder("seismic.encoder", rng, *c.Seismic)
	}
	if mode.HasVelocityEncoder() {
		m.VelEnc = NewEncoder("velocity.encoder", rng, *c.Velocity)
	}
	switch mode {
	case Joint:
		m.QuantConv = conv1("quant_conv", rng, c.Seismic.ZChannels+c.Velocity.ZChannels, c.EmbedDim)
	case Aligned:
		m.QuantConv = conv1("seismic.quant_conv", rng, c.Seismic.ZChannels, c.EmbedDim)
		m.VelQuantConv = conv1("velocity.quant_conv", rng, c.Velocity.ZChannels, c.EmbedDim)
	case OneInTwoOut, SeismicOnly:
		m.QuantConv = conv1("quant_conv", rng, c.Seismic.ZChannels, c.EmbedDim)
	case VelocityOnly:
		m.VelQuantConv = conv1("quant_conv", rng, c.Velocity.ZChannels, c.EmbedDim)
	}
	m.Quant = NewQuantizer(rng, c.NEmbed, c.EmbedDim, or(c.Beta, 0.25), c.VQLoss != "standard")
	if mode.HasSeismicDecoder() {
		m.SeisPostQuant = conv1("seismic.post_quant_conv", rng, c.EmbedDim, c.Seismic.ZChannels)
		m.SeisDec = NewDecoder("seismic.decoder", rng, *c.Seismic)
	}
	if mode.HasVelocityDecoder() {
		m.VelPostQuant = conv1("velocity.post_quant_conv", rng, c.EmbedDim, c.Velocity.ZChannels)
		m.VelDec = NewDecoder("velocity.decoder", rng, *c.Velocity)
	}
	m.Arena = nn.NewArena(m.collect())
	return m, nil
}

func (m *Model) collect() []*nn.Param {
	var ps []*nn.Param
	if m.SeisEnc != nil {
		ps = append(ps, m.SeisEnc.Params()...)
	}
	if m.VelEnc != nil {
		ps = append(ps, m.VelEnc.Params()...)
	}
	ps = append(ps, nn.Collect(moduleOrNil(m.QuantConv), moduleOrNil(m.VelQuantConv), m.Quant, moduleOrNil(m.SeisPostQuant), moduleOrNil(m.VelPostQuant))...)
	if m.SeisDec != nil {
		ps = append(ps, m.SeisDec.Params()...)
	}
	if m.VelDec != nil {
		ps = append(ps, m.VelDec.Params()...)
	}
	return ps
}

// Params returns every trainable parameter in arena order.
func (m *Model) Params() []*nn.Param { return m.Arena.Params }

// NumParams returns the number of scalar parameters.
func (m *Model) NumParams() int { return m.Arena.NumParams() }

// LatentShape returns the per-sample latent shape [D, H, W].
func (m *Model) LatentShape() [3]int { return m.Cfg.LatentShape() }

func (m *Model) fc() fwdCtx { return fwdCtx{training: m.Training, rng: m.RNG} }

// encodeParts returns the per-encoder pre-quantisation latents h_s, h_v
// (each (N, D, h, w); nil when that input or encoder is absent). In Joint
// mode both are nil and the joint latent is returned as joint.
func (m *Model) encodeParts(seis, vel *autograd.Var) (hs, hv, joint *autograd.Var) {
	fc := m.fc()
	switch m.Cfg.Mode {
	case Joint:
		if seis == nil || vel == nil {
			panic("vqae: Encode: joint mode needs both seismic and velocity")
		}
		zs, zv := m.SeisEnc.forward(fc, seis), m.VelEnc.forward(fc, vel)
		return nil, nil, m.QuantConv.Forward(autograd.Concat(1, zs, zv))
	case Aligned:
		if seis != nil {
			hs = m.QuantConv.Forward(m.SeisEnc.forward(fc, seis))
		}
		if vel != nil {
			hv = m.VelQuantConv.Forward(m.VelEnc.forward(fc, vel))
		}
		if hs == nil && hv == nil {
			panic("vqae: Encode: aligned mode needs seismic or velocity")
		}
		return hs, hv, nil
	case OneInTwoOut, SeismicOnly:
		if seis == nil {
			panic(fmt.Sprintf("vqae: Encode: mode %s needs seismic input", m.Cfg.Mode))
		}
		return nil, nil, m.QuantConv.Forward(m.SeisEnc.forward(fc, seis))
	case VelocityOnly:
		if vel == nil {
			panic("vqae: Encode: velocity mode needs velocity input")
		}
		return nil, nil, m.VelQuantConv.Forward(m.VelEnc.forward(fc, vel))
	}
	panic("vqae: unknown mode " + string(m.Cfg.Mode))
}

// encodeRouted is the Joint encoding for EncoderGrad "own": the latent h
// (for the VQ loss and the code), and two copies of equal value whose
// gradients reach only one encoder each — hS through the seismic encoder
// (velocity features held constant), hV through the velocity encoder.
func (m *Model) encodeRouted(seis, vel *autograd.Var) (h, hS, hV *autograd.Var) {
	fc := m.fc()
	zs, zv := m.SeisEnc.forward(fc, seis), m.VelEnc.forward(fc, vel)
	h = m.QuantConv.Forward(autograd.Concat(1, zs, zv))
	hS = m.QuantConv.Forward(autograd.Concat(1, zs, autograd.StopGrad(zv)))
	hV = m.QuantConv.Forward(autograd.Concat(1, autograd.StopGrad(zs), zv))
	return h, hS, hV
}

// Encode returns the pre-quantisation latent h (N, D, 16, 16), the target
// of the latent diffusion (LDM's VQModelInterface.encode). Inputs the mode
// does not use may be nil; in Joint mode both are required, in Aligned mode
// either (h = ½(h_s + h_v) when both are given), in OneInTwoOut and
// SeismicOnly seismic, in VelocityOnly velocity. Missing required inputs
// panic (programmer error).
func (m *Model) Encode(tp *autograd.Tape, seis, vel *autograd.Var) *autograd.Var {
	hs, hv, joint := m.encodeParts(seis, vel)
	switch {
	case joint != nil:
		return joint
	case hs != nil && hv != nil:
		return autograd.Scale(autograd.Add(hs, hv), 0.5)
	case hs != nil:
		return hs
	default:
		return hv
	}
}

// Decode quantises h (N, D, 16, 16) with the shared codebook (LDM's decode
// quantises first) and returns the reconstructions: seismic (N, C_s, T,
// W_s) and velocity (N, 1, 64, 64), nil for a modality the mode has no
// decoder for.
func (m *Model) Decode(tp *autograd.Tape, h *autograd.Var) (seisHat, velHat *autograd.Var) {
	return m.DecodeQuantized(tp, m.Quant.Quantize(h).Zq)
}

// DecodeQuantized decodes an already quantised latent zq without
// quantising again (post_quant_conv, then each decoder).
func (m *Model) DecodeQuantized(tp *autograd.Tape, zq *autograd.Var) (seisHat, velHat *autograd.Var) {
	return m.decodeRoutes(zq, zq)
}

// decodeRoutes decodes zqS with the seismic decoder and zqV with the
// velocity decoder: one code, two graphs with EncoderGrad "own".
func (m *Model) decodeRoutes(zqS, zqV *autograd.Var) (seisHat, velHat *autograd.Var) {
	fc := m.fc()
	if m.SeisDec != nil {
		seisHat = m.SeisDec.forward(fc, m.SeisPostQuant.Forward(zqS))
	}
	if m.VelDec != nil {
		velHat = m.VelDec.forward(fc, m.VelPostQuant.Forward(zqV))
	}
	return seisHat, velHat
}

// LossParts are the terms of one Loss evaluation (float64 copies) plus what
// the training loop needs for codebook bookkeeping.
type LossParts struct {
	Total  float64 `json:"total"`
	L1Seis float64 `json:"l1_seis"` // mean |ŝ − s| (0 without a seismic decoder)
	L1Vel  float64 `json:"l1_vel"`  // mean |v̂ − v|
	L2Seis float64 `json:"l2_seis"` // mean (ŝ − s)², computed only when Config.L2Weight > 0
	L2Vel  float64 `json:"l2_vel"`
	VQ     float64 `json:"vq"`    // VQ loss (mean over quantised latents)
	Align  float64 `json:"align"` // Aligned: mean (h_s − h_v)²
	Cross  float64 `json:"cross"` // Aligned: L1 of the cross-decodings (sum of both)
	// Perplexity of this batch's code histogram and the fraction of the
	// codebook it uses.
	Perplexity float64 `json:"perplexity"`
	Usage      float64 `json:"usage"`
	// Indices are the chosen codes (for CodeStats.Observe); H is the
	// pre-quantisation latent (for Quantizer.ReinitCodes), on the tape.
	Indices []int          `json:"-"`
	H       *tensor.Tensor `json:"-"`
}

// Loss runs the autoencoder on a batch and returns the training loss
//
//	L = w_s·R(ŝ, s) + w_v·R(v̂, v) + L_vq   (+ λ_a·mean(h_s−h_v)² + w_x·(cross R) in Aligned mode)
//	R(x̂, x) = mean|x̂−x| + L2Weight·mean((x̂−x)²)
//
// as a one-element Var on tp, with its parts. Each modality's reconstruction
// target is its own input; in OneInTwoOut mode vel is only a target. Inputs
// required by the mode's encoders and decoders must be non-nil.
func (m *Model) Loss(tp *autograd.Tape, seis, vel *autograd.Var) (*autograd.Var, LossParts) {
	return m.LossWithInput(tp, seis, seis, vel)
}

// LossWithInput is Loss with a separate seismic encoder input seisIn (for
// instance seis plus noise, a denoising autoencoder); seis stays the
// reconstruction target. Loss(tp, s, v) = LossWithInput(tp, s, s, v).
func (m *Model) LossWithInput(tp *autograd.Tape, seisIn, seis, vel *autograd.Var) (*autograd.Var, LossParts) {
	c := &m.Cfg
	ws, wv := or(c.SeisWeight, 1), or(c.VelWeight, 1)
	var p LossParts
	if m.SeisDec != nil && seis == nil || m.VelDec != nil && vel == nil {
		panic(fmt.Sprintf("vqae: Loss: mode %s needs targets for every decoder", c.Mode))
	}
	// rec is w·(mean|x̂−x| + L2Weight·mean((x̂−x)²)); it also returns the L1
	// and L2 values.
	rec := func(xh, x *autograd.Var, w float64) (*autograd.Var, float64, float64) {
		l1 := autograd.L1(xh, x)
		l := l1
		l2v := 0.0
		if c.L2Weight > 0 {
			l2 := autograd.MSE(xh, x)
			l2v = float64(l2.Item())
			l = autograd.Add(l1, autograd.Scale(l2, float32(c.L2Weight)))
		}
		return autograd.Scale(l, float32(w)), float64(l1.Item()), l2v
	}
	add := func(a, b *autograd.Var) *autograd.Var {
		if a == nil {
			return b
		}
		return autograd.Add(a, b)
	}
	recon := func(zqS, zqV *autograd.Var, seisT, velT *autograd.Var) (l *autograd.Var) {
		sh, vh := m.decodeRoutes(zqS, zqV)
		if sh != nil {
			var t *autograd.Var
			t, p.L1Seis, p.L2Seis = rec(sh, seisT, ws)
			l = t
		}
		if vh != nil {
			var t *autograd.Var
			t, p.L1Vel, p.L2Vel = rec(vh, velT, wv)
			l = add(l, t)
		}
		return l
	}
	var total *autograd.Var
	if c.Mode != Aligned {
		encS, encV := seisIn, vel
		if c.Mode == OneInTwoOut {
			encV = nil
		}
		var h, hS, hV *autograd.Var
		if c.EncoderGrad == "own" && c.mode() == Joint {
			h, hS, hV = m.encodeRouted(encS, encV)
		} else {
			h = m.Encode(tp, encS, encV)
			hS, hV = h, h
		}
		if m.SkipQuant {
			total = recon(hS, hV, seis, vel)
			p.H = h.Value
		} else {
			q := m.Quant.Quantize(h)
			zqS, zqV := q.Zq, q.Zq
			if hS != h { // the straight-through copy of the code on each gradient route
				zqS = autograd.Add(hS, autograd.StopGrad(autograd.Sub(q.Zq, hS)))
				zqV = autograd.Add(hV, autograd.StopGrad(autograd.Sub(q.Zq, hV)))
			}
			total = autograd.Add(recon(zqS, zqV, seis, vel), q.Loss)
			p.VQ = float64(q.Loss.Item())
			p.Indices, p.H = q.Indices, h.Value
		}
	} else {
		if m.SkipQuant {
			panic("vqae: Loss: SkipQuant is not supported by the aligned mode")
		}
		hs, hv, _ := m.encodeParts(seisIn, vel)
		qs, qv := m.Quant.Quantize(hs), m.Quant.Quantize(hv)
		fc := m.fc()
		ls, l1s, l2s := rec(m.SeisDec.forward(fc, m.SeisPostQuant.Forward(qs.Zq)), seis, ws)
		lv, l1v, l2v := rec(m.VelDec.forward(fc, m.VelPostQuant.Forward(qv.Zq)), vel, wv)
		// cross-decoding: velocity from the seismic code and vice versa
		wx, wa := or(c.CrossWeight, 1), or(c.AlignWeight, 1)
		xv, x1, _ := rec(m.VelDec.forward(fc, m.VelPostQuant.Forward(qs.Zq)), vel, wx)
		xs, x2, _ := rec(m.SeisDec.forward(fc, m.SeisPostQuant.Forward(qv.Zq)), seis, wx)
		vq := autograd.Scale(autograd.Add(qs.Loss, qv.Loss), 0.5)
		align := autograd.MSE(hs, hv)
		total = autograd.Add(autograd.Add(ls, lv), vq)
		total = autograd.Add(total, autograd.Add(xv, xs))
		total = autograd.Add(total, autograd.Scale(align, float32(wa)))
		p.L1Seis, p.L1Vel, p.L2Seis, p.L2Vel, p.VQ = l1s, l1v, l2s, l2v, float64(vq.Item())
		p.Align, p.Cross = float64(align.Item()), x1+x2
		p.Indices = append(append([]int(nil), qs.Indices...), qv.Indices...)
		p.H = autograd.Scale(autograd.Add(hs, hv), 0.5).Value
	}
	p.Total = float64(total.Item())
	p.Perplexity = Perplexity(p.Indices, c.NEmbed)
	used := map[int]bool{}
	for _, i := range p.Indices {
		used[i] = true
	}
	p.Usage = float64(len(used)) / float64(c.NEmbed)
	return total, p
}

// SetSeismicStandardization sets the whitening of a seismic branch built
// with BranchConfig.Standardize: the encoder's μ (mean, InChannels·H·W
// values) and 1/σ, and the decoder's output bias μ (when the mode has a
// seismic decoder). Call it before training; the values travel with the
// checkpoint.
func (m *Model) SetSeismicStandardization(mean []float32, std float64) error {
	return setStandardization("seismic", m.Cfg.Seismic, m.SeisEnc, m.SeisDec, mean, std)
}

// SetVelocityStandardization is SetSeismicStandardization for the velocity
// branch.
func (m *Model) SetVelocityStandardization(mean []float32, std float64) error {
	return setStandardization("velocity", m.Cfg.Velocity, m.VelEnc, m.VelDec, mean, std)
}

func setStandardization(name string, c *BranchConfig, e *Encoder, d *Decoder, mean []float32, std float64) error {
	if c == nil || !c.Standardize {
		return fmt.Errorf("vqae: the %s branch is not standardised (set standardize in its config)", name)
	}
	if !(std > 0) || math.IsInf(std, 0) {
		return fmt.Errorf("vqae: %s standard deviation must be positive and finite, got %g", name, std)
	}
	if e != nil {
		if len(mean) != e.InMean.Value().Numel() {
			return fmt.Errorf("vqae: %s mean has %d values, want %d", name, len(mean), e.InMean.Value().Numel())
		}
		copy(e.InMean.Value().Data, mean)
		e.InScale.Value().Data[0] = float32(1 / std)
	}
	if d != nil {
		if err := d.SetOutputBias(mean); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
