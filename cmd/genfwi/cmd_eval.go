package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/internal/progress"
	"genfwi/wavediff"
)

type evalOptions struct {
	Model       string
	VQAE        string
	Real        string
	Samples     string
	N           int
	Points      int
	Sampler     string
	Steps       int
	X0          bool
	ClipX0      float64
	Out         string
	Seed        uint64
	Workers     int
	Proxy       string
	SepVelocity string
	SepSeismic  string
	JSON        bool
	AnyVQAE     bool
}

func (o *evalOptions) addFlags(fs *pflag.FlagSet) {
	root := defaultOpenFWIRoot()
	fs.StringVar(&o.Model, "model", "", "trained joint diffusion model: run directory or .safetensors (required)")
	fs.StringVar(&o.VQAE, "vqae", "", "its autoencoder (default: found from the model's metadata); must have the recorded SHA-256")
	fs.BoolVar(&o.AnyVQAE, "allow-vqae-mismatch", false, "accept a --vqae whose SHA-256 is not the one the model recorded")
	fs.StringVar(&o.Real, "real", filepath.Join(root, "CurveVel_A", "model", "model11.npy")+","+filepath.Join(root, "FlatVel_A", "model", "model11.npy"),
		"comma list of velocity files whose maps (range --samples of each) form the real reference pairs; seismic is simulated")
	fs.StringVar(&o.Samples, "samples", "0:8", "half-open map range A:B taken from each --real file")
	fs.IntVar(&o.N, "n", 16, "generated pairs (reverse curve / FD-proxy sets)")
	fs.IntVar(&o.Points, "points", 11, "pde-deviation: noise levels recorded per process")
	fs.StringVar(&o.Sampler, "sampler", "ddpm", "reverse process: ddpm or ddim")
	fs.IntVar(&o.Steps, "steps", 50, "DDIM steps")
	fs.Float64Var(&o.ClipX0, "clip-x0", 0, "clamp the sampler's x0-prediction to ±this many latent standard deviations (0 = off, LDM's default for latents)")
	fs.BoolVar(&o.X0, "x0", false, "pde-deviation: along the reverse process decode the x0-prediction ẑ0(z_t) instead of z_t")
	fs.StringVar(&o.Out, "out", "", "output directory (CSV, PNG, JSON) (required)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the sampler and the forward noise")
	fs.IntVar(&o.Workers, "workers", 0, "simulation goroutines (0 = GOMAXPROCS)")
	fs.StringVar(&o.Proxy, "proxy", "", "fd-proxy: the FD-proxy network trained by \"genfwi train fd-proxy\" (required)")
	fs.StringVar(&o.SepVelocity, "separate-velocity", "", "fd-proxy: diffusion model on a velocity-only autoencoder (separate generation)")
	fs.StringVar(&o.SepSeismic, "separate-seismic", "", "fd-proxy: diffusion model on a seismic-only autoencoder (separate generation)")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON summary object as the last stdout line")
}

// evalCheck validates the flags every eval subcommand but report shares.
func evalCheck(o *evalOptions) error {
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("--model and --out are required")
	}
	if o.N < 2 {
		return cli.Usagef("--n must be >= 2, got %d", o.N)
	}
	return checkSampler(o.Sampler, o.Steps)
}

// evalCommand is an eval subcommand on the shared flags; run validates
// what is specific to it.
func evalCommand(name, usage, short, long string, run func(ctx context.Context, env *cli.Env, o *evalOptions) error) *cli.Command {
	return &cli.Command{Name: name, UsageLine: usage, Short: short, Long: long,
		Flags: optionsFlags("eval "+name, func(ctx context.Context, env *cli.Env, o *evalOptions) error {
			if err := evalCheck(o); err != nil {
				return err
			}
			return run(ctx, env, o)
		})}
}

// withPoints checks --points (>= 2) before run.
func withPoints(run func(ctx context.Context, env *cli.Env, o *evalOptions) error) func(ctx context.Context, env *cli.Env, o *evalOptions) error {
	return func(ctx context.Context, env *cli.Env, o *evalOptions) error {
		if o.Points < 2 {
			return cli.Usagef("--points must be >= 2, got %d", o.Points)
		}
		return run(ctx, env, o)
	}
}

