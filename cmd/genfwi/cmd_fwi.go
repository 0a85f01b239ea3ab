package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"genfwi/fwi"
	"genfwi/fwi/driver"
	"genfwi/internal/cli"
	"genfwi/metrics"
	"genfwi/wave"
)

// fwiOptions are the flags of "genfwi fwi".
type fwiOptions struct {
	Data, Model, True string
	Samples           string
	Init              string
	Out               string
	Iters             int
	Freqs             string
	Method, Param     string
	Step              float64
	DepthPower        float64
	Smooth            float64
	WaterRows         int
	Tikhonov, TV      float64
	ShotsPerEval      int
	SNR               float64
	Seed              uint64
	VMin, VMax        float64
	VTop, VBottom     float64
	FilterOrder       int
	Workers           int
	TapeBF16          bool
	Fresh             bool
	JSON              bool
}

func (o *fwiOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Data, "data", "", "observed seismic `file` (.npy, OpenFWI layout [N,5,1000,70] or [5,1000,70])")
	fs.StringVar(&o.Model, "model", "", "true velocity `file` (.npy [N,1,70,70] m/s): simulate the observed data with the OpenFWI-exact preset and invert each map")
	fs.StringVar(&o.True, "true", "", "true velocity `file` for model errors with --data (same sample indices)")
	fs.StringVar(&o.Samples, "samples", "0:1", "samples to invert, half-open range `A:B`")
	fs.StringVar(&o.Init, "init", "1d-special", "start model: 1d-special (needs the true model), gradient, or a .npy `file` (same sample indices, or one map)")
	fs.StringVar(&o.Out, "out", "", "output `directory` (results, checkpoints, figures)")
	fs.IntVar(&o.Iters, "iters", 10, "iterations per frequency band (>= 1)")
	fs.StringVar(&o.Freqs, "freqs", "4,6,10,0", "frequency-continuation low-pass cut-offs in Hz, in order; 0 = full band")
	fs.StringVar(&o.Method, "method", "lbfgs", "optimiser: lbfgs, pg (projected gradient) or adam")
	fs.StringVar(&o.Param, "param", "velocity", "parameterisation: velocity or slowness2 (squared slowness)")
	fs.Float64Var(&o.Step, "step", 0, "pg step / adam learning rate in m/s (0 = 50 for pg, 20 for adam)")
	fs.Float64Var(&o.DepthPower, "depth-power", 0, "gradient depth scaling exponent: g·z^p (WISE uses 1; 0 = none)")
	fs.Float64Var(&o.Smooth, "smooth", 1, "Gaussian smoothing of the gradient in cells (0 = none)")
	fs.IntVar(&o.WaterRows, "water-rows", 0, "rows from the top whose gradient is masked (water layer)")
	fs.Float64Var(&o.Tikhonov, "tikhonov", 0, "Tikhonov (first-difference) regularisation weight λ, ½λ‖∇v‖² with v in m/s")
	fs.Float64Var(&o.TV, "tv", 0, "total-variation regularisation weight λ, λ·Σ|∇v| with v in m/s")
	fs.IntVar(&o.ShotsPerEval, "shots-per-eval", 0, "random shots per gradient (adam only; 0 = all, WISER uses 1)")
	fs.Float64Var(&o.SNR, "snr", math.Inf(1), "add band-limited noise at this SNR in dB to the observed data (Inf = noise-free)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed (noise: seed+sample; shot subsets)")
	fs.Float64Var(&o.VMin, "vmin", 1500, "lower velocity bound in m/s")
	fs.Float64Var(&o.VMax, "vmax", 4500, "upper velocity bound in m/s")
	fs.Float64Var(&o.VTop, "vtop", 1500, "gradient start model: velocity at the top in m/s")
	fs.Float64Var(&o.VBottom, "vbottom", 4500, "gradient start model: velocity at the bottom in m/s")
	fs.IntVar(&o.FilterOrder, "filter-order", 4, "Butterworth order of the continuation low-pass (applied forward and backward)")
	fs.IntVar(&o.Workers, "workers", 0, "wave-simulation goroutines (0 = GOMAXPROCS)")
	fs.BoolVar(&o.TapeBF16, "tape-bf16", false, "store the gradient's forward Laplacians as bfloat16: half the memory and a faster gradient, ~1e-3 relative from the exact one (AVX-512 builds; wave.Options.TapeBF16)")
	fs.BoolVar(&o.Fresh, "fresh", false, "ignore existing checkpoints in --out and start over")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object with the summary as the last line of stdout")
}

