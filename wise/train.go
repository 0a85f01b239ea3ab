package wise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"

	"genfwi/autograd"
	"genfwi/internal/rundir"
	"genfwi/models/flow"
	"genfwi/nn"
	"genfwi/tensor"
)

// TrainOptions are the run-level settings of Train.
type TrainOptions struct {
	// Config is the training configuration (required).
	Config *Config
	// Train holds the training pairs (required).
	Train Pairs
	// Val holds the validation pairs; nil holds out the last
	// ⌈Config.Train.ValFraction·n⌉ training pairs instead (none if 0).
	Val Pairs
	// Out is the run directory: checkpoints, loss.csv, val.csv, val.png,
	// train.json and, at the end, model.safetensors (required).
	Out string
	// StopAfter, if > 0, stops after that step with a checkpoint as if
	// interrupted; a later call with the same Out resumes.
	StopAfter int
	// OnStep, if set, is called after every optimiser step.
	OnStep func(StepInfo)
	// OnValidate, if set, is called after every validation.
	OnValidate func(ValPoint)
	// Logger receives progress messages (nil: slog.Default()).
	Logger *slog.Logger
}

// StepInfo describes one finished training step.
type StepInfo struct {
	// Step is the number of steps done, Steps the run's total.
	Step, Steps int
	// Epoch is the 1-based epoch of the step, Epochs the run's total.
	Epoch, Epochs int
	// Loss is the negative log-likelihood per pixel of the step's batch.
	Loss float64
	// Sigma is the dequantisation noise level of the epoch.
	Sigma float64
	// Start is the step the run (re)started from.
	Start int
}

// ValPoint is the validation after one epoch: scores of the conditional
// mean of K posterior samples on held-out pairs.
type ValPoint struct {
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// TrainLoss is the mean per-pixel NLL of the epoch's steps.
	TrainLoss float64 `json:"train_loss"`
	// Sigma is the epoch's dequantisation noise.
	Sigma float64 `json:"sigma"`
	// SSIM, RMSE and MAE of the conditional mean on OpenFWI's normalised
	// scale (averaged over maps as metrics.Summary does).
	SSIM float64 `json:"ssim"`
	RMSE float64 `json:"rmse"`
	MAE  float64 `json:"mae"`
	// RMSEms and MAEms are the same in m/s.
	RMSEms float64 `json:"rmse_ms"`
	MAEms  float64 `json:"mae_ms"`
	// Std is the mean pointwise posterior standard deviation in m/s.
	Std     float64 `json:"std_ms"`
	Maps    int     `json:"maps"`
	Samples int     `json:"samples"`
}

// TrainSummary is what a training run reports (also Out/train.json).
type TrainSummary struct {
	Out     string `json:"out"`
	Model   string `json:"model,omitempty"`
	Config  string `json:"config"`
	RTMOnly bool   `json:"rtm_only"`
	// Size: params … steps.
	rundir.Size
	// Progress: start_step … final_loss.
	rundir.Progress
	Val        *ValPoint  `json:"final_val,omitempty"`
	Best       *ValPoint  `json:"best_val,omitempty"`
	NoiseStart int        `json:"noise_decay_start_epoch"`
	NoiseEvery int        `json:"noise_decay_every_epochs"`
	History    []ValPoint `json:"-"`
}

// history is what a checkpoint keeps besides weights and optimiser state.
type history struct {
	Loss []float64  `json:"loss"` // per step
	Val  []ValPoint `json:"val"`
}

// RNG streams: every random draw of a run is a pure function of the seed
// and the step (or epoch, or map), so that a resumed run repeats the
// uninterrupted one without saving generator states.
const (
	streamInit  = 0x696e6974 << 32 // network initialisation
	streamPerm  = 0x7065726d << 32 // epoch permutation, | epoch
	streamStep  = 0x73746570 << 32 // flips, noise, dropout of a step, | step
	streamVal   = 0x76616c00 << 32 // validation latents, | map
	streamDraws = 0x64726177 << 32 // posterior latents, | batch
)

