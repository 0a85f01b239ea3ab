package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/wise"
)

// posteriorOptions are the flags of "genfwi posterior".
type posteriorOptions struct {
	Method     string
	Model      string
	Data       string
	CIG        string
	Vel        string
	Index      int
	Truth      string
	TruthIndex int
	N          int
	Seed       uint64
	ObsSeed    int64
	Out        string
	TraceZ     int
	TraceX     int
	HistZ      string
	JSON       bool
	// WISER
	Config    string
	Perturb   float64
	SNR       float64
	SNRSet    bool
	FWIOnly   bool
	Image     bool
	Baseline  bool
	TrainMode bool
	Outer     int
	Inner     int
	Coupling  float64
	Particles int
}

// posteriorCommand is "genfwi posterior".
func posteriorCommand() *cli.Command {
	return &cli.Command{
		Name:      "posterior",
		UsageLine: "posterior --method wise|wiser --model DIR (--data CIGDIR|VEL.npy | --cig DIR | --vel FILE.npy) [--index K] [--truth FILE.npy] [--n 64] --out DIR [--json]",
		Short:     "posterior samples of velocity from one observation (WISE, WISER)",
		Long: `Posterior draws samples of the velocity model given one observed data set
with a trained WISE network (genfwi train wise) and summarises them.

The observation is either
  --cig DIR --index K   pair K of a CIG data set (genfwi cig build): its gather
                        is the observation and its velocity the truth;
  --vel FILE --index K  map K of a velocity file ([N,1,nz,nx], [N,nz,nx] or
                        [nz,nx] m/s): a 70×70 OpenFWI map is resized to the
                        model's grid (bilinear, as the training maps), its data
                        are simulated with the model's survey (jittered sources
                        and noise from --obs-seed) and migrated into the gather;
                        the resized map is the truth.
--data is either: a directory means --cig, a file --vel. --truth FILE
(--truth-index K) replaces the truth.

The summary network runs in eval mode. Writes to --out: samples.npy
[N,1,nz,nx], cm.npy (conditional mean), std.npy (pointwise standard deviation),
truth.npy (the model the observation was simulated from, as resized or
perturbed), error.npy (|CM − truth|), metrics.json (SSIM/RMSE/MAE of the CM on OpenFWI's
scale and in m/s), and figures in the style of WISER's Fig. 1:
posterior_maps.png (truth, CM, std, error on common colour scales in m/s),
posterior_traces.png (a horizontal and a vertical trace with the 5–95 % band of
the samples and the truth) and posterior_histograms.png (values at two depths,
samples vs truth).

With --method wiser the WISE posterior of the observation is refined with
the wave equation (WISER: per-particle FWI steps and a latent correction
network; --config cpu|cpu-ood|paper|paper-ood or a JSON file). The observation
is always simulated from a velocity map (--vel, or the velocity of pair --index
of --cig), optionally perturbed out of distribution (--perturb 0.2, in km/s) and
with the noise level --snr (dB; 0 dB is allowed). Besides the posterior files
(of the final iteration; of WISE's starting posterior in wise_initial/) it
writes history.csv and curves_*.png (CM SSIM/RMSE, data misfit and inner loss
against PDE solves), particles.npy and wiser.json (WISE vs WISER: scores, data
misfit of the CM, W1 distances of the value histograms at the two depths, PDE
solves, data passes, seconds). After every outer iteration the npy and CSV
outputs are rewritten, so an interrupted run leaves the last complete
iteration's results (and its figures) behind.

Examples:
  genfwi posterior --method wise --model runs/wise --cig data/cig-test --index 3 --out out/post3 --json
  genfwi posterior --method wiser --model weights/wise-cpu --vel $D/CurveVel_A/model/model11.npy --index 0 --out out/wiser0
  genfwi posterior --method wiser --config cpu-ood --model weights/wise-cpu --vel $D/CurveVel_A/model/model11.npy --perturb 0.2 --snr 0 --out out/wiser-ood
  genfwi posterior --method wise --model runs/wise --vel $D/CurveVel_A/model/model11.npy --index 0 --out out/post-cv11-0`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &posteriorOptions{}
			fs.StringVar(&o.Method, "method", "wise", "posterior method: wise (amortized) or wiser (WISE refined with physics)")
			fs.StringVar(&o.Config, "config", "cpu", "wiser: preset (cpu, cpu-ood, cpu-ood-short, paper, paper-ood) or JSON file")
			fs.Float64Var(&o.Perturb, "perturb", 0, "wiser: out-of-distribution sinusoidal perturbation of the true map, amplitude in km/s (WISER: 0.2)")
			fs.Float64Var(&o.SNR, "snr", 0, "wiser: noise of the simulated observation in dB (default: the model's survey; 0 dB allowed)")
			fs.BoolVar(&o.FWIOnly, "fwi-only", false, "wiser: the particles' FWI steps without the latent correction (baseline)")
			fs.BoolVar(&o.Image, "image", false, "wiser: also migrate the data with the WISE and WISER conditional means and every WISER sample (image.npy, image.png: RTM, image mean and std)")
			fs.BoolVar(&o.Baseline, "fwi-baseline", false, "wiser: also run plain L-BFGS FWI from the 1d-special background on WISER's PDE-solve budget (fwi_baseline.npy/png)")
			fs.BoolVar(&o.TrainMode, "summary-train-mode", false, "sample with the summary network in training mode (dropout mask per sample, as WISE.jl; default eval mode)")
			fs.IntVar(&o.Outer, "outer", 0, "wiser: outer iterations (0 = the config's)")
			fs.IntVar(&o.Inner, "inner", -1, "wiser: inner Adam steps per outer iteration (-1 = the config's)")
			fs.Float64Var(&o.Coupling, "coupling", -1, "wiser: weight τ/γ² of the particle–sample term of WISER's Algorithm 1 in [0, 1] (-1 = the config's, 0 = WISER.jl's code)")
			fs.IntVar(&o.Particles, "particles", 0, "wiser: particles M (0 = the config's)")
			fs.StringVar(&o.Model, "model", "", "trained WISE run directory or .safetensors (required)")
			fs.StringVar(&o.Data, "data", "", "observation: a CIG data set directory (as --cig) or a velocity .npy file (as --vel)")
			fs.StringVar(&o.CIG, "cig", "", "CIG data set directory whose pair --index is the observation")
			fs.StringVar(&o.Vel, "vel", "", "velocity .npy file whose map --index is simulated and migrated")
			fs.IntVar(&o.Index, "index", 0, "pair or map index (from 0)")
			fs.StringVar(&o.Truth, "truth", "", "true velocity .npy (default: the observation's own velocity)")
			fs.IntVar(&o.TruthIndex, "truth-index", -1, "map of --truth (default: --index)")
			fs.IntVar(&o.N, "n", 0, "posterior samples (0 = the model config's, 64; wiser: 0 = the config's posterior_samples, else the M particle draws; N > 0 estimates both posteriors from N fresh draws)")
			fs.Uint64Var(&o.Seed, "seed", 1, "seed of the latent draws")
			fs.Int64Var(&o.ObsSeed, "obs-seed", -1, "--vel: seed of the source jitter and noise (-1 = --index)")
			fs.StringVar(&o.Out, "out", "", "output directory (required)")
			fs.IntVar(&o.TraceZ, "trace-z", -1, "row of the horizontal trace (cells, -1 = middle)")
			fs.IntVar(&o.TraceX, "trace-x", -1, "column of the vertical trace (cells, -1 = middle)")
			fs.StringVar(&o.HistZ, "hist-z", "", "two rows (cells) of the value histograms, e.g. 16,48 (default: ¼ and ¾ of the depth)")
			fs.BoolVar(&o.JSON, "json", false, "print one JSON summary object as the last stdout line")
			return cli.NoArgs("posterior", func(ctx context.Context, env *cli.Env) error {
				o.SNRSet = fs.Changed("snr")
				if o.Method == "wiser" && o.TrainMode {
					return cli.Usagef("--summary-train-mode applies to --method wise (WISER summarises the gather once, in eval mode)")
				}
				if o.Method != "wiser" && (o.Image || o.Baseline) {
					return cli.Usagef("--image and --fwi-baseline apply to --method wiser")
				}
				if o.Method == "wiser" {
					return runWISER(ctx, env, o)
				}
				return runPosterior(ctx, env, o)
			})
		},
	}
}

