package invnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"

	"genfwi/autograd"
	"genfwi/figures"
	"genfwi/internal/atomicfile"
	"genfwi/internal/rundir"
	"genfwi/nn"
	"genfwi/openfwi"
	"genfwi/tensor"
)

// TrainOptions are the run-level settings of Train.
type TrainOptions struct {
	// Config is the training configuration (required).
	Config *Config
	// Train holds the training pairs (required).
	Train Pairs
	// Val holds the validation pairs; nil holds out
	// ⌈Config.Train.ValFraction·n⌉ training pairs instead (see HoldOut).
	Val Pairs
	// Out is the run directory: checkpoints, loss.csv/png, val.csv/png,
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
	// DataLoss, required when Config.Train.Method is "upfwi" and refused
	// otherwise, replaces the supervised loss: given the batch's predicted
	// normalised velocity (B, 1, 70, 70) and its raw seismic (B slices of
	// 5×1000×70), it returns the loss and its gradient with respect to the
	// prediction, which enters the network as the cotangent of
	// autograd.BackwardWith. The true velocity is then used only for
	// validation.
	DataLoss func(ctx context.Context, pred *tensor.Tensor, seis [][]float32) (float64, *tensor.Tensor, error)
}

// StepInfo describes one finished training step.
type StepInfo struct {
	// Step is the number of steps done, Steps the run's total.
	Step, Steps int
	// Epoch is the 1-based epoch of the step, Epochs the run's total.
	Epoch, Epochs int
	// Loss is the training loss of the step's batch.
	Loss float64
	// Start is the step the run (re)started from.
	Start int
}

// ValPoint is one validation: the network (eval mode) on held-out pairs.
type ValPoint struct {
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// TrainLoss is the mean training loss of the epoch's steps.
	TrainLoss float64 `json:"train_loss"`
	// MAE, RMSE (normalised [−1, 1] scale) and SSIM, OpenFWI's test.py
	// aggregate, and MAE/RMSE in m/s.
	MAE    float64 `json:"mae"`
	RMSE   float64 `json:"rmse"`
	SSIM   float64 `json:"ssim"`
	MAEms  float64 `json:"mae_ms"`
	RMSEms float64 `json:"rmse_ms"`
	Maps   int     `json:"maps"`
}

// TrainSummary is what a training run reports (also Out/train.json).
type TrainSummary struct {
	Out    string `json:"out"`
	Model  string `json:"model,omitempty"`
	Config string `json:"config"`
	Data   string `json:"data"`
	Norm   any    `json:"norm"`
	// Size: params … steps.
	rundir.Size
	// Progress: start_step … final_loss.
	rundir.Progress
	Val     *ValPoint  `json:"final_val,omitempty"`
	Best    *ValPoint  `json:"best_val,omitempty"`
	History []ValPoint `json:"-"`
}

// history is what a checkpoint keeps besides weights and optimiser state.
type history struct {
	Loss []float64  `json:"loss"` // per step
	Val  []ValPoint `json:"val"`
	// LossD and GP are VelocityGAN's critic loss and gradient penalty per
	// step.
	LossD []float64 `json:"loss_d,omitempty"`
	GP    []float64 `json:"gp,omitempty"`
}

// RNG streams: every random draw of a run is a function of the seed and
// the epoch or step, so a resumed run repeats the uninterrupted one
// without saving generator states.
const (
	streamInit = 0x696e6974 << 32 // network initialisation
	streamPerm = 0x7065726d << 32 // epoch permutation, | epoch
	streamStep = 0x73746570 << 32 // input noise of a step, | step
)