// fwiCommand is "genfwi fwi".
func fwiCommand() *cli.Command {
	return &cli.Command{
		Name:      "fwi",
		UsageLine: "fwi (--data obs.npy [--true true.npy] | --model true.npy) [--samples A:B] --init {1d-special|gradient|file.npy} --out DIR [flags]",
		Short:     "full-waveform inversion of OpenFWI-geometry data (multiscale, bounded)",
		Long: `Fwi inverts OpenFWI-geometry seismic data (5 shots, 1000 samples of 1 ms,
70 receivers, 70×70 maps of 10 m) for velocity, one sample at a time, with
frequency continuation (--freqs: zero-phase Butterworth low-pass of data and
wavelet, e.g. 4 → 6 → 10 Hz → full band), velocity bounds (--vmin/--vmax) and
the optimiser of --method. The forward model is the OpenFWI-exact preset,
except that the sponge reference velocity is fixed to min(start model) during
the inversion so that the gradient is exact.

With --model, the observed data of each map are simulated with the
OpenFWI-exact preset (plus band-limited noise at --snr dB if given) and the
maps serve as the true models for the errors. With --data, --true is optional.

Per iteration a line goes to stderr: misfit, gradient norm, model error
(MAE/RMSE on OpenFWI's normalised scale and SSIM, when a true model is known),
PDE solves so far and elapsed time. Each sample writes to DIR/sample_<k>/:
inverted.npy, start.npy, history.json, misfit.png, compare.png (true / start /
inverted), snapshots.png (model after each band) and a checkpoint
(checkpoint.json + checkpoint.npy, rewritten atomically every iteration) from
which an interrupted run resumes when started again with the same flags.
DIR/summary.json and the --json line hold mean MAE / RMSE / SSIM of start and
result and the PDE solves.

Examples:
  genfwi fwi --model ../shared/data/openfwi/CurveVel_A/model/model11.npy --samples 0:10 --init 1d-special --out fwi-clean
  genfwi fwi --model model11.npy --samples 0:10 --snr 12 --init 1d-special --out fwi-12db --json
  genfwi fwi --data obs.npy --true model11.npy --samples 0:1 --init gradient --freqs 4,6,10,0 --method pg --out run1
`,
		Flags: optionsFlags("fwi", runFWI),
	}
}

func fwiParseFreqs(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || x < 0 {
			return nil, fmt.Errorf("%q is not a frequency >= 0 Hz", f)
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return nil, errors.New("no frequencies")
	}
	return out, nil
}

// driverOptions checks the flags and converts them to the driver's options
// (without the sample range).
func (o *fwiOptions) driverOptions() (driver.Options, error) {
	if (o.Data == "") == (o.Model == "") {
		return driver.Options{}, cli.Usagef("give exactly one of --data or --model")
	}
	if o.Out == "" {
		return driver.Options{}, cli.Usagef("--out is required")
	}
	if o.Iters < 1 {
		return driver.Options{}, cli.Usagef("--iters must be >= 1, got %d", o.Iters)
	}
	if o.Workers < 0 {
		return driver.Options{}, cli.Usagef("--workers must be >= 0, got %d", o.Workers)
	}
	bands, err := fwiParseFreqs(o.Freqs)
	if err != nil {
		return driver.Options{}, cli.Usagef("--freqs: %v", err)
	}
	method, err := fwi.ParseMethod(o.Method)
	if err != nil {
		return driver.Options{}, cli.Usagef("--method: %v", err)
	}
	param, err := fwi.ParseParam(o.Param)
	if err != nil {
		return driver.Options{}, cli.Usagef("--param: %v", err)
	}
	if !(o.VMin > 0 && o.VMax > o.VMin) {
		return driver.Options{}, cli.Usagef("--vmin/--vmax must satisfy 0 < vmin < vmax, got %g/%g", o.VMin, o.VMax)
	}
	if math.IsNaN(o.SNR) {
		return driver.Options{}, cli.Usagef("--snr must be a number of dB")
	}
	var reg fwi.Regularizer
	switch {
	case o.Tikhonov > 0 && o.TV > 0:
		return driver.Options{}, cli.Usagef("--tikhonov and --tv are exclusive")
	case o.Tikhonov > 0:
		reg = fwi.Tikhonov{Lambda: o.Tikhonov}
	case o.TV > 0:
		reg = fwi.TV{Lambda: o.TV}
	}
	cfg := fwi.Config{Method: method, Iters: o.Iters, Bands: bands, FilterOrder: o.FilterOrder,
		Bounds: fwi.Bounds{Min: o.VMin, Max: o.VMax}, Param: param,
		Precond: fwi.Precond{DepthPower: o.DepthPower, WaterRows: o.WaterRows, SmoothSigma: o.Smooth},
		Reg:     reg, Step: o.Step, ShotsPerEval: o.ShotsPerEval, Seed: o.Seed}
	if o.Init == driver.Init1DSpecial && o.Model == "" && o.True == "" {
		return driver.Options{}, cli.Usagef("--init 1d-special is built from the true model: give --true (or use --model)")
	}
	return driver.Options{Data: o.Data, Model: o.Model, True: o.True, Init: o.Init, Out: o.Out, Config: cfg,
		SNR: o.SNR, VTop: o.VTop, VBottom: o.VBottom, Workers: o.Workers, TapeBF16: o.TapeBF16, Fresh: o.Fresh}, nil
}

