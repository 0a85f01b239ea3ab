package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
	"genfwi/models/invnet"
	"genfwi/upfwi"
)

// trainInvnetOptions are the flags of "genfwi train invnet".
type trainInvnetOptions struct {
	runFlags
	Norm       string
	Steps      int
	ValEvery   int
	Batch      int
	LR         float64
	InputNoise float64
	Workers    int
	Sims       int
	UPFWIOnly  bool // "train upfwi"
}

// trainUpfwiCommand is "genfwi train upfwi": train invnet with a config
// whose train.method is "upfwi".
func trainUpfwiCommand() *cli.Command {
	c := trainInvnetCommand()
	c.Name = "upfwi"
	c.UsageLine = strings.Replace(c.UsageLine, "train invnet", "train upfwi", 1)
	c.Short = "train InversionNet without velocity labels, UPFWI-style (seismic re-simulated by the wave engine)"
	c.Long = `Train upfwi trains InversionNet the way UPFWI does (Jin et al. 2022): the loss
compares the input seismic with the OpenFWI-exact re-simulation of the
predicted velocity (λ1·L1 + λ2·MSE in the normalised seismic space); its
gradient comes from the wave engine's exact adjoint and enters the network
through autograd's external cotangent. The batch's samples are simulated in
parallel (--workers single-threaded simulators). The velocities of --data are
not used for training, only those of the validation pairs. UPFWI's VGG
perceptual loss is omitted (no VGG weights are available). The config's
train.method must be "upfwi" (preset upfwi-cpu, configs/invnet-upfwi-cpu.json).
Everything else (data, validation, checkpoints, resuming) is as in
"genfwi train invnet".

Example:
  genfwi train upfwi --config configs/invnet-upfwi-cpu.json --data data/openfwi-train/CurveVel_A:800 --out runs/upfwi`
	c.Flags = invnetFlags(true)
	return c
}

// trainInvnetCommand is "genfwi train invnet".
func trainInvnetCommand() *cli.Command {
	return &cli.Command{Name: "invnet",
		UsageLine: "train invnet --config FILE|PRESET --data DIR[:N][,DIR[:N]...] --out DIR [--val DIR|FRACTION] [--json] [flags]",
		Short:     "train OpenFWI's InversionNet on seismic–velocity pairs in the OpenFWI layout",
		Long: `Train invnet trains InversionNet (Wu & Lin 2019) as the OpenFWI benchmark
does (docs/baselines.md): AdamW (lr 1e-4, weight decay 1e-4 in the paper
preset), loss λ1·L1 + λ2·MSE on the normalised velocity, shuffled epochs,
seismic normalised with OpenFWI's log-min-max transform and, in the cpu
preset, decimated 4× in time (OpenFWI's --sample_temporal). A config with
train.method "velocitygan" (presets velocitygan-cpu, velocitygan-paper)
trains VelocityGAN: the same generator against a WGAN-GP critic with the
exact gradient penalty (critic in every checkpoint; invert with --method
velocitygan).

--data is a comma list of sources, each a directory holding velocity.npy and
seismic.npy ("genfwi sample" output), an OpenFWI dataset directory
(CurveVel_A/ with model/ and data/, e.g. from "genfwi dataset build"; only its
TRAINING files are read) or a directory of such dataset directories. DIR:N
takes N pairs of that source, spread evenly (e.g. 50 real pairs = 1 %).
Generated pairs do not name their dataset: give --norm (or train.norm).

Validation: --val names a second source list, or a fraction of --data held
out (spread evenly; default: the config's val_fraction). MAE/RMSE/SSIM per
epoch go to DIR/val.csv and DIR/val.png, the loss to DIR/loss.csv and
DIR/loss.png, the network to DIR/model.safetensors.

Progress (loss, ETA) goes to stderr. Checkpoints are written every
--checkpoint-every steps and at every epoch end, atomically; rerunning the
same command after an interruption (Ctrl-C, kill, --stop-after) resumes and
reproduces the uninterrupted run bit for bit. A run directory trained with
another configuration or other data is refused.

Examples:
  genfwi train invnet --config configs/invnet-cpu.json --data data/openfwi-train/CurveVel_A --out runs/invnet-full
  genfwi train invnet --config configs/invnet-cpu.json --data out/gen,data/openfwi-train/CurveVel_A:50 \
      --norm curvevel-a --val data/openfwi-val/CurveVel_A --out runs/invnet-gen1
  genfwi train invnet --config cpu --data out/gen --norm curvevel-a --epochs 1 --out runs/try --json
  genfwi train invnet --config velocitygan-cpu --data data/openfwi-train/CurveVel_A --out runs/velocitygan`,
		Flags: invnetFlags(false)}
}