// Train trains an InversionNet on (velocity, seismic) pairs with OpenFWI's
// recipe (see the package documentation), checkpointing into o.Out and
// resuming from its latest checkpoint if there is one. Cancelling ctx
// writes a checkpoint at the last finished step and returns ctx's error.
func Train(ctx context.Context, o TrainOptions) (*TrainSummary, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.Config == nil || o.Train == nil || o.Out == "" {
		return nil, errors.New("invnet: Train needs a config, training pairs and an output directory")
	}
	cfg := *o.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tc := cfg.Train
	if (tc.Method == "upfwi") != (o.DataLoss != nil) {
		return nil, fmt.Errorf("invnet: train.method %q needs a physics data loss exactly when it is \"upfwi\" (use package upfwi to train UPFWI)", tc.Method)
	}
	normNames := tc.Norm
	if len(normNames) == 0 {
		normNames = o.Train.Datasets()
	}
	if len(normNames) == 0 {
		return nil, errors.New("invnet: the training data do not say which OpenFWI dataset they belong to (generated pairs): set train.norm in the config, e.g. [\"curvevel-a\"]")
	}
	norm, err := NormFor(normNames...)
	if err != nil {
		return nil, fmt.Errorf("invnet: normalisation: %w", err)
	}
	train, val := o.Train, o.Val
	dataDesc := train.Describe()
	if val == nil {
		if train, val, err = HoldOut(train, tc.ValFraction); err != nil {
			return nil, err
		}
	} else {
		dataDesc += " | val: " + val.Describe()
	}
	n := train.Len()
	spe := n / tc.Batch
	if spe < 1 {
		return nil, fmt.Errorf("invnet: %d training pairs make no batch of %d (lower train.batch_size)", n, tc.Batch)
	}
	steps, epochs := spe*tc.Epochs, tc.Epochs
	if tc.Steps > 0 {
		steps, epochs = tc.Steps, (tc.Steps+spe-1)/spe
	}
	if err := rundir.Create(o.Out); err != nil {
		return nil, fmt.Errorf("invnet: %w", err)
	}

	net, err := New(cfg.Network, rand.New(rand.NewPCG(tc.Seed, streamInit)))
	if err != nil {
		return nil, err
	}
	model := &Model{Net: net, Config: cfg, Norm: norm, Data: dataDesc}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	opt := nn.NewAdamW()
	opt.WeightDecay = tc.WeightDecay
	state := &nn.TrainState{Opt: opt}
	var adv *gan
	if tc.GAN != nil {
		if adv, err = newGAN(*tc.GAN, tc.Seed, tc.WeightDecay); err != nil {
			return nil, err
		}
		opt.Beta1, opt.Beta2 = tc.GAN.Beta1, tc.GAN.Beta2
	}
	var hist history
	start := 0
	sum := &TrainSummary{Out: o.Out, Config: cfg.Name, Data: dataDesc, Norm: norm,
		Size: rundir.Size{Params: net.NumParams(), Pairs: n, Batch: tc.Batch, Epochs: epochs, StepsPerEpoch: spe, Steps: steps}}
	if val != nil {
		sum.ValPairs = val.Len()
	}
	if path, step, err := LatestCheckpoint(o.Out); err == nil {
		if err := resume(path, step, model, state, &hist, string(cfgJSON)); err != nil {
			return nil, err
		}
		if adv != nil {
			if err := adv.load(filepath.Dir(path), step); err != nil {
				return nil, err
			}
		}
		start = step
		sum.Resumed = true
		log.Info("resuming InversionNet training", "step", step, "out", o.Out)
	} else if !errNotExist(err) {
		return nil, err
	}
	sum.StartStep = start

	meta := func(step int) map[string]string {
		return map[string]string{metaStep: strconv.Itoa(step), metaEpoch: strconv.Itoa(step / spe)}
	}
	checkpoint := func(step int) error {
		return rundir.WriteCheckpoint(o.Out, rundir.Checkpoint{Step: step, State: state, History: hist,
			Save: func(path string) error {
				if err := model.save(path, meta(step)); err != nil || adv == nil {
					return err
				}
				return adv.save(filepath.Dir(path), step)
			},
			Published: func() error { return writeCurves(o.Out, hist, spe) }})
	}

	var vset *valSet
	if val != nil && val.Len() > 0 {
		k := val.Len()
		if tc.ValMaps > 0 {
			k = min(k, tc.ValMaps)
		}
		if vset, err = loadValSet(val, k, cfg.Network, norm); err != nil {
			return nil, err
		}
	}
	valEvery := max(1, tc.ValEvery)
	validate := func(epoch, step int) error {
		if vset == nil {
			return nil
		}
		vp, err := vset.score(ctx, net)
		if err != nil {
			return err
		}
		vp.Epoch, vp.Step = epoch, step
		lo := (epoch - 1) * spe
		vp.TrainLoss = rundir.Mean(hist.Loss[min(lo, len(hist.Loss)):min(len(hist.Loss), lo+spe)])
		hist.Val = append(hist.Val, vp)
		log.Info("validation", "epoch", epoch, "mae", vp.MAE, "rmse", vp.RMSE, "ssim", vp.SSIM, "train_loss", vp.TrainLoss)
		if o.OnValidate != nil {
			o.OnValidate(vp)
		}
		return nil
	}
	T := cfg.Network.InputT()
	per := Shots * T * Receivers
	x := tensor.New(tc.Batch, Shots, T, Receivers)
	y := tensor.New(tc.Batch, 1, NZ, NX)
	raw, scratch := make([]float32, openfwi.DataLen), make([]float32, openfwi.DataLen)
	vel := make([]float32, openfwi.ModelLen)
	var seisBatch [][]float32 // raw seismic of the batch, for DataLoss
	if o.DataLoss != nil {
		seisBatch = make([][]float32, tc.Batch)
		for b := range seisBatch {
			seisBatch[b] = make([]float32, openfwi.DataLen)
		}
	}
	tp := autograd.NewTape()
	defer tp.Free()
	loop := rundir.Loop{Name: "invnet", Start: start, Steps: steps, StepsPerEpoch: spe, Pairs: n, Batch: tc.Batch,
		Seed: tc.Seed, PermStream: streamPerm, StopAfter: o.StopAfter, CheckpointEvery: tc.CheckpointEvery,
		Checkpoint: checkpoint}
	if vset != nil {
		loop.Validate = func(epoch, last int) error {
			err := validate(epoch, last)
			net.SetTraining(true) // validation runs in eval mode
			return err
		}
	}
	isValEpoch := func(epoch int) bool { return epoch%valEvery == 0 || epoch == epochs }
	loop.ValidateAt = func(epoch, last int) bool { return (last%spe == 0 && isValEpoch(epoch)) || last == steps }
	loop.Validated = func(epoch int) bool { return len(hist.Val) > 0 && hist.Val[len(hist.Val)-1].Epoch >= epoch }
	loop.Step = func(ctx context.Context, step, epoch int, batch []int) (float64, error) {
		rng := rand.New(rand.NewPCG(tc.Seed, streamStep|uint64(step)))
		for b, i := range batch {
			if seisBatch != nil {
				raw = seisBatch[b]
			}
			if err := train.Read(i, vel, raw); err != nil {
				return 0, fmt.Errorf("invnet: step %d: reading training pair %d: %w", step, i, err)
			}
			xv := x.Data[b*per : (b+1)*per]
			Input(cfg.Network, norm, xv, raw, scratch)
			if tc.InputNoise > 0 {
				addInputNoise(xv, tc.InputNoise, rng)
			}
			norm.Label(y.Data[b*openfwi.ModelLen:(b+1)*openfwi.ModelLen], vel)
		}
		var lv float64
		var cot *tensor.Tensor
		var loss, pred *autograd.Var
		var err error
		generator := true
		if adv != nil {
			// VelocityGAN: a critic update on the generator's current maps
			// every step, a generator update every n_critic-th step.
			tp.Reset()
			tp.NoGrad = true
			fake, err := net.Forward(tp.Const(x))
			tp.NoGrad = false
			if err != nil {
				return 0, err
			}
			lv = float64(lossOf(fake, tp.Const(y), tc.L1, tc.L2).Value.Data[0])
			ld, gp, err := adv.criticStep(tp, y, fake.Value.Clone(), tc.LR, rand.New(rand.NewPCG(tc.Seed, streamGP|uint64(step))))
			if err != nil {
				return 0, fmt.Errorf("invnet: step %d: critic: %w", step, err)
			}
			hist.LossD, hist.GP = append(hist.LossD, ld), append(hist.GP, gp)
			generator = (step+1)%adv.cfg.NCritic == 0
		}
		tp.Reset()
		net.Arena.ZeroGrad()
		if generator {
			if pred, err = net.Forward(tp.Const(x)); err != nil {
				return 0, err
			}
		}
		switch {
		case !generator:
		case o.DataLoss != nil:
			if lv, cot, err = o.DataLoss(ctx, pred.Value, seisBatch); err != nil {
				if ctx.Err() != nil {
					return 0, ctx.Err() // a clean stop: the loop checkpoints
				}
				return 0, fmt.Errorf("invnet: step %d: data loss: %w", step, err)
			}
		default:
			loss = lossOf(pred, tp.Const(y), tc.L1, tc.L2)
			if adv == nil {
				lv = float64(loss.Value.Data[0])
			} else {
				a, err := adv.adversarial(pred)
				if err != nil {
					return 0, err
				}
				loss = autograd.Add(loss, a)
			}
		}
		if math.IsNaN(lv) || math.IsInf(lv, 0) {
			return lv, nil // the loop reports it
		}
		switch {
		case !generator:
		case cot != nil:
			autograd.BackwardWith(pred, cot)
			opt.Step(net.Arena, tc.LR)
		default:
			autograd.Backward(loss)
			opt.Step(net.Arena, tc.LR)
		}
		return lv, nil
	}
	loop.Done = func(last, epoch int, loss float64) {
		hist.Loss = append(hist.Loss, loss)
		if o.OnStep != nil {
			o.OnStep(StepInfo{Step: last, Steps: steps, Epoch: epoch, Epochs: epochs, Loss: loss, Start: start})
		}
	}
	net.SetTraining(true)
	res, err := loop.Run(ctx)
	net.SetTraining(false)
	if err != nil {
		return nil, err
	}
	sum.Finish(start, res, hist.Loss, spe)
	sum.History = hist.Val
	sum.Val, sum.Best = rundir.LastAndBest(hist.Val, func(a, b ValPoint) bool { return a.MAE < b.MAE })
	if sum.Model, err = rundir.SaveFinal(o.Out, res.Stopped, func(path string) error { return model.save(path, meta(res.Last)) }); err != nil {
		return nil, err
	}
	return sum, rundir.WriteJSON(filepath.Join(o.Out, "train.json"), sum)
}

