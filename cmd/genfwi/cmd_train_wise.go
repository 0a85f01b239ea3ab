package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
	"genfwi/wise"
)

// trainWiseOptions are the flags of "genfwi train wise".
type trainWiseOptions struct {
	runFlags
	RTMOnly    bool
	ValSamples int
	ValMaps    int
}

// trainWiseCommand is "genfwi train wise".
func trainWiseCommand() *cli.Command {
	return &cli.Command{Name: "wise",
		UsageLine: "train wise --config FILE|PRESET --data CIGDIR [--val CIGDIR|FRACTION] --out DIR [--rtm-only] [--json] [flags]",
		Short:     "train the WISE conditional normalizing flow on (velocity, CIG) pairs",
		Long: `Train wise trains WISE's conditional normalizing flow and its summary UNet on
the (velocity, common-image gather) pairs of a data set built by "genfwi cig
build" (docs/wise.md): negative log-likelihood per pixel, Adam (lr 8e-4),
per-parameter gradient-norm clipping 3, batch 8, random x-flips of velocity
and gather, dequantisation noise on the velocity (0.1 km/s divided by 1.2 at
regular epochs, stretched to the configured epoch count, floor 1e-3). The flow
models velocity in km/s.

After every epoch the conditional mean of --val-samples posterior samples is
scored (SSIM, RMSE) on held-out pairs: --val names a second CIG data set, or a
fraction (e.g. 0.05) of --data held out (its last pairs). Curves go to
DIR/val.csv, DIR/val.png, DIR/loss.csv and DIR/loss.png; the network to
DIR/model.safetensors.

--rtm-only trains the ablation network of WISE on the zero-offset image (the
RTM) repeated over every offset channel.

Progress (loss, noise level, ETA) goes to stderr. Checkpoints are written
every --checkpoint-every steps and at every epoch end, atomically; rerunning
the same command after an interruption (Ctrl-C, kill, --stop-after) resumes
and reproduces the uninterrupted run bit for bit. A run directory trained
with another configuration is refused.

Examples:
  genfwi train wise --config configs/wise-cpu.json --data data/cig-train --val 0.05 --out runs/wise
  genfwi train wise --config configs/wise-cpu.json --data data/cig-train --val 0.05 --rtm-only --out runs/wise-rtm
  genfwi train wise --config cpu --data data/cig-train --val data/cig-val --epochs 2 --out runs/wise-try --json`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &trainWiseOptions{}
			o.add(fs, "WISE config: a JSON file (configs/wise-cpu.json, configs/wise-paper.json) or a preset name (cpu, paper)",
				"training CIG data set directory (genfwi cig build)",
				"validation: a CIG data set directory, or a fraction in (0,1) of --data held out (default: the config's val_fraction)",
				"seed of weights, batches, flips, noise and validation draws")
			fs.BoolVar(&o.RTMOnly, "rtm-only", false, "train on the zero-offset image repeated over the offsets (WISE's RTM-only ablation)")
			fs.IntVar(&o.ValSamples, "val-samples", -1, "posterior samples per validation map (-1 = the config's)")
			fs.IntVar(&o.ValMaps, "val-maps", -1, "validation maps per epoch (-1 = the config's)")
			return cli.NoArgs("train wise", func(ctx context.Context, env *cli.Env) error {
				return runTrainWise(ctx, env, o)
			})
		}}
}

func runTrainWise(ctx context.Context, env *cli.Env, o *trainWiseOptions) error {
	if err := o.check("train wise"); err != nil {
		return err
	}
	if o.Epochs < 0 || o.StopAfter < 0 || o.CheckpointEvery < -1 {
		return cli.Usagef("--epochs and --stop-after must be >= 0, --checkpoint-every >= 0")
	}
	cfg, valDir, err := configureRun(&o.runFlags, "wise", wise.Preset, func(c *wise.Config, frac float64) {
		t := &c.Train
		o.override(&t.Epochs, &t.CheckpointEvery, &t.Seed, &t.ValFraction, frac)
		setIfNonNegative(&t.ValSamples, o.ValSamples)
		setIfNonNegative(&t.ValMaps, o.ValMaps)
		t.RTMOnly = t.RTMOnly || o.RTMOnly
	})
	if err != nil {
		return err
	}
	if sameDir(o.Out, o.Data) {
		return fmt.Errorf("--out %s is the training data directory --data: use another --out", o.Out)
	}
	if err := checkRunDir(o.Out); err != nil {
		return err
	}
	train, err := wise.OpenCIG(o.Data)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer train.Close()
	var val wise.Pairs
	if valDir != "" {
		if sameDir(o.Out, valDir) {
			return fmt.Errorf("--out %s is the validation data directory --val", o.Out)
		}
		vd, err := wise.OpenCIG(valDir)
		if err != nil {
			return fmt.Errorf("--val: %w", err)
		}
		defer vd.Close()
		val = vd
	}
	fmt.Fprintf(env.Stderr, "WISE training on %d pairs of %s (%d×%d, %d offsets, max_y %g)\n",
		train.Len(), o.Data, train.Info().Nz, train.Info().Nx, len(train.Info().Offsets), train.Info().MaxY)
	bar := &trainProgress{env: env}
	defer bar.finish()
	title := "train wise"
	if cfg.Train.RTMOnly {
		title += " (rtm-only)"
	}
	sum, err := wise.Train(ctx, wise.TrainOptions{Config: cfg, Train: train, Val: val, Out: o.Out, StopAfter: o.StopAfter,
		OnStep: func(s wise.StepInfo) {
			bar.step(title, s.Start, s.Step, s.Steps, fmt.Sprintf("wise epoch %d/%d loss %.4f σ %.3g", s.Epoch, s.Epochs, s.Loss, s.Sigma))
		}})
	return bar.report(err, o.JSON, sum, func(w io.Writer) {
		writeEpochRun(w, "wise", sum.Size, sum.Progress)
		if sum.Val != nil {
			fmt.Fprintf(w, "; validation SSIM %.4f RMSE %.4f (%.1f m/s)", sum.Val.SSIM, sum.Val.RMSE, sum.Val.RMSEms)
		}
		fmt.Fprintf(w, " → %s\n", o.Out)
	})
}