// evalGroup is "genfwi eval".
func evalGroup() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Short: "evaluate WaveDiffusion (PDE deviation, ε error, FD-proxy, demo report), WISE calibration and WISER studies",
		Long: `Eval measures how well generated pairs obey the wave equation and how close
they are to real ones.

Examples:
  genfwi eval pde-deviation --model runs/diff --out out/pde --json
  genfwi eval eps-error --model runs/diff --out out/eps --json
  genfwi eval autoencoder --model runs/vqae --out out/ae --json
  genfwi eval fd-proxy --proxy runs/fd-proxy --model runs/diff --separate-velocity runs/diff-vel --separate-seismic runs/diff-seis --out out/fd`,
		Subcommands: []*cli.Command{
			evalCommand("pde-deviation", "eval pde-deviation --model DIR --out DIR [--n 16] [--sampler ddpm|ddim] [--x0] [--json]",
				"PDE deviation of decoded pairs along forward noising and reverse sampling",
				`Eval pde-deviation re-simulates each decoded velocity with the OpenFWI-exact
forward model F and measures the deviation from the decoded seismic ŝ:
MSE(N(ŝ), N(F(v̂))) in the normalised space and ‖ŝ − F(v̂)‖/‖F(v̂)‖ in
physical units, at --points noise levels along (a) forward
noising of the latents of real pairs (--real, --samples) and (b) reverse
sampling of --n new pairs (z_t decoded, or ẑ0(z_t) with --x0). Also the
floors: real pairs (0 by construction), real pairs at model resolution
(resize only) and autoencoder reconstructions. Writes pde_deviation.csv,
pde_deviation.png, pde_deviation_rel_l2.png and pde_deviation.json.

Example:
  genfwi eval pde-deviation --model runs/diff --out out/pde --json`,
				withPoints(runEvalPDE)),
			evalCommand("eps-error", "eval eps-error --model DIR --out DIR [--points 11] [--json]",
				"ε-prediction error per timestep vs the Gaussian-optimal predictor",
				`Eval eps-error measures the ε-prediction error (the training loss, L1) at
--points timesteps on the latents of the real pairs, next to the
Gaussian-optimal predictor √(1−ᾱ_t)·z_t and the error it causes in the
x0-prediction. A model above the Gaussian line near t = T has not learnt the
high-noise regime, and its samples drift (docs/wavediffusion.md). Writes
eps_error.csv, eps_error.png and eps_error.json.

Example:
  genfwi eval eps-error --model runs/diff --out out/eps --json`,
				withPoints(runEvalEps)),
			evalCommand("fd-proxy", "eval fd-proxy --proxy DIR --model DIR [--separate-velocity DIR --separate-seismic DIR] --out DIR [--json]",
				"FD-proxy distance of generated to real pairs, joint vs separate models",
				`Eval fd-proxy computes the Fréchet distance between Gaussian fits of the
features of a fixed network genfwi trains itself ("FD-proxy"; NOT the
Inception FID of the paper) for generated vs real velocity maps and seismic
data, for the joint model and (if given) separately trained single-modality
models, with the PDE deviation of both kinds of pairs (Table 4 style). Writes
fd_proxy.json and fd_proxy.md.

Example:
  genfwi eval fd-proxy --proxy runs/fd-proxy --model runs/diff --separate-velocity runs/diff-vel --separate-seismic runs/diff-seis --out out/fd`,
				func(ctx context.Context, env *cli.Env, o *evalOptions) error {
					if o.Proxy == "" {
						return cli.Usagef("eval fd-proxy needs --proxy (train one with \"genfwi train fd-proxy\")")
					}
					if (o.SepVelocity == "") != (o.SepSeismic == "") {
						return cli.Usagef("give both --separate-velocity and --separate-seismic, or neither")
					}
					return runEvalFD(ctx, env, o)
				}),
			evalAutoencoderCommand(),
			evalReportCommand(),
			evalCalibrationCommand(),
			evalWISERCommand(),
			evalBaselinesCommand(),
		},
	}
}