// lossOf is λ1·L1 + λ2·MSE, leaving out a term whose weight is 0.
func lossOf(pred, target *autograd.Var, l1, l2 float64) *autograd.Var {
	var loss *autograd.Var
	if l1 > 0 {
		loss = autograd.Scale(autograd.L1(pred, target), float32(l1))
	}
	if l2 > 0 {
		t := autograd.Scale(autograd.MSE(pred, target), float32(l2))
		if loss == nil {
			loss = t
		} else {
			loss = autograd.Add(loss, t)
		}
	}
	return loss
}

// resume loads the checkpoint at path into m, state and hist, refusing one
// written with another configuration or other data.
func resume(path string, step int, m *Model, state *nn.TrainState, hist *history, cfgJSON string) error {
	meta, err := nn.CheckpointMeta(path, Format, "an InversionNet")
	if err != nil {
		return fmt.Errorf("resuming: %w", err)
	}
	if err := rundir.CheckMeta(path, meta, metaConfig, cfgJSON, metaData, m.Data); err != nil {
		return err
	}
	if _, err := nn.LoadModel(path, m.Net.Arena, m.Net.Buffers()); err != nil {
		return fmt.Errorf("resuming from %s: %w", path, err)
	}
	return rundir.LoadProgress(path, step, state, m.Net.Arena.NumParams(), hist, &hist.Loss)
}