// posteriorObservation resolves --data/--cig/--vel into the source kind and
// path.
func posteriorObservation(o *posteriorOptions) (kind, path string, err error) {
	n := 0
	for _, s := range []string{o.Data, o.CIG, o.Vel} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return "", "", cli.Usagef("give exactly one observation: --data, --cig or --vel")
	}
	switch {
	case o.CIG != "":
		return "cig", o.CIG, nil
	case o.Vel != "":
		return "vel", o.Vel, nil
	}
	st, err := os.Stat(o.Data)
	if err != nil {
		return "", "", fmt.Errorf("--data: %w", err)
	}
	if st.IsDir() {
		return "cig", o.Data, nil
	}
	return "vel", o.Data, nil
}

func runPosterior(ctx context.Context, env *cli.Env, o *posteriorOptions) error {
	switch o.Method {
	case "wise":
	default:
		return cli.Usagef("--method %q: want wise or wiser", o.Method)
	}
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("posterior needs --model and --out")
	}
	if o.Index < 0 || o.N < 0 {
		return cli.Usagef("--index and --n must be >= 0")
	}
	histZ, err := o.histRows()
	if err != nil {
		return err
	}
	kind, src, m, err := o.open(wise.PosteriorFiles...)
	if err != nil {
		return err
	}
	m.Config.Posterior.SummaryTrainMode = o.TrainMode
	inf := m.Data
	po := experiments.PosteriorOptions{Model: m, Name: src, Index: o.Index, N: o.N, Seed: o.Seed, ObsSeed: uint64(o.Index), Out: o.Out,
		Figures: wise.FigureOptions{TraceZ: o.TraceZ, TraceX: o.TraceX, HistZ: histZ},
		Report: map[string]any{"method": o.Method, "model": m.Path, "model_step": m.Step, "index": o.Index, "seed": o.Seed,
			"rtm_only": m.Config.Train.RTMOnly, "data": src, "source": kind},
		Log: func(msg string) { fmt.Fprintln(env.Stderr, msg) }}
	if o.ObsSeed >= 0 {
		po.ObsSeed = uint64(o.ObsSeed)
	}
	switch kind {
	case "cig":
		var dataMaxY float32
		if po.Truth, po.Gather, dataMaxY, err = readCIGPair(src, o.Index, inf); err != nil {
			return err
		}
		if inf.MaxY > 0 && dataMaxY != inf.MaxY {
			fmt.Fprintf(env.Stderr, "gathers of %s rescaled to the model's max_y (%g → %g)\n", src, dataMaxY, inf.MaxY)
		}
	case "vel":
		if po.Velocity, err = readVelocityMap("--vel", src, o.Index, inf.Nz, inf.Nx); err != nil {
			return err
		}
		po.Truth = po.Velocity
	}
	if po.Truth, err = o.truthMap(inf, po.Truth); err != nil {
		return err
	}
	rep, err := experiments.Posterior(ctx, po)
	if err != nil {
		return inputError(err)
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, rep)
	}
	fmt.Fprintf(env.Stdout, "%d posterior samples → %s; mean std %.1f m/s", rep.Samples, o.Out, rep.MeanStd)
	if rep.Scores != nil {
		fmt.Fprintf(env.Stdout, "; CM SSIM %.4f RMSE %.4f MAE %.4f (RMSE %.1f m/s)", rep.Scores.OpenFWI.SSIM, rep.Scores.OpenFWI.RMSE, rep.Scores.OpenFWI.MAE, rep.Scores.MS.RMSE)
	}
	fmt.Fprintln(env.Stdout)
	return nil
}