// evalSetup loads the models and simulates the real reference pairs of the
// options.
func evalSetup(ctx context.Context, env *cli.Env, o *evalOptions) (*experiments.Setup, error) {
	lo, hi, err := cli.ParseRange(o.Samples, 1<<30)
	if err != nil {
		return nil, cli.Usagef("--samples: %v", err)
	}
	real := splitList(o.Real)
	if len(real) == 0 {
		return nil, cli.Usagef("--real names no velocity file")
	}
	if o.ClipX0 < 0 {
		return nil, cli.Usagef("--clip-x0 must be ≥ 0, got %g", o.ClipX0)
	}
	s, err := experiments.Load(ctx, experiments.SetupOptions{Model: o.Model, VQAE: o.VQAE, AnyVQAE: o.AnyVQAE,
		Real: real, Lo: lo, Hi: hi, Bar: progressBars(env)})
	return s, vqaeHint(inputError(err))
}

// progressBars starts cli progress bars on env for a library.
func progressBars(env *cli.Env) progress.Start {
	return func(total int, what string) progress.Bar { return cli.NewProgress(env, total, what) }
}

// sampling is the generation part of the options.
func (o *evalOptions) sampling() experiments.Sampling {
	return experiments.Sampling{N: o.N, Sampler: o.Sampler, Steps: o.Steps, ClipX0: o.ClipX0, Seed: o.Seed, Workers: o.Workers}
}

func runEvalPDE(ctx context.Context, env *cli.Env, o *evalOptions) error {
	s, err := evalSetup(ctx, env, o)
	if err != nil {
		return err
	}
	bar := cli.NewProgress(env, 2*o.Points, "pde deviation")
	defer bar.Finish()
	res, err := experiments.PDEDeviation(ctx, s, experiments.PDEOptions{Sampling: o.sampling(), Points: o.Points, X0: o.X0, Out: o.Out,
		OnPoint: func(p wavediff.CurvePoint) {
			bar.Add(1)
			bar.Describe(fmt.Sprintf("%s t=%d dev %.3g", p.Process, p.Level, p.Stats.MeanMSENorm))
		}})
	bar.Finish()
	if err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fwd, fl := res.Forward, res.Floors
	fmt.Fprintf(env.Stdout, "reverse: mean MSE_norm %.4g at t=T → %.4g at t=0 (×%.1f, %.0f%% of steps non-increasing)\n",
		res.Reverse[0].Stats.MeanMSENorm, res.ReverseFinalMSENorm, res.ReverseTOver0, 100*res.ReverseMonotoneFrac)
	fmt.Fprintf(env.Stdout, "forward: %.4g at t=0 → %.4g at t=T; floors: real %.3g, resize %.3g, autoencoder %.3g → %s\n",
		fwd[0].Stats.MeanMSENorm, fwd[len(fwd)-1].Stats.MeanMSENorm, fl.Real.MeanMSENorm, fl.Resize.MeanMSENorm, fl.Autoencoder.MeanMSENorm, o.Out)
	return nil
}

func runEvalEps(ctx context.Context, env *cli.Env, o *evalOptions) error {
	s, err := evalSetup(ctx, env, o)
	if err != nil {
		return err
	}
	res, err := experiments.EpsError(ctx, s, o.Points, o.Seed, o.Out)
	if err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fmt.Fprintf(env.Stdout, "%6s %10s %12s %10s\n", "t", "model L1", "Gaussian L1", "ẑ0 L1")
	for _, p := range res.Points {
		fmt.Fprintf(env.Stdout, "%6d %10.4f %12.4f %10.4f\n", p.T, p.Model, p.Gaussian, p.X0)
	}
	fmt.Fprintf(env.Stdout, "→ %s\n", o.Out)
	return nil
}