// valSet holds the validation inputs (normalised, decimated) and true maps
// in memory.
type valSet struct {
	x     *tensor.Tensor
	truth []float32 // m/s
	norm  openfwi.Norm
}

func loadValSet(val Pairs, k int, cfg NetConfig, norm openfwi.Norm) (*valSet, error) {
	per := Shots * cfg.InputT() * Receivers
	v := &valSet{x: tensor.New(k, Shots, cfg.InputT(), Receivers), truth: make([]float32, k*openfwi.ModelLen), norm: norm}
	raw, scratch := make([]float32, openfwi.DataLen), make([]float32, openfwi.DataLen)
	for i := 0; i < k; i++ {
		j := i * val.Len() / k
		if err := val.Read(j, v.truth[i*openfwi.ModelLen:(i+1)*openfwi.ModelLen], raw); err != nil {
			return nil, fmt.Errorf("invnet: reading validation pair %d: %w", j, err)
		}
		Input(cfg, norm, v.x.Data[i*per:(i+1)*per], raw, scratch)
	}
	return v, nil
}

// score runs the network in eval mode on the validation inputs.
func (v *valSet) score(ctx context.Context, net *Net) (ValPoint, error) {
	net.SetTraining(false)
	tp := autograd.NewTape()
	defer tp.Free()
	tp.NoGrad = true
	k := v.x.Shape[0]
	per := len(v.x.Data) / k
	pred := make([]float32, k*openfwi.ModelLen)
	const bs = 16
	for lo := 0; lo < k; lo += bs {
		if err := ctx.Err(); err != nil {
			return ValPoint{}, err
		}
		hi := min(k, lo+bs)
		xb := &tensor.Tensor{Shape: []int{hi - lo, Shots, net.Cfg.InputT(), Receivers}, Data: v.x.Data[lo*per : hi*per]}
		tp.Reset()
		y, err := net.Forward(tp.Const(xb))
		if err != nil {
			return ValPoint{}, err
		}
		v.norm.LabelInverse(pred[lo*openfwi.ModelLen:hi*openfwi.ModelLen], y.Value.Data)
	}
	a, b, err := Scores(v.truth, pred)
	if err != nil {
		return ValPoint{}, err
	}
	return ValPoint{MAE: a.MAE, RMSE: a.RMSE, SSIM: a.SSIM, MAEms: b.MAE, RMSEms: b.RMSE, Maps: k}, nil
}