// open resolves the observation (posteriorObservation), refuses unsafe
// outputs (checkOutputs) and only then loads the --model, so that a bad
// observation or --out costs no model load. outputs are the files the
// method writes in --out.
func (o *posteriorOptions) open(outputs ...string) (kind, src string, m *wise.Model, err error) {
	if kind, src, err = posteriorObservation(o); err != nil {
		return "", "", nil, err
	}
	if err := o.checkOutputs(kind, src, outputs...); err != nil {
		return "", "", nil, err
	}
	if m, err = wise.LoadModel(o.Model); err != nil {
		return "", "", nil, fmt.Errorf("--model: %w", err)
	}
	return kind, src, m, nil
}

// checkOutputs refuses an --out that is not a directory and outputs that
// cannot be written safely (checkOutDir) before anything is read.
func (o *posteriorOptions) checkOutputs(kind, src string, names ...string) error {
	ins := []fileArg{modelFileArg("--model", o.Model), {"--truth", o.Truth}}
	if kind == "vel" {
		ins = append(ins, fileArg{"--vel", src})
	}
	return checkOutDir(o.Out, names, ins...)
}

// readCIGPair reads pair index of the CIG data set src for a model of data
// description inf: the velocity and the gather, rescaled from the data set's
// max_y (returned) to the model's.
func readCIGPair(src string, index int, inf wise.DataInfo) (vel, gather []float32, dataMaxY float32, err error) {
	d, err := wise.OpenCIG(src)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("--cig: %w", err)
	}
	defer d.Close()
	if err := inf.Compatible(d.Info()); err != nil {
		return nil, nil, 0, fmt.Errorf("--cig %s: %w", src, err)
	}
	if index >= d.Len() {
		return nil, nil, 0, cli.Usagef("--index %d: %s holds %d pairs", index, src, d.Len())
	}
	pix := inf.Nz * inf.Nx
	vel, gather = make([]float32, pix), make([]float32, len(inf.Offsets)*pix)
	if err := d.Read(index, vel, gather); err != nil {
		return nil, nil, 0, fmt.Errorf("--cig %s: %w", src, err)
	}
	dataMaxY = d.Info().MaxY
	if s := dataMaxY / inf.MaxY; inf.MaxY > 0 && s != 1 {
		for i := range gather {
			gather[i] *= s
		}
	}
	return vel, gather, dataMaxY, nil
}

// truthMap returns the --truth map (--truth-index, else --index) on the
// model's grid, or def without --truth.
func (o *posteriorOptions) truthMap(inf wise.DataInfo, def []float32) ([]float32, error) {
	if o.Truth == "" {
		return def, nil
	}
	k := o.Index
	if o.TruthIndex >= 0 {
		k = o.TruthIndex
	}
	return readVelocityMap("--truth", o.Truth, k, inf.Nz, inf.Nx)
}

// histRows parses --hist-z, the rows (cells) of the value histograms.
func (o *posteriorOptions) histRows() ([]int, error) {
	var rows []int
	for _, f := range splitList(o.HistZ) {
		z, err := strconv.Atoi(f)
		if err != nil || z < 0 {
			return nil, cli.Usagef("--hist-z %q: want rows (cells) such as 16,48", o.HistZ)
		}
		rows = append(rows, z)
	}
	return rows, nil
}
