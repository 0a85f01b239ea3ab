package wavediff

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"genfwi/autograd"
	"genfwi/figures"
	"genfwi/models/vqae"
	"genfwi/nn"
	"genfwi/tensor"
)

// CheckVQAEConfig checks that an autoencoder config reads the model
// resolution of its geometry (vqae.Config.Geometry): velocity 1×64×64 and
// seismic 5×256×64 for resized64, 1×70×70 and 5×256×70 for native70.
func CheckVQAEConfig(c *vqae.Config) error {
	_, err := GeometryOf(c)
	return err
}

// GeometryOf returns the geometry an autoencoder config names, after
// checking that its branches read that geometry's model resolution.
func GeometryOf(c *vqae.Config) (Geometry, error) {
	g, err := GeometryNamed(c.Geometry)
	if err != nil {
		return Geometry{}, fmt.Errorf("vqae config %q: %w", c.Name, err)
	}
	if b := c.Velocity; b != nil && (b.InChannels != 1 || b.In() != [2]int{g.VelH, g.VelW}) {
		return Geometry{}, fmt.Errorf("vqae config %q: velocity branch must read 1×%d×%d (geometry %s), reads %d×%v", c.Name, g.VelH, g.VelW, g.Name, b.InChannels, b.In())
	}
	if b := c.Seismic; b != nil && (b.InChannels != Shots || b.In() != [2]int{g.SeisT, g.SeisR}) {
		return Geometry{}, fmt.Errorf("vqae config %q: seismic branch must read %d×%d×%d (geometry %s), reads %d×%v", c.Name, Shots, g.SeisT, g.SeisR, g.Name, b.InChannels, b.In())
	}
	return g, nil
}

// vqaeInputs decodes a batch into the tensors the mode needs (nil otherwise).
func vqaeInputs(mode vqae.Mode, pairs *Pairs, idx []int, vel, seis *tensor.Tensor) (s, v *tensor.Tensor) {
	needS := mode.HasSeismicEncoder() || mode.HasSeismicDecoder()
	needV := mode.HasVelocityEncoder() || mode.HasVelocityDecoder()
	var sd, vd []float32
	if needS {
		sd, s = seis.Data, seis
	}
	if needV {
		vd, v = vel.Data, vel
	}
	pairs.Batch(idx, vd, sd)
	return s, v
}

func constOrNil(tp *autograd.Tape, t *tensor.Tensor) *autograd.Var {
	if t == nil {
		return nil
	}
	return tp.Const(t)
}

type codeStatsJSON struct {
	Counts   []int64 `json:"counts"`
	LastUsed []int   `json:"last_used"`
	Step     int     `json:"step"`
	Reinit   int     `json:"reinitialised"`
}