// Train trains a WISE network on (velocity, gather) pairs as the WISE
// scripts do (see the package documentation), checkpointing into o.Out
// and resuming from its latest checkpoint if there is one. Cancelling ctx
// writes a checkpoint at the last finished step and returns ctx's error.
func Train(ctx context.Context, o TrainOptions) (*TrainSummary, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.Config == nil || o.Train == nil || o.Out == "" {
		return nil, errors.New("wise: Train needs a config, training pairs and an output directory")
	}
	cfg := *o.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tc := cfg.Train
	train, val := o.Train, o.Val
	if err := checkPairs("training data", train, &cfg); err != nil {
		return nil, err
	}
	inf := train.Info()
	if val == nil && tc.ValFraction > 0 {
		n := train.Len()
		k := int(math.Ceil(tc.ValFraction * float64(n)))
		if k >= n {
			return nil, fmt.Errorf("wise: val_fraction %g leaves no training pairs out of %d", tc.ValFraction, n)
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		train, val = Subset(train, idx[:n-k]), Subset(train, idx[n-k:])
	}
	if val != nil {
		if err := checkPairs("validation data", val, &cfg); err != nil {
			return nil, err
		}
		if err := inf.Compatible(val.Info()); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		val = Rescaled(val, inf.MaxY)
	}
	if tc.RTMOnly {
		var err error
		if train, err = RTMOnly(train); err != nil {
			return nil, err
		}
		if val != nil {
			if val, err = RTMOnly(val); err != nil {
				return nil, err
			}
		}
	}
	n := train.Len()
	spe := n / tc.Batch
	if spe < 1 {
		return nil, fmt.Errorf("wise: %d training pairs make no batch of %d", n, tc.Batch)
	}
	steps := spe * tc.Epochs
	if err := rundir.Create(o.Out); err != nil {
		return nil, fmt.Errorf("wise: %w", err)
	}

	net, err := flow.NewNetwork(cfg.Network, rand.New(rand.NewPCG(tc.Seed, streamInit)))
	if err != nil {
		return nil, err
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	infJSON, err := json.Marshal(inf)
	if err != nil {
		return nil, err
	}
	opt := nn.NewAdam()
	state := &nn.TrainState{Opt: opt}
	var hist history
	start := 0
	sum := &TrainSummary{Out: o.Out, Config: cfg.Name, RTMOnly: tc.RTMOnly,
		Size: rundir.Size{Params: net.NumParams(), Pairs: n, Batch: tc.Batch, Epochs: tc.Epochs, StepsPerEpoch: spe, Steps: steps}}
	if val != nil {
		sum.ValPairs = val.Len()
	}
	sum.NoiseStart, sum.NoiseEvery = tc.Noise.Period(tc.Epochs)

	if path, step, err := LatestCheckpoint(o.Out); err == nil {
		if err := resume(path, step, net, state, &hist, string(cfgJSON), string(infJSON)); err != nil {
			return nil, err
		}
		start = step
		sum.Resumed = true
		log.Info("resuming WISE training", "step", step, "out", o.Out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sum.StartStep = start

	meta := func(step int) map[string]string {
		return map[string]string{metaConfig: string(cfgJSON), metaData: string(infJSON),
			metaStep: strconv.Itoa(step), metaEpoch: strconv.Itoa(step / spe)}
	}
	checkpoint := func(step int) error {
		return rundir.WriteCheckpoint(o.Out, rundir.Checkpoint{Step: step, State: state, History: hist,
			Save:      func(path string) error { return net.Save(path, meta(step)) },
			Published: func() error { return writeCurves(o.Out, hist, spe) }})
	}
	// validate scores the network after epoch; the loop calls it only
	// when the run validates at all.
	validates := val != nil && tc.ValMaps > 0 && tc.ValSamples > 0
	validate := func(epoch, step int) error {
		vp, err := Validate(ctx, net, val, &cfg, epoch)
		if err != nil {
			return err
		}
		vp.Step = step
		vp.Sigma = tc.Noise.Sigma(epoch, tc.Epochs)
		lo := (epoch - 1) * spe
		vp.TrainLoss = rundir.Mean(hist.Loss[lo:min(len(hist.Loss), lo+spe)])
		hist.Val = append(hist.Val, vp)
		log.Info("validation", "epoch", epoch, "ssim", vp.SSIM, "rmse", vp.RMSE, "rmse_ms", vp.RMSEms, "train_loss", vp.TrainLoss)
		if o.OnValidate != nil {
			o.OnValidate(vp)
		}
		return nil
	}
	nz, nx, nh := inf.Nz, inf.Nx, len(inf.Offsets)
	pix := nz * nx
	x := tensor.New(tc.Batch, 1, nz, nx)
	y := tensor.New(tc.Batch, nh, nz, nx)
	tp := autograd.NewTape()
	loop := rundir.Loop{Name: "wise", Start: start, Steps: steps, StepsPerEpoch: spe, Pairs: n, Batch: tc.Batch,
		Seed: tc.Seed, PermStream: streamPerm, StopAfter: o.StopAfter, CheckpointEvery: tc.CheckpointEvery,
		Validate: validate, Checkpoint: checkpoint}
	loop.ValidateAt = func(epoch, last int) bool { return validates && last%spe == 0 }
	loop.Validated = func(epoch int) bool { return len(hist.Val) > 0 && hist.Val[len(hist.Val)-1].Epoch >= epoch }
	loop.Step = func(ctx context.Context, step, epoch int, batch []int) (float64, error) {
		sigma := tc.Noise.Sigma(epoch, tc.Epochs)
		rng := rand.New(rand.NewPCG(tc.Seed, streamStep|uint64(step)))
		for b, i := range batch {
			xv, yv := x.Data[b*pix:(b+1)*pix], y.Data[b*nh*pix:(b+1)*nh*pix]
			if err := train.Read(i, xv, yv); err != nil {
				return 0, fmt.Errorf("wise: step %d: reading training pair %d: %w", step, i, err)
			}
			if tc.FlipProb > 0 && rng.Float64() < tc.FlipProb {
				flipX(xv, 1, nz, nx)
				flipX(yv, nh, nz, nx)
			}
			s := float32(1 / tc.VelocityScale)
			for k := range xv {
				xv[k] = xv[k]*s + float32(sigma*rng.NormFloat64())
			}
		}
		tp.Reset()
		net.Arena.ZeroGrad()
		net.Summary.Training = true
		z, ld, err := net.Forward(tp.Const(x), tp.Const(y), rng)
		if err != nil {
			return 0, fmt.Errorf("wise: step %d: %w", step, err)
		}
		loss := autograd.Scale(flow.NLL(z, ld), 1/float32(pix))
		lv := float64(loss.Value.Data[0])
		if math.IsNaN(lv) || math.IsInf(lv, 0) {
			return lv, nil // the loop reports it
		}
		autograd.Backward(loss)
		if tc.ClipNorm > 0 {
			nn.ClipPerParam(net.Arena, tc.ClipNorm)
		}
		opt.Step(net.Arena, tc.LR)
		return lv, nil
	}
	loop.Done = func(last, epoch int, loss float64) {
		hist.Loss = append(hist.Loss, loss)
		if o.OnStep != nil {
			o.OnStep(StepInfo{Step: last, Steps: steps, Epoch: epoch, Epochs: tc.Epochs, Loss: loss, Sigma: tc.Noise.Sigma(epoch, tc.Epochs), Start: start})
		}
	}
	res, err := loop.Run(ctx)
	net.Summary.Training = false
	if err != nil {
		return nil, err
	}
	sum.Finish(start, res, hist.Loss, spe)
	sum.History = hist.Val
	sum.Val, sum.Best = rundir.LastAndBest(hist.Val, func(a, b ValPoint) bool { return a.SSIM > b.SSIM })
	if sum.Model, err = rundir.SaveFinal(o.Out, res.Stopped, func(path string) error { return net.Save(path, meta(res.Last)) }); err != nil {
		return nil, err
	}
	return sum, rundir.WriteJSON(filepath.Join(o.Out, "train.json"), sum)
}

// resume loads the checkpoint at path into net, state and hist, refusing
// one written with another configuration or other data.
func resume(path string, step int, net *flow.Network, state *nn.TrainState, hist *history, cfgJSON, infJSON string) error {
	_, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return fmt.Errorf("resuming from %s: %w", path, err)
	}
	if err := rundir.CheckMeta(path, meta, metaConfig, cfgJSON, metaData, infJSON); err != nil {
		return err
	}
	if _, err := nn.LoadModel(path, net.Arena, net.Summary.Buffers()); err != nil {
		return fmt.Errorf("resuming from %s: %w", path, err)
	}
	net.Flow.SetInitialized(meta["actnorm_initialized"] != "false")
	return rundir.LoadProgress(path, step, state, net.Arena.NumParams(), hist, &hist.Loss)
}
