package wavediff

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"genfwi/autograd"
	"genfwi/figures"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/nn"
	"genfwi/openfwi"
	"genfwi/tensor"
)

// EncodeLatents returns the pre-quantisation latents h (N, D, 16, 16) of all
// pairs under the autoencoder ae (no gradients, batches of 16), i.e. the
// diffusion targets. It checks ctx once per batch.
func EncodeLatents(ctx context.Context, ae *vqae.Model, pairs *Pairs) (*tensor.Tensor, error) {
	ls := ae.LatentShape()
	per := ls[0] * ls[1] * ls[2]
	out := tensor.New(pairs.N, ls[0], ls[1], ls[2])
	mode := ae.Cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	const bs = 16
	g := pairs.Codec.G()
	vl, sl := g.VelLen(), g.SeisLen()
	vel := tensor.New(append([]int{bs}, g.VelShape()...)...)
	seis := tensor.New(append([]int{bs}, g.SeisShape()...)...)
	tp := autograd.NewTape()
	tp.NoGrad = true
	idx := make([]int, 0, bs)
	for lo := 0; lo < pairs.N; lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(pairs.N, lo+bs)
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		v := &tensor.Tensor{Data: vel.Data[:len(idx)*vl], Shape: append([]int{len(idx)}, g.VelShape()...)}
		s := &tensor.Tensor{Data: seis.Data[:len(idx)*sl], Shape: append([]int{len(idx)}, g.SeisShape()...)}
		tp.Reset()
		var sIn, vIn *autograd.Var
		if mode.HasSeismicEncoder() {
			pairs.Batch(idx, nil, s.Data)
			sIn = tp.Const(s)
		}
		if mode.HasVelocityEncoder() {
			pairs.Batch(idx, v.Data, nil)
			vIn = tp.Const(v)
		}
		h := ae.Encode(tp, sIn, vIn)
		copy(out.Data[lo*per:hi*per], h.Value.Data)
	}
	return out, nil
}

// Decode decodes latents h (N, D, 16, 16) with ae (quantising first) into
// model-resolution velocity (N×VelLen) and seismic (N×SeisLen) slices; a
// modality the autoencoder has no decoder for is nil. Batches of 16.
func Decode(ctx context.Context, ae *vqae.Model, h *tensor.Tensor) (vel, seis []float32, err error) {
	n := h.Shape[0]
	per := len(h.Data) / max(n, 1)
	mode := ae.Cfg.Mode
	if mode == "" {
		mode = vqae.Joint
	}
	vl, sl := branchLen(ae.Cfg.Velocity, 1), branchLen(ae.Cfg.Seismic, Shots)
	if mode.HasVelocityDecoder() {
		vel = make([]float32, n*vl)
	}
	if mode.HasSeismicDecoder() {
		seis = make([]float32, n*sl)
	}
	tp := autograd.NewTape()
	tp.NoGrad = true
	const bs = 16
	for lo := 0; lo < n; lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		hi := min(n, lo+bs)
		tp.Reset()
		hb := tensor.FromSlice(h.Data[lo*per:hi*per], append([]int{hi - lo}, h.Shape[1:]...)...)
		sh, vh := ae.Decode(tp, tp.Const(hb))
		if vh != nil {
			copy(vel[lo*vl:hi*vl], vh.Value.Data)
		}
		if sh != nil {
			copy(seis[lo*sl:hi*sl], sh.Value.Data)
		}
	}
	return vel, seis, nil
}

// branchLen is the number of values per sample a branch reads and writes
// (0 for a nil branch).
func branchLen(b *vqae.BranchConfig, channels int) int {
	if b == nil {
		return 0
	}
	in := b.In()
	return channels * in[0] * in[1]
}

// fileSHA256 returns the first 32 hex digits (16 bytes) of a file's SHA-256,
// the length the checkpoints record.
func fileSHA256(path string) (string, error) {
	sum, err := openfwi.FileSHA256(path)
	if err != nil {
		return "", err
	}
	return sum[:32], nil
}

