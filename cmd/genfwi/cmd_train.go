package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
	"genfwi/internal/jsonconfig"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/wavediff"
)

// trainOptions are the flags of "genfwi train" (shared by its subcommands).
type trainOptions struct {
	Config          string
	Out             string
	Data            string
	Datasets        string
	PerDataset      int
	Pairs           string
	VQAE            string
	Model           string
	Steps           int
	StopAfter       int
	CheckpointEvery int
	SampleEvery     int
	Seed            uint64
	Workers         int
	Batch           int
	LR              float64
	Geometry        string
	JSON            bool
}

func (o *trainOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Config, "config", "", "model config: a JSON file (configs/vqae-cpu.json, configs/diffusion-cpu.json) or a built-in preset name (cpu, cpu-one-in, ...)")
	fs.StringVar(&o.Out, "out", "", "run directory (checkpoints, loss.csv, samples/, train.json, model.safetensors) (required)")
	fs.StringVar(&o.Data, "data", defaultOpenFWIRoot(), "directory holding the OpenFWI datasets (FlatVel_A/model/model1.npy, ...); only their TRAINING files are read")
	fs.StringVar(&o.Datasets, "datasets", "flatvel-a,curvevel-a", "comma list of datasets mixed into the training set")
	fs.IntVar(&o.PerDataset, "per-dataset", 0, "maps taken from each dataset's training split, spread evenly (0 = all)")
	fs.StringVar(&o.Pairs, "pairs", "", "training-pair cache file (default: DIR(out)/pairs-<datasets>-<n>.gfwd); rebuilt when its inputs differ")
	fs.StringVar(&o.VQAE, "vqae", "", "diffusion: the trained autoencoder (run directory or .safetensors) whose latents are diffused (required)")
	fs.StringVar(&o.Model, "model", "", "export: the trained model (run directory or .safetensors) to write as float16")
	fs.IntVar(&o.Steps, "steps", 0, "total optimiser steps (0 = the config's)")
	fs.IntVar(&o.StopAfter, "stop-after", 0, "stop after this step with a checkpoint, as if interrupted (rerun to resume)")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", 250, "checkpoint period in steps")
	fs.IntVar(&o.SampleEvery, "sample-every", 500, "period of sample figures in steps (0 = none)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the batch order and the training noise")
	fs.IntVar(&o.Workers, "workers", 0, "simulation goroutines when building the pair cache (0 = GOMAXPROCS)")
	fs.IntVar(&o.Batch, "batch", 16, "fd-proxy: batch size")
	fs.Float64Var(&o.LR, "lr", 1e-3, "fd-proxy: peak learning rate")
	fs.StringVar(&o.Geometry, "geometry", "resized64", "pairs: model resolution of the cache, resized64 or native70 (train vqae/diffusion take it from the autoencoder's config, fd-proxy always reads resized64)")
	fs.BoolVar(&o.JSON, "json", false, "print the training summary as one JSON object on the last stdout line")
}

// trainCommand is a train subcommand on the shared flags.
func trainCommand(name, usage, short, long string, run func(ctx context.Context, env *cli.Env, o *trainOptions) error) *cli.Command {
	return &cli.Command{Name: name, UsageLine: usage, Short: short, Long: long, Flags: optionsFlags("train "+name, run)}
}

// trainCommon is the part of every training subcommand's help about data,
// checkpoints and resuming.
const trainCommon = `
The training pairs come from the TRAINING split of the real OpenFWI maps
(--datasets, files 1–10 of the shipped subset; the test files 11–12 are never
read), with seismic simulated by the OpenFWI-exact wave preset (or read from a
dataset built by "genfwi dataset build" when --data points at one). They are
cached at the model resolution of the autoencoder's geometry (resized64:
velocity 64×64, seismic 5×256×64; native70: 70×70 and 5×256×70), float16, in
--pairs, so later runs reuse them; a cache of another geometry is rebuilt.

Progress (loss, rate, ETA) goes to stderr. Checkpoints are written every
--checkpoint-every steps, atomically; rerunning the same command after an
interruption (Ctrl-C, kill, --stop-after) resumes and reproduces the
uninterrupted run exactly.`

