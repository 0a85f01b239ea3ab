package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
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
func evalCheck(o *evalOptions, args []string) error {
	if len(args) != 0 {
		return cli.Usagef("takes no arguments, got %q", args)
	}
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("--model and --out are required")
	}
	if o.N < 2 {
		return cli.Usagef("--n must be >= 2, got %d", o.N)
	}
	return checkSampler(o.Sampler, o.Steps)
}

// evalCommand is an eval subcommand on the shared flags; check validates
// what is specific to it.
func evalCommand(name, usage, short, long string, run func(ctx context.Context, env *cli.Env, o *evalOptions) error) *cli.Command {
	return &cli.Command{Name: name, UsageLine: usage, Short: short, Long: long,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &evalOptions{}
			o.addFlags(fs)
			return func(ctx context.Context, env *cli.Env, args []string) error {
				if err := evalCheck(o, args); err != nil {
					return err
				}
				return run(ctx, env, o)
			}
		}}
}

func init() {
	register(&cli.Command{
		Name:  "eval",
		Short: "evaluate WaveDiffusion (PDE deviation, ε error, FD-proxy, demo report) and WISE calibration",
		Long: `Eval measures how well generated pairs obey the wave equation and how close
they are to real ones.

Examples:
  genfwi eval pde-deviation --model runs/diff --out out/pde --json
  genfwi eval eps-error --model runs/diff --out out/eps --json
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
				func(ctx context.Context, env *cli.Env, o *evalOptions) error {
					if o.Points < 2 {
						return cli.Usagef("--points must be >= 2, got %d", o.Points)
					}
					return runEvalPDE(ctx, env, o)
				}),
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
				func(ctx context.Context, env *cli.Env, o *evalOptions) error {
					if o.Points < 2 {
						return cli.Usagef("--points must be >= 2, got %d", o.Points)
					}
					return runEvalEps(ctx, env, o)
				}),
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
			evalReportCommand(),
			evalCalibrationCommand(),
		},
	})
}

// evalReal reads and simulates the real reference pairs of the options.
func evalReal(ctx context.Context, env *cli.Env, o *evalOptions) (vels, seis []float32, err error) {
	for _, f := range strings.Split(o.Real, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		lo, hi, err := cli.ParseRange(o.Samples, 1<<30)
		if err != nil {
			return nil, nil, cli.Usagef("--samples: %v", err)
		}
		v, s, err := realPairs(ctx, env, f, lo, hi)
		if err != nil {
			return nil, nil, fmt.Errorf("--real %s: %w", f, err)
		}
		vels, seis = append(vels, v...), append(seis, s...)
	}
	if len(vels) == 0 {
		return nil, nil, cli.Usagef("--real names no velocity file")
	}
	return vels, seis, nil
}

func monotoneFraction(ps []wavediff.CurvePoint, increasing bool) float64 {
	if len(ps) < 2 {
		return 1
	}
	ok := 0
	for i := 1; i < len(ps); i++ {
		d := ps[i].Stats.MeanMSENorm - ps[i-1].Stats.MeanMSENorm
		if (increasing && d >= 0) || (!increasing && d <= 0) {
			ok++
		}
	}
	return float64(ok) / float64(len(ps)-1)
}

// evalSetup is what every eval subcommand starts from: the diffusion model
// and its autoencoder, and the real reference pairs (OpenFWI layout and model
// resolution). t0 is taken after loading the models.
type evalSetup struct {
	dm         *diffusion.Model
	ae         *vqae.Model
	codec      wavediff.Codec
	vels, seis []float32
	real       *wavediff.Pairs
	t0         time.Time
}

func loadEvalSetup(ctx context.Context, env *cli.Env, o *evalOptions) (*evalSetup, error) {
	dm, ae, codec, err := loadDiffusion(o.Model, o.VQAE, o.AnyVQAE)
	if err != nil {
		return nil, err
	}
	e := &evalSetup{dm: dm, ae: ae, codec: codec, t0: time.Now()}
	if e.vels, e.seis, err = evalReal(ctx, env, o); err != nil {
		return nil, err
	}
	e.real = wavediff.PairsFromFull(codec, e.vels, e.seis)
	return e, nil
}

func runEvalPDE(ctx context.Context, env *cli.Env, o *evalOptions) error {
	e, err := loadEvalSetup(ctx, env, o)
	if err != nil {
		return err
	}
	dm, ae, codec, vels, seis, real, t0 := e.dm, e.ae, e.codec, e.vels, e.seis, e.real, e.t0
	var fl wavediff.Floors
	if fl.Real, fl.Resize, err = wavediff.RealFloors(ctx, codec, vels, seis, o.Workers); err != nil {
		return err
	}
	if o.ClipX0 < 0 {
		return cli.Usagef("--clip-x0 must be ≥ 0, got %g", o.ClipX0)
	}
	co := wavediff.CurveOptions{Points: o.Points, Method: o.Sampler, Steps: o.Steps, X0: o.X0, ClipX0: o.ClipX0, Seed: o.Seed, Workers: o.Workers}
	bar := cli.NewProgress(env, 2*o.Points, "pde deviation")
	defer bar.Finish()
	co.OnPoint = func(p wavediff.CurvePoint) {
		bar.Add(1)
		bar.Describe(fmt.Sprintf("%s t=%d dev %.3g", p.Process, p.Level, p.Stats.MeanMSENorm))
	}
	co.Figure = filepath.Join(o.Out, "process_forward.png")
	fwd, err := wavediff.ForwardCurve(ctx, dm, ae, codec, real, co)
	if err != nil {
		return err
	}
	fl.Autoencoder = fwd[0].Stats
	co.Figure = filepath.Join(o.Out, "process_reverse.png")
	rev, gv, gs, err := wavediff.ReverseCurve(ctx, dm, ae, codec, o.N, co)
	bar.Finish()
	if err != nil {
		return err
	}
	if err := wavediff.WriteCurves(o.Out, fwd, rev, fl); err != nil {
		return err
	}
	k := min(4, o.N)
	rv, rs := real.ModelArrays()
	if err := wavediff.GalleryFigure(filepath.Join(o.Out, "final_samples.png"), "final samples of the reverse curve (left) and real pairs (right)",
		codec, gv[:k*wavediff.VelLen], gs[:k*wavediff.SeisLen], rv[:min(k, real.N)*wavediff.VelLen], rs[:min(k, real.N)*wavediff.SeisLen]); err != nil {
		return err
	}
	first, last := rev[0].Stats.MeanMSENorm, rev[len(rev)-1].Stats.MeanMSENorm
	res := map[string]any{
		"forward": fwd, "reverse": rev, "floors": fl,
		"reverse_T_over_0":        first / last,
		"reverse_T_over_0_rel_l2": rev[0].Stats.MeanRelL2 / rev[len(rev)-1].Stats.MeanRelL2,
		"reverse_monotone_frac":   monotoneFraction(rev, false),
		"forward_monotone_frac":   monotoneFraction(fwd, true),
		"forward_T_over_0":        fwd[len(fwd)-1].Stats.MeanMSENorm / fwd[0].Stats.MeanMSENorm,
		"reverse_final_mse_norm":  last,
		"reverse_final_rel_l2":    rev[len(rev)-1].Stats.MeanRelL2,
		"n_generated":             o.N,
		"n_real":                  real.N,
		"sampler":                 o.Sampler,
		"x0":                      o.X0,
		"clip_x0":                 o.ClipX0,
		"seconds":                 time.Since(t0).Seconds(),
		"csv":                     filepath.Join(o.Out, "pde_deviation.csv"),
		"png":                     filepath.Join(o.Out, "pde_deviation.png"),
	}
	if err := wavediff.WriteJSON(filepath.Join(o.Out, "pde_deviation.json"), res); err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fmt.Fprintf(env.Stdout, "reverse: mean MSE_norm %.4g at t=T → %.4g at t=0 (×%.1f, %.0f%% of steps non-increasing)\n", first, last, first/last, 100*monotoneFraction(rev, false))
	fmt.Fprintf(env.Stdout, "forward: %.4g at t=0 → %.4g at t=T; floors: real %.3g, resize %.3g, autoencoder %.3g → %s\n",
		fwd[0].Stats.MeanMSENorm, fwd[len(fwd)-1].Stats.MeanMSENorm, fl.Real.MeanMSENorm, fl.Resize.MeanMSENorm, fl.Autoencoder.MeanMSENorm, o.Out)
	return nil
}

func runEvalEps(ctx context.Context, env *cli.Env, o *evalOptions) error {
	e, err := loadEvalSetup(ctx, env, o)
	if err != nil {
		return err
	}
	dm, ae, real, t0 := e.dm, e.ae, e.real, e.t0
	ps, err := wavediff.EpsError(ctx, dm, ae, real, wavediff.EpsErrorTimesteps(dm.Sched.T, o.Points), o.Seed)
	if err != nil {
		return err
	}
	if err := wavediff.WriteEpsError(o.Out, ps); err != nil {
		return err
	}
	// Headline: the mean over the timesteps (≈ the training loss) and the
	// largest t at which the model is worse than the Gaussian predictor.
	var mean float64
	worseFrom := -1
	for _, p := range ps {
		mean += p.Model / float64(len(ps))
		if p.Model > p.Gaussian && p.T > worseFrom {
			worseFrom = p.T
		}
	}
	res := map[string]any{"points": ps, "mean_model_l1": mean, "max_t_worse_than_gaussian": worseFrom,
		"n_real": real.N, "seconds": time.Since(t0).Seconds(),
		"csv": filepath.Join(o.Out, "eps_error.csv"), "png": filepath.Join(o.Out, "eps_error.png")}
	if err := wavediff.WriteJSON(filepath.Join(o.Out, "eps_error.json"), res); err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fmt.Fprintf(env.Stdout, "%6s %10s %12s %10s\n", "t", "model L1", "Gaussian L1", "ẑ0 L1")
	for _, p := range ps {
		fmt.Fprintf(env.Stdout, "%6d %10.4f %12.4f %10.4f\n", p.T, p.Model, p.Gaussian, p.X0)
	}
	fmt.Fprintf(env.Stdout, "→ %s\n", o.Out)
	return nil
}

func runEvalFD(ctx context.Context, env *cli.Env, o *evalOptions) error {
	proxyPath, err := wavediff.ModelPath(o.Proxy)
	if err != nil {
		return fmt.Errorf("--proxy: %w", err)
	}
	proxy, err := wavediff.LoadProxyNet(proxyPath)
	if err != nil {
		return err
	}
	e, err := loadEvalSetup(ctx, env, o)
	if err != nil {
		return err
	}
	dm, ae, codec, t0 := e.dm, e.ae, e.codec, e.t0
	rv, rs := e.real.ModelArrays()
	if o.ClipX0 < 0 {
		return cli.Usagef("--clip-x0 must be ≥ 0, got %g", o.ClipX0)
	}
	gen := wavediff.GenerateOptions{Method: o.Sampler, Steps: o.Steps, ClipX0: o.ClipX0, Seed: o.Seed}
	type row struct {
		Setup      string                  `json:"setup"`
		FDVelocity float64                 `json:"fd_proxy_velocity"`
		FDSeismic  float64                 `json:"fd_proxy_seismic"`
		PDE        wavediff.DeviationStats `json:"pde_deviation"`
		Seconds    float64                 `json:"seconds_generate"`
	}
	score := func(setup string, v, s []float32, secs float64) (row, error) {
		r := row{Setup: setup, Seconds: secs}
		var err error
		if r.FDVelocity, err = proxy.FDProxy(ctx, "velocity", rv, v); err != nil {
			return r, err
		}
		if r.FDSeismic, err = proxy.FDProxy(ctx, "seismic", rs, s); err != nil {
			return r, err
		}
		d, err := wavediff.ModelDeviations(ctx, codec, v, s, o.Workers, nil)
		if err != nil {
			return r, err
		}
		r.PDE = wavediff.Summarize(d)
		return r, nil
	}
	fmt.Fprintf(env.Stderr, "generating %d joint pairs\n", o.N)
	ts := time.Now()
	gv, gs, err := wavediff.Generate(ctx, dm, ae, o.N, gen, nil)
	if err != nil {
		return err
	}
	rows := []row{}
	r, err := score("joint", gv, gs, time.Since(ts).Seconds())
	if err != nil {
		return err
	}
	rows = append(rows, r)
	if o.SepVelocity != "" {
		fmt.Fprintf(env.Stderr, "generating %d velocity maps and %d seismic samples with the separate models\n", o.N, o.N)
		ts = time.Now()
		dv, aev, _, err := wavediff.LoadDiffusion(o.SepVelocity, "")
		if err != nil {
			return fmt.Errorf("--separate-velocity: %w", err)
		}
		ds, aes, _, err := wavediff.LoadDiffusion(o.SepSeismic, "")
		if err != nil {
			return fmt.Errorf("--separate-seismic: %w", err)
		}
		sv, _, err := wavediff.Generate(ctx, dv, aev, o.N, gen, nil)
		if err != nil {
			return err
		}
		_, ss, err := wavediff.Generate(ctx, ds, aes, o.N, gen, nil)
		if err != nil {
			return err
		}
		if sv == nil || ss == nil {
			return fmt.Errorf("the separate models must decode velocity (--separate-velocity) and seismic (--separate-seismic)")
		}
		r, err := score("separate", sv, ss, time.Since(ts).Seconds())
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	// Real vs real: the FD-proxy of two halves of the reference set is the
	// sampling-noise floor of the metric at this set size.
	h := len(rv) / wavediff.VelLen / 2
	fv, err := proxy.FDProxy(ctx, "velocity", rv[:h*wavediff.VelLen], rv[h*wavediff.VelLen:2*h*wavediff.VelLen])
	if err != nil {
		return err
	}
	fs, err := proxy.FDProxy(ctx, "seismic", rs[:h*wavediff.SeisLen], rs[h*wavediff.SeisLen:2*h*wavediff.SeisLen])
	if err != nil {
		return err
	}
	var md strings.Builder
	md.WriteString("| Modality | Setup | FD-proxy | \n|---|---|---|\n")
	for _, mod := range []string{"velocity", "seismic"} {
		for _, r := range rows {
			v := r.FDVelocity
			if mod == "seismic" {
				v = r.FDSeismic
			}
			fmt.Fprintf(&md, "| %s | %s | %.4g |\n", mod, r.Setup, v)
		}
	}
	fmt.Fprintf(&md, "| velocity | real half vs real half (floor) | %.4g |\n| seismic | real half vs real half (floor) | %.4g |\n", fv, fs)
	md.WriteString("\n| Setup | PDE deviation mean MSE_norm | median | mean rel. L2 |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %.4g | %.4g | %.4g |\n", r.Setup, r.PDE.MeanMSENorm, r.PDE.MedianMSENorm, r.PDE.MeanRelL2)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	res := map[string]any{"rows": rows, "floor_fd_proxy_velocity": fv, "floor_fd_proxy_seismic": fs, "n_generated": o.N,
		"n_real": len(rv) / wavediff.VelLen, "proxy": proxyPath, "sampler": o.Sampler, "seconds": time.Since(t0).Seconds(),
		"metric": "FD-proxy: Fréchet distance on 64 features of genfwi's own FD-proxy autoencoders (not Inception FID)"}
	if err := wavediff.WriteJSON(filepath.Join(o.Out, "fd_proxy.json"), res); err != nil {
		return err
	}
	if err := wavediff.WriteFileAtomic(filepath.Join(o.Out, "fd_proxy.md"), []byte(md.String())); err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, res)
	}
	fmt.Fprint(env.Stdout, md.String())
	return nil
}
