package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"genfwi/figures"
	"genfwi/fwi"
	"genfwi/internal/atomicfile"
	"genfwi/internal/cli"
	"genfwi/metrics"
	"genfwi/npy"
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

func init() {
	register(&cli.Command{
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
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &fwiOptions{}
			o.addFlags(fs)
			return func(ctx context.Context, env *cli.Env, args []string) error {
				if len(args) != 0 {
					return cli.Usagef("fwi takes no arguments, got %q", args)
				}
				return runFWI(ctx, o, env)
			}
		},
	})
}

// fwiSampleResult is the per-sample summary.
type fwiSampleResult struct {
	Sample  int              `json:"sample"`
	Start   *metrics.Scores  `json:"start,omitempty"`
	Result  *metrics.Scores  `json:"result,omitempty"`
	Misfit0 float64          `json:"misfit_start"`
	Misfit  float64          `json:"misfit_final"`
	Solves  int64            `json:"pde_solves"`
	Seconds float64          `json:"seconds"`
	SNR     *float64         `json:"snr_db,omitempty"`
	History []fwi.Iteration  `json:"-"`
	Config  fwiCheckpointKey `json:"-"`
}

// fwiCheckpointKey identifies a run; a checkpoint resumes only a run with
// the same key.
type fwiCheckpointKey struct {
	Data, Model, Init, Freqs, Method, Param string
	Iters, Sample, WaterRows, ShotsPerEval  int
	Step, DepthPower, Smooth, Tikhonov, TV  float64
	SNR                                     string
	Seed                                    uint64
	VMin, VMax, VTop, VBottom               float64
	FilterOrder                             int
}