// TrainVQAE trains (or resumes training of) a VQ autoencoder of any mode on
// pairs: Adam with the config's betas, learning rate LR·LRDecay^⌊step/
// DecayEvery⌋, global-norm clipping, dead-code re-initialisation every
// DeadCodeEvery steps from the batch's latents, periodic reconstruction
// figures. See runTraining for checkpoints and resumption. It returns the
// run summary, whose Extra holds the final codebook usage and perplexity.
func TrainVQAE(ctx context.Context, cfg *vqae.Config, pairs *Pairs, o TrainOptions) (*TrainSummary, error) {
	g, err := GeometryOf(cfg)
	if err != nil {
		return nil, err
	}
	if pg := pairs.Codec.G(); pg != g {
		return nil, fmt.Errorf("vqae config %q reads geometry %s, the training pairs are %s", cfg.Name, g.Name, pg.Name)
	}
	m, err := vqae.New(*cfg)
	if err != nil {
		return nil, err
	}
	tc := cfg.Train
	if tc.BatchSize < 1 || tc.LR <= 0 {
		return nil, fmt.Errorf("vqae config %q: train.batch_size and train.lr must be positive", cfg.Name)
	}
	pcg := rand.NewPCG(o.Seed, 0x76716165)
	m.RNG = rand.New(pcg)
	m.Training = true
	// Decoders with an output bias start from the training set's mean
	// image (standardised branches also whiten their input), so the network only has to learn deviations from it (a resumed
	// run overwrites this with its checkpoint).
	if err := initOutputBiases(m, pairs); err != nil {
		return nil, err
	}
	if tc.CodebookInit == "data" && tc.VQWarmup == 0 {
		initCodebookFromData(m, pairs, tc.BatchSize)
	}
	opt := nn.NewAdam()
	if tc.Beta1 > 0 {
		opt.Beta1 = tc.Beta1
	}
	if tc.Beta2 > 0 {
		opt.Beta2 = tc.Beta2
	}
	stats := vqae.NewCodeStats(cfg.NEmbed)
	reinit := 0
	vel := tensor.New(append([]int{tc.BatchSize}, g.VelShape()...)...)
	seis := tensor.New(append([]int{tc.BatchSize}, g.SeisShape()...)...)
	mode := cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	var noisy *inputNoise
	if tc.InputNoise > 0 {
		noisy = newInputNoise(pairs.Codec, tc.BatchSize)
	}
	// Fixed pairs for the periodic reconstruction figures.
	show := []int{0, pairs.N / 3, 2 * pairs.N / 3, pairs.N - 1}
	job := &trainJob{
		kind: "vqae-" + string(mode), pairs: pairs.N, batch: tc.BatchSize, steps: tc.Steps,
		arena: m.Arena, opt: opt, rng: pcg, clip: tc.GradClip, tape: autograd.NewTape(),
		lr: func(step int) float64 {
			if tc.LRDecay > 0 && tc.DecayEvery > 0 {
				return tc.LR * math.Pow(tc.LRDecay, float64(step/tc.DecayEvery))
			}
			return tc.LR
		},
		stepFn: func(tp *autograd.Tape, step int, idx []int) (float64, map[string]float64, error) {
			// VQ warm-up: plain autoencoder until step VQWarmup, where the
			// codebook is initialised from the encoder's latents. A run
			// resumed later loads that codebook from its checkpoint.
			m.SkipQuant = step < tc.VQWarmup
			if tc.VQWarmup > 0 && step == tc.VQWarmup {
				initCodebookFromData(m, pairs, tc.BatchSize)
			}
			s, v := vqaeInputs(mode, pairs, idx, vel, seis)
			sIn := s
			if noisy != nil && s != nil && mode.HasSeismicEncoder() {
				sIn = noisy.add(s, tc.InputNoise, m.RNG)
			}
			loss, parts := m.LossWithInput(tp, constOrNil(tp, sIn), constOrNil(tp, s), constOrNil(tp, v))
			autograd.Backward(loss)
			stats.Observe(parts.Indices)
			if !m.SkipQuant && tc.DeadCodeEvery > 0 && (step+1)%tc.DeadCodeEvery == 0 {
				if dead := stats.Dead(tc.DeadCodeEvery); len(dead) > 0 {
					reinit += m.Quant.ReinitCodes(dead, parts.H, m.RNG, stats)
				}
			}
			lv := float64(loss.Item())
			if math.IsNaN(lv) || math.IsInf(lv, 0) {
				return 0, nil, fmt.Errorf("loss is %g", lv)
			}
			logged := map[string]float64{"l1_seis": parts.L1Seis, "l1_vel": parts.L1Vel, "vq": parts.VQ,
				"align": parts.Align, "cross": parts.Cross, "perplexity": parts.Perplexity, "usage": parts.Usage}
			if cfg.L2Weight > 0 { // the squared errors are only computed then
				logged["l2_seis"], logged["l2_vel"] = parts.L2Seis, parts.L2Vel
			}
			return lv, logged, nil
		},
		save: func(path string, extra map[string]string) error { return m.Save(path, extra) },
		load: func(path string) error { return loadSameConfig(path, m.Cfg, m.Arena) },
		meta: func() map[string]string { return codecMeta(pairs.Codec) },
		saveExtra: func() any {
			return codeStatsJSON{Counts: stats.Counts, LastUsed: stats.LastUsed, Step: stats.Step, Reinit: reinit}
		},
		loadExtra: func(b []byte) error {
			var c codeStatsJSON
			if err := json.Unmarshal(b, &c); err != nil {
				return err
			}
			if len(c.Counts) != cfg.NEmbed || len(c.LastUsed) != cfg.NEmbed {
				return fmt.Errorf("code statistics for %d codes, model has %d", len(c.Counts), cfg.NEmbed)
			}
			stats.Counts, stats.LastUsed, stats.Step, reinit = c.Counts, c.LastUsed, c.Step, c.Reinit
			return nil
		},
		sample: func(ctx context.Context, path string) error {
			m.Training = false
			defer func() { m.Training = true }()
			return ReconstructionFigure(m, pairs, show, path)
		},
	}
	sum := &TrainSummary{}
	if err := runTraining(ctx, o, job, sum); err != nil {
		return nil, err
	}
	sum.Extra = map[string]any{"config": cfg.Name, "mode": string(mode), "codebook_usage": stats.Usage(),
		"codebook_perplexity": stats.Perplexity(), "codes_reinitialised": reinit}
	if err := writeJSONAtomic(o.Out+"/train.json", sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// inputNoise makes the noisy encoder inputs of TrainConfig.InputNoise.
type inputNoise struct {
	codec Codec
	out   *tensor.Tensor
	full  []float32 // noise for one sample's 5 gathers at OpenFWI resolution
	small []float32 // the same resized to model resolution
}

func newInputNoise(codec Codec, batch int) *inputNoise {
	return &inputNoise{codec: codec, out: tensor.New(append([]int{batch}, codec.G().SeisShape()...)...),
		full: make([]float32, FullSeis), small: make([]float32, codec.SeisLen())}
}

// add returns s (n normalised model-resolution samples) with, per sample,
// Gaussian noise of standard deviation σ ~ U[0, maxSigma] added at the
// OpenFWI resolution in the normalised units, as Invert adds it. For
// resized64 the resize is linear, so the noise is drawn at full resolution
// and resized alone. For native70 the resampling runs on raw amplitudes
// and is not linear in the normalised values: the sample is brought to
// full resolution (the round trip costs relative L2 0.001), noised and
// converted back. The result lives in a buffer reused by the next call.
func (z *inputNoise) add(s *tensor.Tensor, maxSigma float64, rng *rand.Rand) *tensor.Tensor {
	n, sl := s.Shape[0], z.codec.SeisLen()
	out := &tensor.Tensor{Data: z.out.Data[:len(s.Data)], Shape: s.Shape}
	cubic := z.codec.G().Cubic
	for i := 0; i < n; i++ {
		sigma := maxSigma * rng.Float64()
		src, dst := s.Data[i*sl:(i+1)*sl], out.Data[i*sl:(i+1)*sl]
		if cubic {
			z.codec.SeismicNormFromModel(z.full, src)
			for k := range z.full {
				z.full[k] += float32(sigma * rng.NormFloat64())
			}
			z.codec.SeismicNormToModel(dst, z.full)
			continue
		}
		for k := range z.full {
			z.full[k] = float32(sigma * rng.NormFloat64())
		}
		z.codec.SeismicNormToModel(z.small, z.full)
		for k := range dst {
			dst[k] = src[k] + z.small[k]
		}
	}
	return out
}

// initOutputBiases prepares the branches that start from the training
// data: a standardised branch gets μ = the per-pixel mean of its modality
// over all training pairs (model resolution, normalised) and σ = the rms of
// the deviations from μ; a decoder with only an output bias gets μ.
func initOutputBiases(m *vqae.Model, pairs *Pairs) error {
	for _, b := range []struct {
		name        string
		cfg         *vqae.BranchConfig
		dec         *vqae.Decoder
		n           int
		get         func(dst []float32, i int)
		standardize func(mean []float32, std float64) error
	}{
		{"seismic", m.Cfg.Seismic, m.SeisDec, pairs.Codec.SeisLen(), pairs.Seismic, m.SetSeismicStandardization},
		{"velocity", m.Cfg.Velocity, m.VelDec, pairs.Codec.VelLen(), pairs.Velocity, m.SetVelocityStandardization},
	} {
		if b.cfg == nil || !(b.cfg.Standardize || (b.dec != nil && b.dec.OutBias != nil)) {
			continue
		}
		mean, std := pixelStats(pairs.N, b.n, b.get)
		var err error
		if b.cfg.Standardize {
			err = b.standardize(mean, std)
		} else {
			err = b.dec.SetOutputBias(mean)
		}
		if err != nil {
			return fmt.Errorf("%s branch: %w", b.name, err)
		}
	}
	return nil
}

// initCodebookFromData replaces every code by an encoder output of the
// (untrained) model on 4·batch training pairs spread evenly over the set,
// drawn with m.RNG (see TrainConfig.CodebookInit). A resumed run
// overwrites the codebook and the RNG state with its checkpoint.
func initCodebookFromData(m *vqae.Model, pairs *Pairs, batch int) {
	n := min(pairs.N, 4*batch)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i * pairs.N / n
	}
	_, h, _, _ := encodeNoGrad(m, pairs, idx)
	all := make([]int, m.Cfg.NEmbed)
	for k := range all {
		all[k] = k
	}
	m.Quant.ReinitCodes(all, h.Value, m.RNG, nil)
}

// encodeNoGrad encodes pairs idx with the encoders the model's mode has, on
// a new no-grad tape, and returns the tape, the pre-quantisation latent and
// the batch it read (seismic and velocity at model resolution; nil for a
// modality the mode does not use).
func encodeNoGrad(m *vqae.Model, pairs *Pairs, idx []int) (tp *autograd.Tape, h *autograd.Var, seis, vel *tensor.Tensor) {
	mode := m.Cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	g := pairs.Codec.G()
	seis, vel = vqaeInputs(mode, pairs, idx, tensor.New(append([]int{len(idx)}, g.VelShape()...)...), tensor.New(append([]int{len(idx)}, g.SeisShape()...)...))
	tp = autograd.NewTape()
	tp.NoGrad = true
	var sIn, vIn *autograd.Var
	if mode.HasSeismicEncoder() {
		sIn = constOrNil(tp, seis)
	}
	if mode.HasVelocityEncoder() {
		vIn = constOrNil(tp, vel)
	}
	return tp, m.Encode(tp, sIn, vIn), seis, vel
}

// pixelStats returns the per-pixel mean of n samples of length l read by
// get, and the rms deviation from it over all samples and pixels (float64
// accumulation).
func pixelStats(n, l int, get func(dst []float32, i int)) (mean []float32, std float64) {
	sum := make([]float64, l)
	buf := make([]float32, l)
	for i := 0; i < n; i++ {
		get(buf, i)
		for j, x := range buf {
			sum[j] += float64(x)
		}
	}
	mean = make([]float32, l)
	for j := range sum {
		sum[j] /= float64(n)
		mean[j] = float32(sum[j])
	}
	ss := 0.0
	for i := 0; i < n; i++ {
		get(buf, i)
		for j, x := range buf {
			d := float64(x) - sum[j]
			ss += d * d
		}
	}
	return mean, math.Sqrt(ss / float64(n*l))
}

// ReconstructionFigure writes a PNG with, for each pair idx, the true and
// reconstructed velocity and middle-shot gather (in the OpenFWI layout),
// for the modalities the model decodes.
func ReconstructionFigure(m *vqae.Model, pairs *Pairs, idx []int, path string) error {
	tp, h, seis, vel := encodeNoGrad(m, pairs, idx)
	var sh, vh *autograd.Var
	if m.SkipQuant { // VQ warm-up: the codebook is not initialised yet
		sh, vh = m.DecodeQuantized(tp, h)
	} else {
		sh, vh = m.Decode(tp, h)
	}
	var panels []figures.Panel
	vl, sl := pairs.Codec.VelLen(), pairs.Codec.SeisLen()
	for j := range idx {
		var ts, tv, rs, rv []float32
		if sh != nil {
			ts, rs = seis.Data[j*sl:(j+1)*sl], sh.Value.Data[j*sl:(j+1)*sl]
		}
		if vh != nil {
			tv, rv = vel.Data[j*vl:(j+1)*vl], vh.Value.Data[j*vl:(j+1)*vl]
		}
		panels = append(panels, ModelPairPanels(pairs.Codec, fmt.Sprintf("#%d true", idx[j]), tv, ts)...)
		panels = append(panels, ModelPairPanels(pairs.Codec, fmt.Sprintf("#%d recon", idx[j]), rv, rs)...)
	}
	cols := 4
	if sh == nil || vh == nil {
		cols = 2
	}
	mode := m.Cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	ShareGatherScale(panels)
	return figures.Grid(path, "autoencoder reconstructions ("+string(mode)+")", panels, cols)
}

// loadSameConfig loads the weights of the checkpoint at path into arena after
// checking that it was written for cfg: a run directory cannot be resumed
// with another configuration.
func loadSameConfig(path string, cfg any, arena *nn.Arena) error {
	_, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return err
	}
	want, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	var a, b any
	if json.Unmarshal([]byte(meta["config"]), &a) != nil || json.Unmarshal(want, &b) != nil {
		return fmt.Errorf("checkpoint %s: unreadable config", path)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		return fmt.Errorf("the run was started with another configuration (checkpoint %s has %s); use a new --out or the run's own config", path, ja)
	}
	_, err = nn.LoadModel(path, arena, nil)
	return err
}