// writeCurves writes loss.csv (every step), loss.png (mean loss per
// epoch) and, when there are validation points, val.csv and val.png.
func writeCurves(out string, h history, spe int) error {
	if err := rundir.WriteLossCurves(out, h.Loss, spe, rundir.LossPlot{Title: "InversionNet training loss",
		YLabel: "loss (normalised velocity)", Series: "mean training loss"}); err != nil {
		return err
	}
	if len(h.Val) == 0 {
		return nil
	}
	var sb strings.Builder
	sb.WriteString("epoch,step,train_loss,mae,rmse,ssim,mae_ms,rmse_ms,maps\n")
	var x, mae, rmse, ssim []float64
	for _, v := range h.Val {
		fmt.Fprintf(&sb, "%d,%d,%.6g,%.6f,%.6f,%.6f,%.3f,%.3f,%d\n", v.Epoch, v.Step, v.TrainLoss, v.MAE, v.RMSE, v.SSIM, v.MAEms, v.RMSEms, v.Maps)
		x = append(x, float64(v.Epoch))
		mae = append(mae, v.MAE)
		rmse = append(rmse, v.RMSE)
		ssim = append(ssim, v.SSIM)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "val.csv"), []byte(sb.String())); err != nil {
		return err
	}
	return figures.Lines(filepath.Join(out, "val.png"),
		figures.LineSpec{Title: fmt.Sprintf("InversionNet validation on %d held-out pairs", h.Val[len(h.Val)-1].Maps),
			XLabel: "epoch", YLabel: "OpenFWI scale"},
		figures.Series{Name: "MAE", X: x, Y: mae}, figures.Series{Name: "RMSE", X: x, Y: rmse}, figures.Series{Name: "SSIM", X: x, Y: ssim})
}

// addInputNoise adds Gaussian noise to one sample's normalised seismic x with
// a standard deviation drawn uniformly from [0, maxSigma], and returns that
// deviation. Drawing σ per sample (rather than a fixed σ) is WaveDiffusion's
// denoising augmentation (vqae TrainConfig.InputNoise): a noise-trained
// InversionNet then sees every noise level up to maxSigma, clean included, so
// the two noise-trained models of the baselines study are trained alike.
func addInputNoise(x []float32, maxSigma float64, rng *rand.Rand) float64 {
	sigma := maxSigma * rng.Float64()
	for k := range x {
		x[k] += float32(sigma * rng.NormFloat64())
	}
	return sigma
}