// trainGroup is "genfwi train".
func trainGroup() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Short: "train the WaveDiffusion autoencoder, latent diffusion or FD-proxy network, or the WISE flow",
		Long: `Train trains one stage of WaveDiffusion on seismic–velocity pairs made from the
TRAINING split of the real OpenFWI maps, or builds the pair cache, or exports
a trained model as float16.

Examples:
  genfwi train vqae --config cpu --per-dataset 500 --out runs/vqae --steps 2000
  genfwi train diffusion --config cpu --vqae runs/vqae --per-dataset 500 --out runs/diff --json`,
		Subcommands: []*cli.Command{
			trainCommand("vqae", "train vqae --config FILE|PRESET --out DIR [--steps N] [--json] [flags]",
				"train the dual VQ autoencoder (or the mode its config names)",
				`Train vqae trains the dual VQ autoencoder (or any mode the config names:
one-in-two-out, aligned, velocity, seismic). Sample figures go to DIR/samples/.
`+trainCommon+`

Example:
  genfwi train vqae --config configs/vqae-cpu.json --per-dataset 500 --out runs/vqae --steps 2000`,
				func(ctx context.Context, env *cli.Env, o *trainOptions) error { return runTrain(ctx, env, "vqae", o) }),
			trainCommand("diffusion", "train diffusion --config FILE|PRESET --vqae DIR --out DIR [--steps N] [--json] [flags]",
				"train the latent DDPM on an autoencoder's latents",
				`Train diffusion trains the latent DDPM on the autoencoder's pre-quantisation
latents; the final model.safetensors holds the EMA weights and names its
autoencoder (path and SHA-256). Sample figures go to DIR/samples/.
`+trainCommon+`

Example:
  genfwi train diffusion --config configs/diffusion-cpu.json --vqae runs/vqae --per-dataset 500 --out runs/diff --json`,
				func(ctx context.Context, env *cli.Env, o *trainOptions) error {
					return runTrain(ctx, env, "diffusion", o)
				}),
			trainCommand("fd-proxy", "train fd-proxy --out DIR [--steps 1500] [--batch 16] [--lr 1e-3] [--json] [flags]",
				"train the FD-proxy feature network (eval fd-proxy)",
				`Train fd-proxy trains the fixed feature network of the FD-proxy ("genfwi eval
fd-proxy"): one small convolutional autoencoder per modality.
`+trainCommon+`

Example:
  genfwi train fd-proxy --out runs/fd-proxy --steps 1500 --per-dataset 500`,
				func(ctx context.Context, env *cli.Env, o *trainOptions) error {
					return runTrain(ctx, env, "fd-proxy", o)
				}),
			trainCommand("pairs", "train pairs --pairs FILE [--per-dataset N] [--json]",
				"only build (or check) the training-pair cache",
				`Train pairs only builds (or checks) the training-pair cache and reports it.

Example:
  genfwi train pairs --pairs runs/pairs.gfwd --per-dataset 500`,
				runTrainPairs),
			trainCommand("export", "train export --model DIR --out FILE.safetensors",
				"write a float16 copy of a trained model",
				`Train export writes a float16 copy of a trained model (half the size; every
genfwi loader expands it to float32), as committed under weights/.

Example:
  genfwi train export --model runs/diff --out weights/diff/model.safetensors`,
				runTrainExport),
			trainWiseCommand(),
			trainInvnetCommand(),
			trainUpfwiCommand(),
		},
	}
}

// runTrainExport is "genfwi train export".
func runTrainExport(_ context.Context, env *cli.Env, o *trainOptions) error {
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("train export needs --model (run directory or .safetensors) and --out FILE")
	}
	src, err := wavediff.ModelPath(o.Model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	if err := checkOutputs([]fileArg{{"--out", o.Out}}, []fileArg{{"--model", src}}); err != nil {
		return err
	}
	if err := wavediff.CompactCheckpoint(src, o.Out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s → %s (float16)\n", src, o.Out)
	return nil
}

// trainPairs loads or builds the training pairs named by the options, at
// the model resolution of geometry g.
func trainPairs(ctx context.Context, env *cli.Env, o *trainOptions, g wavediff.Geometry) (*wavediff.Pairs, error) {
	ds := splitList(o.Datasets)
	if len(ds) == 0 {
		return nil, cli.Usagef("--datasets is empty")
	}
	if o.PerDataset < 0 {
		return nil, cli.Usagef("--per-dataset must be >= 0, got %d", o.PerDataset)
	}
	cache := o.Pairs
	if cache == "" {
		n := "all"
		if o.PerDataset > 0 {
			n = fmt.Sprint(o.PerDataset)
		}
		if g.Name != "resized64" {
			n += "-" + g.Name
		}
		cache = filepath.Join(filepath.Dir(filepath.Clean(o.Out)), fmt.Sprintf("pairs-%s-%s.gfwd", strings.Join(ds, "+"), n))
		o.Pairs = cache // reported by train pairs
	}
	if st, err := os.Stat(o.Data); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--data %s: not a directory of OpenFWI datasets", o.Data)
	}
	var bar *cli.Progress
	p, built, err := wavediff.LoadOrBuildTrainPairs(ctx, wavediff.TrainConfig{Root: o.Data, Datasets: ds, PerDataset: o.PerDataset, Geometry: g}, cache, o.Workers,
		func(n int) { bar = cli.NewProgress(env, n, "simulating training pairs") },
		func() { bar.Add(1) })
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, err
	}
	what := "read"
	if built {
		what = "built"
	}
	fmt.Fprintf(env.Stderr, "training pairs: %d (%s %s)\n", p.N, what, cache)
	return p, nil
}

func runTrainPairs(ctx context.Context, env *cli.Env, o *trainOptions) error {
	if o.Pairs == "" && o.Out == "" {
		return cli.Usagef("train pairs needs --pairs FILE (or --out DIR for the default name)")
	}
	g, err := wavediff.GeometryNamed(o.Geometry)
	if err != nil {
		return cli.Usagef("--geometry: %v", err)
	}
	t0 := time.Now()
	p, err := trainPairs(ctx, env, o, g)
	if err != nil {
		return err
	}
	res := map[string]any{"pairs": p.N, "key": p.Key, "seconds": time.Since(t0).Seconds(), "file": o.Pairs, "geometry": g.Name,
		"velocity_shape": append([]int{p.N}, g.VelShape()...), "seismic_shape": append([]int{p.N}, g.SeisShape()...)}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fmt.Fprintf(env.Stdout, "%d training pairs in %s\n", p.N, o.Pairs)
	return nil
}