func runEvalFD(ctx context.Context, env *cli.Env, o *evalOptions) error {
	proxy, proxyPath, err := experiments.LoadProxy(o.Proxy)
	if err != nil {
		return inputError(err)
	}
	s, err := evalSetup(ctx, env, o)
	if err != nil {
		return err
	}
	res, err := experiments.FDProxy(ctx, s, proxy, proxyPath, experiments.FDOptions{Sampling: o.sampling(), Proxy: o.Proxy,
		SepVelocity: o.SepVelocity, SepSeismic: o.SepSeismic, Out: o.Out,
		Log: func(msg string) { fmt.Fprintln(env.Stderr, msg) }})
	if err != nil {
		return inputError(err)
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fmt.Fprint(env.Stdout, res.Table)
	return nil
}

// evalAutoencoderCommand is "genfwi eval autoencoder".
func evalAutoencoderCommand() *cli.Command {
	return &cli.Command{Name: "autoencoder",
		UsageLine: "eval autoencoder --model DIR --out DIR [--real FILES] [--samples 0:32] [--json]",
		Short:     "an autoencoder's reconstruction of real test pairs, and its grid's floor",
		Long: `Eval autoencoder encodes and decodes real pairs (the maps --samples of each
--real velocity file, seismic simulated with the OpenFWI-exact preset) with a
WaveDiffusion autoencoder — a joint one reads both modalities, a
one-in-two-out one reads the seismic and inverts the velocity — and scores
both outputs against the pairs in the OpenFWI layout: seismic relative L2 in
physical units and MSE/MAE in the normalised space, velocity MAE/RMSE/SSIM on
OpenFWI's normalised scale and in m/s. It also reports what the round trip
through the model's grid alone costs the seismic (the floor no network can
beat). Needs no diffusion model, so it scores checkpoints of a run in
progress. Writes autoencoder.json.

Example:
  genfwi eval autoencoder --model runs/pretrain/vqae --samples 0:32 --out out/ae --json`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			root := defaultOpenFWIRoot()
			var model, real, samples, out string
			var asJSON bool
			fs.StringVar(&model, "model", "", "autoencoder with a seismic encoder: run directory (its latest checkpoint) or .safetensors (required)")
			fs.StringVar(&real, "real", filepath.Join(root, "CurveVel_A", "model", "model11.npy")+","+filepath.Join(root, "FlatVel_A", "model", "model11.npy"),
				"comma list of velocity files whose maps (range --samples of each) are the real pairs; seismic is simulated")
			fs.StringVar(&samples, "samples", "0:32", "half-open map range A:B taken from each --real file")
			fs.StringVar(&out, "out", "", "output directory (autoencoder.json) (required)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON summary object as the last stdout line")
			return cli.NoArgs("eval autoencoder", func(ctx context.Context, env *cli.Env) error {
				if model == "" || out == "" {
					return cli.Usagef("eval autoencoder needs --model and --out")
				}
				lo, hi, err := cli.ParseRange(samples, 1<<30)
				if err != nil {
					return cli.Usagef("--samples: %v", err)
				}
				reals := splitList(real)
				if len(reals) == 0 {
					return cli.Usagef("--real names no velocity file")
				}
				ins := []fileArg{modelFileArg("--model", model)}
				for _, r := range reals {
					ins = append(ins, fileArg{"--real", r})
				}
				if err := checkOutDir(out, []string{"autoencoder.json"}, ins...); err != nil {
					return err
				}
				ae, codec, err := wavediff.LoadVQAE(model)
				if err != nil {
					return fmt.Errorf("--model: %w", err)
				}
				if !ae.Cfg.Mode.HasSeismicEncoder() {
					return fmt.Errorf("--model: the %s autoencoder has no seismic encoder", ae.Cfg.Mode)
				}
				var vels, seis []float32
				for _, r := range reals {
					v, s, err := experiments.RealPairs(ctx, r, lo, hi, progressBars(env))
					if err != nil {
						return fmt.Errorf("--real %s: %w", r, err)
					}
					vels, seis = append(vels, v...), append(seis, s...)
				}
				res, err := experiments.AutoencoderEval(ctx, ae, codec, model, vels, seis, out)
				if err != nil {
					return err
				}
				if asJSON {
					return cli.WriteJSON(env.Stdout, res)
				}
				r := res.Reconstruction
				fmt.Fprintf(env.Stdout, "%s (%s, %s grid), %d pairs: seismic relative L2 %.4f (MSE_norm %.4g; the grid alone %.4f), velocity MAE %.4f RMSE %.4f SSIM %.4f (%.1f m/s)\n",
					model, res.Mode, res.Geometry, res.N, r.Seismic.RelL2, r.Seismic.MSENorm, res.GridFloor.RelL2, r.Velocity.MAE, r.Velocity.RMSE, r.Velocity.SSIM, r.VelocityMS.MAE)
				return nil
			})
		},
	}
}