type fwiCheckpoint struct {
	Key   fwiCheckpointKey `json:"key"`
	State *fwi.State       `json:"state"`
	// Misfit0 and the snapshots survive resumes for the figures.
	Snapshots [][]float32 `json:"snapshots"`
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

// fwiOpenFWISurvey returns the OpenFWI geometry and wavelet with the sponge
// reference velocity fixed to dampV (m/s).
func fwiOpenFWISurvey(dampV float64, workers int) fwi.Survey {
	opts := wave.OpenFWIOptions(workers)
	opts.DampVelocity = dampV
	return fwi.Survey{
		Grid:    wave.Grid{Nz: wave.OpenFWINz, Nx: wave.OpenFWINx, H: wave.OpenFWIH},
		Shots:   wave.OpenFWIGeometry(),
		Wavelet: wave.RickerOpenFWI(wave.OpenFWINt, wave.OpenFWIFreq, wave.OpenFWIDt),
		Opts:    opts,
	}
}

// fwiReadMap reads sample k of a velocity file ([N,1,nz,nx], [N,nz,nx] or
// [nz,nx]; a single map serves every k).
func fwiReadMap(path string, k int) ([]float32, error) {
	f, err := npy.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, nz, nx, err := velocityGeometry(path, f.Shape())
	if err != nil {
		return nil, err
	}
	if nz != wave.OpenFWINz || nx != wave.OpenFWINx {
		return nil, fmt.Errorf("%s: maps are %d×%d, the OpenFWI geometry needs 70×70", path, nz, nx)
	}
	if n == 1 {
		k = 0
	}
	if k >= n {
		return nil, fmt.Errorf("%s: sample %d is outside 0..%d", path, k, n-1)
	}
	v := make([]float32, nz*nx)
	if err := f.ReadFloat32(v, int64(k)*int64(nz*nx)); err != nil {
		return nil, err
	}
	if err := checkFinite("", path, k, v, mapWhere(nx)); err != nil {
		return nil, err
	}
	return v, nil
}

func runFWI(ctx context.Context, o *fwiOptions, env *cli.Env) error {
	if (o.Data == "") == (o.Model == "") {
		return cli.Usagef("give exactly one of --data or --model")
	}
	if o.Out == "" {
		return cli.Usagef("--out is required")
	}
	if o.Iters < 1 {
		return cli.Usagef("--iters must be >= 1, got %d", o.Iters)
	}
	if o.Workers < 0 {
		return cli.Usagef("--workers must be >= 0, got %d", o.Workers)
	}
	bands, err := fwiParseFreqs(o.Freqs)
	if err != nil {
		return cli.Usagef("--freqs: %v", err)
	}
	method, err := fwi.ParseMethod(o.Method)
	if err != nil {
		return cli.Usagef("--method: %v", err)
	}
	param, err := fwi.ParseParam(o.Param)
	if err != nil {
		return cli.Usagef("--param: %v", err)
	}
	if !(o.VMin > 0 && o.VMax > o.VMin) {
		return cli.Usagef("--vmin/--vmax must satisfy 0 < vmin < vmax, got %g/%g", o.VMin, o.VMax)
	}
	if math.IsNaN(o.SNR) {
		return cli.Usagef("--snr must be a number of dB")
	}
	var reg fwi.Regularizer
	switch {
	case o.Tikhonov > 0 && o.TV > 0:
		return cli.Usagef("--tikhonov and --tv are exclusive")
	case o.Tikhonov > 0:
		reg = fwi.Tikhonov{Lambda: o.Tikhonov}
	case o.TV > 0:
		reg = fwi.TV{Lambda: o.TV}
	}
	cfg := fwi.Config{Method: method, Iters: o.Iters, Bands: bands, FilterOrder: o.FilterOrder,
		Bounds: fwi.Bounds{Min: o.VMin, Max: o.VMax}, Param: param,
		Precond: fwi.Precond{DepthPower: o.DepthPower, WaterRows: o.WaterRows, SmoothSigma: o.Smooth},
		Reg:     reg, Step: o.Step, ShotsPerEval: o.ShotsPerEval, Seed: o.Seed}
	if err := cfg.Validate(); err != nil {
		return cli.Usagef("%v", err)
	}

	// Sample range and sources of data and truth.
	truthPath := o.True
	var nSamples int
	var dataFile *npy.File
	if o.Model != "" {
		truthPath = o.Model
		f, err := npy.Open(o.Model)
		if err != nil {
			return fmt.Errorf("--model: %w", err)
		}
		n, _, _, err := velocityGeometry(o.Model, f.Shape())
		f.Close()
		if err != nil {
			return fmt.Errorf("--model: %w", err)
		}
		nSamples = n
	} else {
		f, err := npy.Open(o.Data)
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		defer f.Close()
		sh := f.Shape()
		if len(sh) == 3 {
			sh = append([]int{1}, sh...)
		}
		if len(sh) != 4 || sh[1] != wave.OpenFWIShots || sh[2] != wave.OpenFWINt || sh[3] != wave.OpenFWINx {
			return fmt.Errorf("--data: %s has shape %v, want [N,5,1000,70] (OpenFWI layout)", o.Data, f.Shape())
		}
		if sh[0] == 0 {
			return fmt.Errorf("--data: %s has shape %v: no samples (empty array)", o.Data, f.Shape())
		}
		nSamples = sh[0]
		dataFile = f
	}
	lo, hi, err := cli.ParseRange(o.Samples, nSamples)
	if err != nil {
		return cli.Usagef("--samples: %v", err)
	}
	if o.Init == "1d-special" && truthPath == "" {
		return cli.Usagef("--init 1d-special is built from the true model: give --true (or use --model)")
	}
	if err := fwiCheckInputs(o, truthPath, dataFile, lo, hi); err != nil {
		return err
	}
	outs := inDir("--out", o.Out, "summary.json")
	for k := lo; k < hi; k++ {
		outs = append(outs, inDir("--out", filepath.Join(o.Out, fmt.Sprintf("sample_%d", k)), "inverted.npy", "start.npy",
			"history.json", "misfit.png", "compare.png", "snapshots.png", "checkpoint.json", "checkpoint.npy")...)
	}
	ins := []fileArg{{"--data", o.Data}, {"--model", o.Model}, {"--true", o.True}}
	if o.Init != "1d-special" && o.Init != "gradient" {
		ins = append(ins, fileArg{"--init", o.Init})
	}
	if err := checkOutputs(outs, ins); err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}

	var results []fwiSampleResult
	var startSum, resSum metrics.Summary
	var solves int64
	var seconds float64
	began := time.Now()
	for k := lo; k < hi; k++ {
		r, err := invertSample(ctx, o, cfg, k, truthPath, dataFile, env)
		if err != nil {
			return fmt.Errorf("sample %d: %w", k, err)
		}
		results = append(results, *r)
		solves += r.Solves
		seconds += r.Seconds
		if r.Start != nil {
			startSum.Add(*r.Start)
			resSum.Add(*r.Result)
		}
	}
	summary := map[string]any{
		"samples":      len(results),
		"pde_solves":   solves,
		"seconds":      seconds, // inversion time summed over samples and resumes
		"wall_seconds": time.Since(began).Seconds(),
		"method":       method.String(),
		"param":        param.String(),
		"freqs_hz":     bands,
		"iters":        o.Iters,
		"init":         o.Init,
		"per_sample":   results,
	}
	if !math.IsInf(o.SNR, 1) {
		summary["snr_db"] = o.SNR
	}
	if startSum.N() > 0 {
		improvedRMSE, improvedSSIM := 0, 0
		for _, r := range results {
			if r.Result.RMSE < r.Start.RMSE {
				improvedRMSE++
			}
			if r.Result.SSIM > r.Start.SSIM {
				improvedSSIM++
			}
		}
		summary["start"] = startSum.Mean()
		summary["result"] = resSum.Mean()
		summary["improved_rmse"] = improvedRMSE
		summary["improved_ssim"] = improvedSSIM
	}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(o.Out, "summary.json"), append(b, '\n')); err != nil {
		return err
	}
	if o.JSON {
		delete(summary, "per_sample")
		return cli.WriteJSON(env.Stdout, summary)
	}
	if startSum.N() > 0 {
		s, r := startSum.Mean(), resSum.Mean()
		fmt.Fprintf(env.Stdout, "samples %d  start MAE %.4f RMSE %.4f SSIM %.4f  →  result MAE %.4f RMSE %.4f SSIM %.4f  (%d PDE solves)\n",
			len(results), s.MAE, s.RMSE, s.SSIM, r.MAE, r.RMSE, r.SSIM, solves)
	} else {
		fmt.Fprintf(env.Stdout, "samples %d inverted (%d PDE solves); no true model given\n", len(results), solves)
	}
	return nil
}