// trainConfig is "train vqae"'s and "train diffusion"'s --config: a file or
// one of presets, validated once (configFlag).
func trainConfig[T any, P jsonconfig.Validator[T]](arg, kind string, presets []string, preset func(string) (*T, error)) (*T, error) {
	if arg == "" {
		return nil, cli.Usagef("--config is required (a config file or a preset: %s)", strings.Join(presets, ", "))
	}
	return configFlag[T, P](arg, kind, preset, nil)
}

func runTrain(ctx context.Context, env *cli.Env, sub string, o *trainOptions) error {
	if o.Out == "" {
		return cli.Usagef("--out is required")
	}
	if o.Steps < 0 || o.StopAfter < 0 || o.CheckpointEvery < 1 || o.SampleEvery < 0 {
		return cli.Usagef("--steps, --stop-after, --sample-every must be >= 0 and --checkpoint-every >= 1")
	}
	var vc *vqae.Config
	var dc *diffusion.Config
	var aePath string
	var err error
	g := wavediff.Resized64() // the FD-proxy network's grid
	switch sub {
	case "vqae":
		if vc, err = trainConfig[vqae.Config](o.Config, "vqae", vqae.PresetNames(), vqae.Preset); err != nil {
			return err
		}
		if g, err = wavediff.GeometryOf(vc); err != nil {
			return cli.Usagef("--config: %v", err)
		}
	case "diffusion":
		if dc, err = trainConfig[diffusion.Config](o.Config, "diffusion", diffusion.PresetNames(), diffusion.Preset); err != nil {
			return err
		}
		if o.VQAE == "" {
			return cli.Usagef("train diffusion needs --vqae (the trained autoencoder)")
		}
		if aePath, err = wavediff.ModelPath(o.VQAE); err != nil {
			return fmt.Errorf("--vqae: %w", err)
		}
		_, codec, err := wavediff.LoadVQAE(aePath)
		if err != nil {
			return fmt.Errorf("--vqae: %w", err)
		}
		g = codec.G()
		// The diffusion run's checkpoints and final model would replace
		// the autoencoder's own if both used one run directory.
		if ost, err := os.Stat(o.Out); err == nil {
			dirs := []string{filepath.Dir(aePath)}
			if strings.HasPrefix(filepath.Base(dirs[0]), "ckpt-") { // a checkpoint of the run
				dirs = append(dirs, filepath.Dir(dirs[0]))
			}
			for _, d := range dirs {
				if dst, err := os.Stat(d); err == nil && os.SameFile(ost, dst) {
					return fmt.Errorf("--out %s is the run directory of the autoencoder --vqae %s: use another --out", o.Out, o.VQAE)
				}
			}
		}
	case "fd-proxy":
		if o.Batch < 1 || o.LR <= 0 || o.Steps < 1 {
			return cli.Usagef("train fd-proxy needs --steps >= 1, --batch >= 1 and --lr > 0")
		}
	}
	pairs, err := trainPairs(ctx, env, o, g)
	if err != nil {
		return err
	}
	bar := &trainProgress{env: env}
	to := wavediff.TrainOptions{Out: o.Out, Steps: o.Steps, StopAfter: o.StopAfter, CheckpointEvery: o.CheckpointEvery,
		SampleEvery: o.SampleEvery, Seed: o.Seed,
		OnStep: func(s wavediff.StepInfo) {
			desc := fmt.Sprintf("%s loss %.4f", sub, s.Loss)
			if p, ok := s.Parts["perplexity"]; ok {
				desc += fmt.Sprintf(" ppl %.0f", p)
			}
			// The first step reported is the one after the run's start.
			bar.step("train "+sub, s.Step-1, s.Step, s.Steps, desc)
		}}
	var sum *wavediff.TrainSummary
	switch sub {
	case "vqae":
		sum, err = wavediff.TrainVQAE(ctx, vc, pairs, to)
	case "diffusion":
		fmt.Fprintf(env.Stderr, "encoding %d training pairs with %s\n", pairs.N, aePath)
		sum, err = wavediff.TrainDiffusion(ctx, dc, aePath, pairs, to)
	case "fd-proxy":
		sum, err = wavediff.TrainProxy(ctx, wavediff.ProxyConfig{Steps: o.Steps, Batch: o.Batch, LR: o.LR, Seed: o.Seed}, pairs, to)
	}
	return bar.report(err, o.JSON, sum, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d steps (from %d) in %.1f s (%.3f s/step, %.2f epochs), final loss %.5g → %s\n",
			sum.Kind, sum.Steps, sum.StartStep, sum.Seconds, sum.SecPerStep, sum.Epochs, sum.FinalLoss, o.Out)
	})
}