// invnetFlags defines the flags of "train invnet" and "train upfwi"
// (upfwiOnly: the config must have train.method "upfwi").
func invnetFlags(upfwiOnly bool) func(fs *pflag.FlagSet) cli.RunFunc {
	return func(fs *pflag.FlagSet) cli.RunFunc {
		o := &trainInvnetOptions{UPFWIOnly: upfwiOnly}
		o.add(fs, "InversionNet config: a JSON file (configs/invnet-cpu.json, configs/invnet-paper.json, configs/invnet-velocitygan-cpu.json) or a preset name ("+strings.Join(invnet.PresetNames(), ", ")+")",
			"training pairs: comma list of DIR or DIR:N (see above)",
			"validation: a source list like --data, or a fraction in (0,1) of --data held out (default: the config's val_fraction)",
			"seed of weights, batch order and noise")
		fs.StringVar(&o.Norm, "norm", "", "comma list of OpenFWI datasets whose data_min/data_max normalise the seismic (default: the config's, else the datasets of --data)")
		fs.IntVar(&o.Steps, "steps", -1, "total optimiser steps instead of epochs (-1 = the config's, 0 = use epochs); gives regimes of different sizes the same number of steps")
		fs.IntVar(&o.ValEvery, "val-every", -1, "validation period in epochs (-1 = the config's; the last step is always validated)")
		fs.IntVar(&o.Batch, "batch", 0, "batch size (0 = the config's)")
		fs.Float64Var(&o.LR, "lr", 0, "AdamW learning rate (0 = the config's)")
		fs.Float64Var(&o.InputNoise, "input-noise", -1, "largest σ of Gaussian noise on the normalised seismic during training, drawn per sample uniformly from [0, σ] (-1 = the config's; 0 = clean)")
		fs.IntVar(&o.Workers, "workers", 0, "UPFWI: threads of the wave gradients (0 = GOMAXPROCS)")
		fs.IntVar(&o.Sims, "sims", 0, "UPFWI: wave simulators sharing --workers threads, each on its own samples of the batch (0 = 1: every thread on one sample's row bands, the faster split on 2 cores)")
		return cli.NoArgs("train", func(ctx context.Context, env *cli.Env) error {
			return runTrainInvnet(ctx, env, o)
		})
	}
}

func runTrainInvnet(ctx context.Context, env *cli.Env, o *trainInvnetOptions) error {
	if err := o.check("train invnet"); err != nil {
		return err
	}
	if o.Epochs < 0 || o.Steps < -1 || o.ValEvery < -1 || o.Batch < 0 || o.LR < 0 || o.StopAfter < 0 || o.CheckpointEvery < -1 || (o.InputNoise < 0 && o.InputNoise != -1) {
		return cli.Usagef("--epochs, --batch, --lr, --stop-after and --input-noise must be >= 0, --checkpoint-every >= 0")
	}
	cfg, valSpec, err := configureRun(&o.runFlags, "invnet", invnet.Preset, func(c *invnet.Config, frac float64) {
		t := &c.Train
		o.override(&t.Epochs, &t.CheckpointEvery, &t.Seed, &t.ValFraction, frac)
		setIfNonNegative(&t.Steps, o.Steps)
		setIfNonNegative(&t.ValEvery, o.ValEvery)
		setIfPositive(&t.Batch, o.Batch)
		setIfPositive(&t.LR, o.LR)
		setIfNonNegative(&t.InputNoise, o.InputNoise)
		if o.Norm != "" {
			t.Norm = splitList(o.Norm)
		}
	})
	if err != nil {
		return err
	}
	if o.UPFWIOnly && cfg.Train.Method != "upfwi" {
		return cli.Usagef("--config: train upfwi needs train.method \"upfwi\" (preset upfwi-cpu), %s has %q", o.Config, cfg.Train.Method)
	}
	if o.Workers < 0 || o.Sims < 0 {
		return cli.Usagef("--workers and --sims must be >= 0, got %d and %d", o.Workers, o.Sims)
	}
	if w := cmp.Or(o.Workers, runtime.GOMAXPROCS(0)); o.Sims > w {
		return cli.Usagef("--sims %d exceeds the %d threads of --workers: every simulator needs a thread", o.Sims, w)
	}
	for _, src := range strings.Split(o.Data+","+valSpec, ",") {
		if src = strings.TrimSpace(src); src != "" && sameDir(o.Out, strings.Split(src, ":")[0]) {
			return fmt.Errorf("--out %s is a data directory (%s): use another --out", o.Out, src)
		}
	}
	if err := checkRunDir(o.Out); err != nil {
		return err
	}
	train, err := invnet.OpenPairs(o.Data)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer train.Close()
	var val invnet.Pairs
	if valSpec != "" {
		vs, err := invnet.OpenPairs(valSpec)
		if err != nil {
			return fmt.Errorf("--val: %w", err)
		}
		defer vs.Close()
		val = vs
	}
	fmt.Fprintf(env.Stderr, "InversionNet (%s, %d parameters) on %d pairs: %s\n", cfg.Name, cfg.Network.NumParams(), train.Len(), train.Describe())
	bar := &trainProgress{env: env}
	defer bar.finish()
	train1 := func(ctx context.Context, to invnet.TrainOptions) (*invnet.TrainSummary, error) {
		return invnet.Train(ctx, to)
	}
	title := "train invnet"
	if cfg.Train.Method == "upfwi" {
		title = "train upfwi"
		train1 = func(ctx context.Context, to invnet.TrainOptions) (*invnet.TrainSummary, error) {
			return upfwi.Train(ctx, to, o.Workers, o.Sims)
		}
	}
	sum, err := train1(ctx, invnet.TrainOptions{Config: cfg, Train: train, Val: val, Out: o.Out, StopAfter: o.StopAfter,
		OnStep: func(s invnet.StepInfo) {
			bar.step(title, s.Start, s.Step, s.Steps, fmt.Sprintf("invnet epoch %d/%d loss %.4f", s.Epoch, s.Epochs, s.Loss))
		}})
	return bar.report(err, o.JSON, sum, func(w io.Writer) {
		writeEpochRun(w, "invnet", sum.Size, sum.Progress)
		if sum.Val != nil {
			fmt.Fprintf(w, "; validation MAE %.4f RMSE %.4f SSIM %.4f (%.1f m/s MAE)", sum.Val.MAE, sum.Val.RMSE, sum.Val.SSIM, sum.Val.MAEms)
		}
		fmt.Fprintf(w, " → %s\n", o.Out)
	})
}