// fwiCheckInputs reads every input of samples lo:hi before anything is
// written: a NaN or Inf in the observed data, the true model or the start
// model is the input's fault and is reported as such, naming the file and
// the sample (a simulation would only see a non-finite misfit).
func fwiCheckInputs(o *fwiOptions, truthPath string, dataFile *npy.File, lo, hi int) error {
	truthFlag := "--true"
	if o.Model != "" {
		truthFlag = "--model"
	}
	obs := make([]float32, wave.OpenFWISample)
	for k := lo; k < hi; k++ {
		if dataFile != nil {
			if err := dataFile.ReadFloat32(obs, int64(k)*int64(wave.OpenFWISample)); err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			if err := checkFinite("--data", o.Data, k, obs, seismicWhere(wave.OpenFWINt, wave.OpenFWINx)); err != nil {
				return err
			}
		}
		if truthPath != "" {
			if _, err := fwiReadMap(truthPath, k); err != nil {
				return fmt.Errorf("%s: %w", truthFlag, err)
			}
		}
		if o.Init != "1d-special" && o.Init != "gradient" {
			if _, err := fwiReadMap(o.Init, k); err != nil {
				return fmt.Errorf("--init: %w", err)
			}
		}
	}
	return nil
}

// invertSample runs (or resumes) the inversion of one sample.
func invertSample(ctx context.Context, o *fwiOptions, cfg fwi.Config, k int, truthPath string, dataFile *npy.File, env *cli.Env) (*fwiSampleResult, error) {
	const nz, nx = wave.OpenFWINz, wave.OpenFWINx
	dir := filepath.Join(o.Out, fmt.Sprintf("sample_%d", k))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var truth []float32
	if truthPath != "" {
		var err error
		if truth, err = fwiReadMap(truthPath, k); err != nil {
			return nil, fmt.Errorf("true model: %w", err)
		}
	}

	// Observed data.
	obs := make([]float32, wave.OpenFWISample)
	if dataFile != nil {
		if err := dataFile.ReadFloat32(obs, int64(k)*int64(wave.OpenFWISample)); err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
	} else if err := wave.OpenFWIForward(ctx, truth, obs, o.Workers); err != nil {
		return nil, fmt.Errorf("simulating the observed data: %w", err)
	}
	res := &fwiSampleResult{Sample: k}
	if !math.IsInf(o.SNR, 1) {
		rng := rand.New(rand.NewPCG(o.Seed, uint64(k)))
		w := wave.RickerOpenFWI(wave.OpenFWINt, wave.OpenFWIFreq, wave.OpenFWIDt)
		snr, err := fwi.AddNoise(obs, wave.OpenFWIShots, wave.OpenFWINt, wave.OpenFWINx, w, o.SNR, rng)
		if err != nil {
			return nil, err
		}
		res.SNR = &snr
	}

	// Start model.
	var start []float32
	var err error
	switch o.Init {
	case "1d-special":
		start, err = fwi.OneDSpecial(truth, nz, nx)
	case "gradient":
		start = fwi.LinearGradient(nz, nx, o.VTop, o.VBottom)
	default:
		start, err = fwiReadMap(o.Init, k)
	}
	if err != nil {
		return nil, fmt.Errorf("--init: %w", err)
	}
	fwi.Bounds{Min: o.VMin, Max: o.VMax}.Project(start)
	if err := npy.WriteFileFloat32(filepath.Join(dir, "start.npy"), npy.Float32, []int{1, 1, nz, nx}, start); err != nil {
		return nil, err
	}

	key := fwiCheckpointKey{Data: o.Data, Model: o.Model, Init: o.Init, Freqs: o.Freqs, Method: o.Method, Param: o.Param,
		Iters: o.Iters, Sample: k, WaterRows: o.WaterRows, ShotsPerEval: o.ShotsPerEval, Step: o.Step,
		DepthPower: o.DepthPower, Smooth: o.Smooth, Tikhonov: o.Tikhonov, TV: o.TV, SNR: fmt.Sprint(o.SNR), Seed: o.Seed,
		VMin: o.VMin, VMax: o.VMax, VTop: o.VTop, VBottom: o.VBottom, FilterOrder: o.FilterOrder}
	ck := &fwiCheckpoint{Key: key, State: &fwi.State{Model: append([]float32(nil), start...)}}
	ckJSON, ckNPY := filepath.Join(dir, "checkpoint.json"), filepath.Join(dir, "checkpoint.npy")
	if !o.Fresh {
		if old, err := loadCheckpoint(ckJSON, ckNPY); err == nil {
			if old.Key != key {
				return nil, fmt.Errorf("%s belongs to a run with other flags; use --fresh to start over or another --out", ckJSON)
			}
			ck = old
			if !env.Quiet {
				if ck.State.Done {
					fmt.Fprintf(env.Stderr, "sample %d: already complete in %s (%d PDE solves); rewriting its results\n", k, dir, ck.State.Solves)
				} else {
					fmt.Fprintf(env.Stderr, "sample %d: resuming at band %d iteration %d (%d PDE solves so far)\n", k, ck.State.Band, ck.State.Iter, ck.State.Solves)
				}
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("reading checkpoint: %w", err)
		}
	}

	errScores := func(v []float32) *metrics.Scores {
		if truth == nil {
			return nil
		}
		s := metrics.Velocity(truth, v, nz, nx)
		return &s
	}
	sv := fwiOpenFWISurvey(fwiMinOf(start), o.Workers)
	sv.Opts.TapeBF16 = o.TapeBF16
	if o.TapeBF16 && !wave.BF16TapeSupported() {
		fmt.Fprintln(env.Stderr, "warning: --tape-bf16 has no effect in this build (it needs the AVX-512 wave kernels); the gradient tape stays float32")
	}
	lastBand := ck.State.Band
	cb := func(st *fwi.State) error {
		if len(st.History) > 0 && !st.Done {
			h := st.History[len(st.History)-1]
			if !env.Quiet {
				line := fmt.Sprintf("sample %d band %d (%s) iter %d/%d misfit %.5g |g| %.3g", k, h.Band, fwiBandName(h.Cutoff), h.Iter, o.Iters, h.Misfit, h.GradNorm)
				if s := errScores(st.Model); s != nil {
					line += fmt.Sprintf(" MAE %.4f RMSE %.4f SSIM %.4f", s.MAE, s.RMSE, s.SSIM)
				}
				fmt.Fprintf(env.Stderr, "%s solves %d elapsed %.1fs\n", line, h.Solves, h.Seconds)
			}
		}
		// Snapshot at the end of each band (the band index advanced or done).
		for ; lastBand < st.Band || (st.Done && lastBand < len(cfg.Bands)); lastBand++ {
			ck.Snapshots = append(ck.Snapshots, append([]float32(nil), st.Model...))
		}
		ck.State = st
		return saveCheckpoint(ckJSON, ckNPY, ck)
	}
	if !ck.State.Done {
		err := fwi.Invert(ctx, sv, obs, ck.State, cfg, cb)
		if err != nil {
			return nil, err
		}
	}
	st := ck.State
	final := st.Model
	if err := npy.WriteFileFloat32(filepath.Join(dir, "inverted.npy"), npy.Float32, []int{1, 1, nz, nx}, final); err != nil {
		return nil, err
	}
	res.Start, res.Result = errScores(start), errScores(final)
	res.Solves, res.Seconds = st.Solves, st.Seconds
	if len(st.History) > 0 {
		res.Misfit0 = st.History[0].Misfit
		res.Misfit = st.History[len(st.History)-1].Misfit
	}
	hb, err := json.MarshalIndent(map[string]any{"summary": res, "history": st.History}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "history.json"), append(hb, '\n')); err != nil {
		return nil, err
	}
	if err := fwiFigures(dir, k, truth, start, final, ck.Snapshots, cfg.Bands, st.History, o); err != nil {
		return nil, err
	}
	return res, nil
}