func runFWI(ctx context.Context, env *cli.Env, o *fwiOptions) error {
	d, err := o.driverOptions()
	if err != nil {
		return err
	}
	n, err := driver.Samples(o.Data, o.Model)
	if err != nil {
		return inputError(err)
	}
	if d.Lo, d.Hi, err = cli.ParseRange(o.Samples, n); err != nil {
		return cli.Usagef("--samples: %v", err)
	}
	outs := inDir("--out", o.Out, "summary.json")
	for k := d.Lo; k < d.Hi; k++ {
		outs = append(outs, inDir("--out", driver.SampleDir(o.Out, k), driver.SampleFiles()...)...)
	}
	ins := []fileArg{{"--data", o.Data}, {"--model", o.Model}, {"--true", o.True}}
	if !driver.BuiltInit(o.Init) {
		ins = append(ins, fileArg{"--init", o.Init})
	}
	if err := checkOutputs(outs, ins); err != nil {
		return err
	}
	if o.TapeBF16 && !wave.BF16TapeSupported() {
		fmt.Fprintln(env.Stderr, "warning: --tape-bf16 has no effect in this build (it needs the AVX-512 wave kernels); the gradient tape stays float32")
	}
	if !env.Quiet {
		d.OnResume = func(k int, dir string, st *fwi.State) {
			if st.Done {
				fmt.Fprintf(env.Stderr, "sample %d: already complete in %s (%d PDE solves); rewriting its results\n", k, dir, st.Solves)
			} else {
				fmt.Fprintf(env.Stderr, "sample %d: resuming at band %d iteration %d (%d PDE solves so far)\n", k, st.Band, st.Iter, st.Solves)
			}
		}
		d.OnIteration = func(k int, h fwi.Iteration, s *metrics.Scores) {
			line := fmt.Sprintf("sample %d band %d (%s) iter %d/%d misfit %.5g |g| %.3g", k, h.Band, driver.BandName(h.Cutoff), h.Iter, o.Iters, h.Misfit, h.GradNorm)
			if s != nil {
				line += fmt.Sprintf(" MAE %.4f RMSE %.4f SSIM %.4f", s.MAE, s.RMSE, s.SSIM)
			}
			fmt.Fprintf(env.Stderr, "%s solves %d elapsed %.1fs\n", line, h.Solves, h.Seconds)
		}
	}
	sum, err := driver.Run(ctx, d)
	if errors.Is(err, driver.ErrOtherRun) {
		return fmt.Errorf("%w; use --fresh to start over or another --out", err)
	}
	var ce *driver.ConfigError
	if errors.As(err, &ce) {
		return cli.Usagef("%v", ce.Err)
	}
	if err != nil {
		return inputError(err)
	}
	if o.JSON {
		sum.PerSample = nil
		return cli.WriteJSON(env.Stdout, sum)
	}
	if sum.Start != nil {
		s, r := sum.Start, sum.Result
		fmt.Fprintf(env.Stdout, "samples %d  start MAE %.4f RMSE %.4f SSIM %.4f  →  result MAE %.4f RMSE %.4f SSIM %.4f  (%d PDE solves)\n",
			sum.Samples, s.MAE, s.RMSE, s.SSIM, r.MAE, r.RMSE, r.SSIM, sum.Solves)
	} else {
		fmt.Fprintf(env.Stdout, "samples %d inverted (%d PDE solves); no true model given\n", sum.Samples, sum.Solves)
	}
	return nil
}