// TrainDiffusion trains (or resumes) a latent DDPM on the latents of pairs
// under the autoencoder stored at aePath: AdamW with the config's betas and
// weight decay, LambdaLinearScheduler warm-up, global-norm clipping, EMA of
// the weights (the final model.safetensors holds the EMA weights, as LDM
// samples with them), periodic figures of DDIM samples decoded by the
// autoencoder. The checkpoint metadata records the autoencoder's path and
// checksum so that sampling finds it. ScaleByStd sets the scale factor to
// 1/std of the training latents.
func TrainDiffusion(ctx context.Context, cfg *diffusion.Config, aePath string, pairs *Pairs, o TrainOptions) (*TrainSummary, error) {
	ae, codec, err := loadVQAEPath(aePath)
	if err != nil {
		return nil, err
	}
	if pg, g := pairs.Codec.G(), codec.G(); pg != g {
		return nil, fmt.Errorf("the autoencoder %s reads geometry %s, the training pairs are %s", aePath, g.Name, pg.Name)
	}
	aeSum, err := fileSHA256(aePath)
	if err != nil {
		return nil, err
	}
	ls := ae.LatentShape()
	u := cfg.UNet
	if u.InChannels != ls[0] || u.OutChannels != ls[0] || u.ImageSize != ls[1] || ls[1] != ls[2] {
		return nil, fmt.Errorf("diffusion config %q expects %d×%d×%d latents, the autoencoder %s makes %v", cfg.Name, u.InChannels, u.ImageSize, u.ImageSize, aePath, ls)
	}
	tc := cfg.Train
	if tc.BatchSize < 1 || tc.LR <= 0 {
		return nil, fmt.Errorf("diffusion config %q: train.batch_size and train.lr must be positive", cfg.Name)
	}
	h, err := EncodeLatents(ctx, ae, pairs)
	if err != nil {
		return nil, err
	}
	m, err := diffusion.New(*cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ScaleByStd {
		m.ScaleFactor = diffusion.ScaleFactorFor(h)
	}
	absAE, _ := filepath.Abs(aePath)
	pcg := rand.NewPCG(o.Seed, 0x64696666)
	rng := rand.New(pcg)
	m.UNet.RNG = rng
	m.UNet.Training = true
	opt := nn.NewAdamW()
	opt.Beta1, opt.Beta2, opt.WeightDecay = tc.Beta1, tc.Beta2, tc.WeightDecay
	ema := m.NewEMA()
	var sched nn.Schedule = nn.Constant(tc.LR)
	if tc.WarmupSteps > 0 {
		sched = nn.Warmup{Steps: tc.WarmupSteps, Start: tc.WarmupStart, Then: sched}
	}
	per := ls[0] * ls[1] * ls[2]
	hb := tensor.New(tc.BatchSize, ls[0], ls[1], ls[2])
	meta := func() map[string]string {
		return map[string]string{"vqae": absAE, "vqae_sha256": aeSum, "pairs_key": pairs.Key}
	}
	job := &trainJob{
		kind: "diffusion", pairs: pairs.N, batch: tc.BatchSize, steps: tc.Steps,
		arena: m.Arena, opt: opt, rng: pcg, ema: ema, clip: tc.GradClip, tape: autograd.NewTape(),
		lr: sched.LR,
		stepFn: func(tp *autograd.Tape, step int, idx []int) (float64, map[string]float64, error) {
			for j, i := range idx {
				copy(hb.Data[j*per:(j+1)*per], h.Data[i*per:(i+1)*per])
			}
			loss, info := m.Loss(tp, hb, rng)
			autograd.Backward(loss)
			if math.IsNaN(info.Loss) || math.IsInf(info.Loss, 0) {
				return 0, nil, fmt.Errorf("loss is %g", info.Loss)
			}
			return info.Loss, nil, nil
		},
		save: func(path string, extra map[string]string) error { return m.Save(path, extra) },
		load: func(path string) error { return loadSameConfig(path, m.Cfg, m.Arena) },
		meta: meta,
		finalSave: func(path string) error {
			ema.Swap(m.Arena)
			defer ema.Swap(m.Arena)
			extra := meta()
			extra["weights"] = "ema"
			extra["step"] = strconv.Itoa(ema.N)
			return m.Save(path, extra)
		},
		sample: func(ctx context.Context, path string) error {
			ema.Swap(m.Arena)
			defer ema.Swap(m.Arena)
			m.UNet.Training = false
			defer func() { m.UNet.Training = true }()
			// A private RNG: figures must not perturb the training stream.
			vel, seis, err := Generate(ctx, m, ae, 4, GenerateOptions{Method: "ddim", Steps: 25, Seed: 12345}, nil)
			if err != nil {
				return err
			}
			return GalleryFigure(path, "diffusion samples (EMA, DDIM 25)", pairs.Codec, vel, seis, nil, nil)
		},
	}
	sum := &TrainSummary{}
	if err := runTraining(ctx, o, job, sum); err != nil {
		return nil, err
	}
	sum.Extra = map[string]any{"config": cfg.Name, "vqae": absAE, "scale_factor": m.ScaleFactor, "latent_shape": ls}
	if err := writeJSONAtomic(filepath.Join(o.Out, "train.json"), sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// GenerateOptions configures joint generation.
type GenerateOptions struct {
	Method string  // "ddpm" or "ddim"
	Steps  int     // DDIM steps
	Eta    float64 // DDIM η
	ClipX0 float64 // clamp of the x0-prediction (diffusion.SampleOptions.ClipX0; 0 = off)
	Seed   uint64
}

// Generate samples n latents with the diffusion model and decodes them with
// the autoencoder: model-resolution velocity (n×VelLen) and seismic
// (n×SeisLen), normalised. cb observes the reverse process (may be nil).
func Generate(ctx context.Context, dm *diffusion.Model, ae *vqae.Model, n int, o GenerateOptions, cb diffusion.StepFunc) (vel, seis []float32, err error) {
	rng := rand.New(rand.NewPCG(o.Seed, 0x67656e))
	h, err := dm.Sample(ctx, n, diffusion.SampleOptions{Method: o.Method, Steps: o.Steps, Eta: o.Eta, RNG: rng, ClipX0: o.ClipX0}, cb)
	if err != nil {
		return nil, nil, err
	}
	return Decode(ctx, ae, h)
}

// GalleryFigure writes a PNG grid of generated pairs (model resolution,
// converted with codec) and, if given, real pairs beside them: each row
// holds a generated velocity and gather, then a real velocity and gather.
func GalleryFigure(path, title string, codec Codec, vel, seis, realVel, realSeis []float32) error {
	n := 0
	vl, sl := codec.VelLen(), codec.SeisLen()
	if vel != nil {
		n = len(vel) / vl
	} else if seis != nil {
		n = len(seis) / sl
	}
	var panels []figures.Panel
	cols := 0
	for i := 0; i < n; i++ {
		var v, s []float32
		if vel != nil {
			v = vel[i*vl : (i+1)*vl]
		}
		if seis != nil {
			s = seis[i*sl : (i+1)*sl]
		}
		row := ModelPairPanels(codec, fmt.Sprintf("generated #%d", i), v, s)
		if realVel != nil && (i+1)*vl <= len(realVel) {
			var rs []float32
			if realSeis != nil {
				rs = realSeis[i*sl : (i+1)*sl]
			}
			row = append(row, ModelPairPanels(codec, fmt.Sprintf("real #%d", i), realVel[i*vl:(i+1)*vl], rs)...)
		}
		cols = max(cols, len(row))
		panels = append(panels, row...)
	}
	ShareGatherScale(panels)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return figures.Grid(path, title, panels, max(cols, 1))
}