func fwiBandName(fc float64) string {
	if fc == 0 {
		return "full band"
	}
	return fmt.Sprintf("%g Hz", fc)
}

func fwiMinOf(v []float32) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, float64(x))
	}
	return m
}

// fwiFigures writes misfit.png, compare.png and snapshots.png.
func fwiFigures(dir string, k int, truth, start, final []float32, snaps [][]float32, bands []float64, hist []fwi.Iteration, o *fwiOptions) error {
	const nz, nx = wave.OpenFWINz, wave.OpenFWINx
	// Misfit per band relative to the band's start (bands have different
	// data, so absolute values are not comparable), against the global
	// iteration count.
	var series []figures.Series
	x := 0
	for b := range bands {
		var s figures.Series
		s.Name = fwiBandName(bands[b])
		j0 := math.NaN()
		for _, h := range hist {
			if h.Band != b {
				continue
			}
			if h.Iter > 0 {
				x++
			} else {
				j0 = h.Misfit
			}
			if math.IsNaN(j0) {
				j0 = h.Misfit // resumed without the band start: use the first entry
			}
			s.X = append(s.X, float64(x))
			s.Y = append(s.Y, h.Misfit/j0)
		}
		if len(s.Y) > 0 {
			series = append(series, s)
		}
	}
	if len(series) > 0 {
		if err := figures.Lines(filepath.Join(dir, "misfit.png"), figures.LineSpec{
			Title:  fmt.Sprintf("sample %d: data misfit relative to each band's start", k),
			XLabel: "iteration", YLabel: "J / J(band start)"}, series...); err != nil {
			return err
		}
	}
	scale := figures.VelocityScale(o.VMin, o.VMax)
	panel := func(title string, v []float32) figures.Panel {
		return figures.Panel{Title: title, Raster: figures.VelocityRaster(v, nz, nx, wave.OpenFWIH, wave.OpenFWIH), Scale: scale}
	}
	var cmp []figures.Panel
	if truth != nil {
		cmp = append(cmp, panel("true", truth))
		s0, s1 := metrics.Velocity(truth, start, nz, nx), metrics.Velocity(truth, final, nz, nx)
		cmp = append(cmp, panel(fmt.Sprintf("start (RMSE %.3f, SSIM %.3f)", s0.RMSE, s0.SSIM), start),
			panel(fmt.Sprintf("FWI (RMSE %.3f, SSIM %.3f)", s1.RMSE, s1.SSIM), final))
	} else {
		cmp = append(cmp, panel("start", start), panel("FWI", final))
	}
	if err := figures.Grid(filepath.Join(dir, "compare.png"), fmt.Sprintf("sample %d", k), cmp, len(cmp)); err != nil {
		return err
	}
	if len(snaps) > 0 {
		ps := []figures.Panel{panel("start", start)}
		for b, s := range snaps {
			if b < len(bands) {
				ps = append(ps, panel("after "+fwiBandName(bands[b]), s))
			}
		}
		if err := figures.Grid(filepath.Join(dir, "snapshots.png"), fmt.Sprintf("sample %d: model after each band", k), ps, min(len(ps), 5)); err != nil {
			return err
		}
	}
	return nil
}

func saveCheckpoint(jsonPath, npyPath string, ck *fwiCheckpoint) error {
	const n = wave.OpenFWIModel
	// The model array holds the current model then the band snapshots.
	all := append([]float32(nil), ck.State.Model...)
	for _, s := range ck.Snapshots {
		all = append(all, s...)
	}
	if err := npy.WriteFileFloat32(npyPath, npy.Float32, []int{1 + len(ck.Snapshots), n}, all); err != nil {
		return err
	}
	b, err := json.Marshal(struct {
		Key       fwiCheckpointKey `json:"key"`
		State     *fwi.State       `json:"state"`
		Snapshots int              `json:"snapshots"`
	}{ck.Key, ck.State, len(ck.Snapshots)})
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(jsonPath, b)
}

func loadCheckpoint(jsonPath, npyPath string) (*fwiCheckpoint, error) {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Key       fwiCheckpointKey `json:"key"`
		State     *fwi.State       `json:"state"`
		Snapshots int              `json:"snapshots"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", jsonPath, err)
	}
	data, shape, err := npy.ReadFileFloat32(npyPath)
	if err != nil {
		return nil, err
	}
	const n = wave.OpenFWIModel
	if raw.State == nil || len(shape) != 2 || shape[1] != n || shape[0] != 1+raw.Snapshots {
		return nil, fmt.Errorf("%s and %s do not match (shape %v, %d snapshots)", jsonPath, npyPath, shape, raw.Snapshots)
	}
	ck := &fwiCheckpoint{Key: raw.Key, State: raw.State}
	ck.State.Model = append([]float32(nil), data[:n]...)
	for i := 0; i < raw.Snapshots; i++ {
		ck.Snapshots = append(ck.Snapshots, append([]float32(nil), data[(1+i)*n:(2+i)*n]...))
	}
	return ck, nil
}
