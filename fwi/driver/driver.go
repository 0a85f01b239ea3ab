// Package driver runs classic FWI over the samples of OpenFWI-geometry files,
// one sample at a time, with a checkpoint per sample from which an
// interrupted run resumes: the library behind "genfwi fwi".
//
// It sits above fwi (the optimisers) and beside the other experiment
// drivers: it reads the inputs (observed seismic, or true velocity maps whose
// data it simulates with the OpenFWI-exact preset), builds the start model,
// calls fwi.Invert and writes each sample's results, figures and checkpoint
// to Options.Out/sample_<k>/ and a summary to Options.Out/summary.json.
package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"genfwi/fwi"
	"genfwi/internal/atomicfile"
	"genfwi/metrics"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wave"
)

// Start models that are built rather than read from a file (Options.Init).
const (
	Init1DSpecial = "1d-special" // fwi.OneDSpecial of the true model
	InitGradient  = "gradient"   // fwi.LinearGradient from VTop to VBottom
)

// Options are the inputs and settings of one run.
type Options struct {
	// Data is an observed seismic file in the OpenFWI layout
	// ([N,5,1000,70] or [5,1000,70]); Model a true velocity file whose
	// maps' data are simulated instead. Exactly one is set.
	Data, Model string
	// True is an optional true velocity file for the model errors with
	// Data (same sample indices).
	True string
	// Init is the start model: Init1DSpecial, InitGradient or a velocity
	// file (same sample indices, or one map for all).
	Init string
	// Lo and Hi are the half-open range of samples to invert.
	Lo, Hi int
	// Out is the output directory.
	Out string
	// Config is the inversion (optimiser, bands, bounds, ...).
	Config fwi.Config
	// SNR adds band-limited noise at this SNR (dB) to the observed data,
	// seeded by Config.Seed and the sample; +Inf means noise-free.
	SNR float64
	// VTop and VBottom are the velocities of the InitGradient start model.
	VTop, VBottom float64
	// Workers is the number of wave-simulation goroutines (0 = GOMAXPROCS).
	Workers int
	// TapeBF16 stores the gradient's forward Laplacians as bfloat16
	// (wave.Options.TapeBF16).
	TapeBF16 bool
	// Fresh ignores existing checkpoints.
	Fresh bool
	// OnResume, if set, is called when a sample continues from (or was
	// completed by) an earlier run.
	OnResume func(sample int, dir string, st *fwi.State)
	// OnIteration, if set, is called after every iteration with the model
	// error when a true model is known (else nil).
	OnIteration func(sample int, h fwi.Iteration, s *metrics.Scores)
}

// InputError is an error of one input of a run; Input is "Data", "Model",
// "True" or "Init" (the Options field), so that a caller can name it the
// way its user wrote it.
type InputError struct {
	Input string
	Err   error
}

// Error returns the message, naming the input.
func (e *InputError) Error() string { return e.Input + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// ConfigError is an invalid Options.Config, found before anything is read
// or written.
type ConfigError struct{ Err error }

// Error returns the configuration error.
func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// ErrOtherRun reports a checkpoint in the output directory written by a run
// with other options.
var ErrOtherRun = errors.New("the checkpoint belongs to a run with other options")

// SampleResult is the summary of one sample.
type SampleResult struct {
	Sample  int             `json:"sample"`
	Start   *metrics.Scores `json:"start,omitempty"`
	Result  *metrics.Scores `json:"result,omitempty"`
	Misfit0 float64         `json:"misfit_start"`
	Misfit  float64         `json:"misfit_final"`
	Solves  int64           `json:"pde_solves"`
	Seconds float64         `json:"seconds"`
	SNR     *float64        `json:"snr_db,omitempty"`
}

// Summary is the result of a run, written to Out/summary.json.
type Summary struct {
	Samples int   `json:"samples"`
	Solves  int64 `json:"pde_solves"`
	// Seconds is the inversion time summed over samples and resumes.
	Seconds     float64   `json:"seconds"`
	WallSeconds float64   `json:"wall_seconds"`
	Method      string    `json:"method"`
	Param       string    `json:"param"`
	FreqsHz     []float64 `json:"freqs_hz"`
	Iters       int       `json:"iters"`
	Init        string    `json:"init"`
	SNR         *float64  `json:"snr_db,omitempty"`
	// Start and Result are the mean model errors when true models are
	// known; Improved* count the samples whose RMSE fell / SSIM rose.
	Start        *metrics.Scores `json:"start,omitempty"`
	Result       *metrics.Scores `json:"result,omitempty"`
	ImprovedRMSE *int            `json:"improved_rmse,omitempty"`
	ImprovedSSIM *int            `json:"improved_ssim,omitempty"`
	PerSample    []SampleResult  `json:"per_sample,omitempty"`
}

// SampleDir is the output directory of sample k.
func SampleDir(out string, k int) string { return filepath.Join(out, fmt.Sprintf("sample_%d", k)) }

// SampleFiles returns the files Run writes to each sample's directory.
func SampleFiles() []string {
	return []string{"inverted.npy", "start.npy", "history.json", "misfit.png", "compare.png", "snapshots.png", "checkpoint.json", "checkpoint.npy"}
}

// BuiltInit reports whether init names a built start model rather than a
// file.
func BuiltInit(init string) bool { return init == Init1DSpecial || init == InitGradient }

// inputs are the opened sources of a run.
type inputs struct {
	data      *npy.File // observed data, or nil with Model
	truthName string    // "Model" or "True"
	truth     string    // true velocity file or ""
	n         int       // samples
}

func (in *inputs) close() {
	if in.data != nil {
		in.data.Close()
	}
}

// Samples returns the number of samples of a run's input: of the data file
// (data) or of the true velocity file (model).
func Samples(data, model string) (int, error) {
	in, err := open(data, model, "")
	if err != nil {
		return 0, err
	}
	in.close()
	return in.n, nil
}

func open(data, model, truth string) (*inputs, error) {
	if (data == "") == (model == "") {
		return nil, errors.New("give exactly one of a data or a model file")
	}
	if model != "" {
		v, err := openfwi.OpenVelocity(model)
		if err != nil {
			return nil, &InputError{"Model", err}
		}
		v.Close()
		return &inputs{truthName: "Model", truth: model, n: v.N}, nil
	}
	f, err := npy.Open(data)
	if err != nil {
		return nil, &InputError{"Data", err}
	}
	sh := f.Shape()
	if len(sh) == 3 {
		sh = append([]int{1}, sh...)
	}
	switch {
	case len(sh) != 4 || sh[1] != wave.OpenFWIShots || sh[2] != wave.OpenFWINt || sh[3] != wave.OpenFWINx:
		f.Close()
		return nil, &InputError{"Data", fmt.Errorf("%s has shape %v, want [N,5,1000,70] (OpenFWI layout)", data, f.Shape())}
	case sh[0] == 0:
		f.Close()
		return nil, &InputError{"Data", fmt.Errorf("%s has shape %v: no samples (empty array)", data, f.Shape())}
	}
	return &inputs{data: f, truthName: "True", truth: truth, n: sh[0]}, nil
}

// observed reads sample k of the data file.
func (in *inputs) observed(k int) ([]float32, error) {
	obs := make([]float32, wave.OpenFWISample)
	if err := in.data.ReadFloat32(obs, int64(k)*int64(wave.OpenFWISample)); err != nil {
		return nil, &InputError{"Data", err}
	}
	return obs, nil
}

// check reads every input of samples lo:hi before anything is written: a
// NaN or Inf in the observed data, the true model or the start model is the
// input's fault and is reported as such, naming the file and the sample.
func (in *inputs) check(o *Options) error {
	for k := o.Lo; k < o.Hi; k++ {
		if in.data != nil {
			obs, err := in.observed(k)
			if err != nil {
				return err
			}
			if err := openfwi.CheckFinite(o.Data, k, obs, openfwi.SeismicCell(wave.OpenFWINt, wave.OpenFWINx)); err != nil {
				return &InputError{"Data", err}
			}
		}
		if in.truth != "" {
			if _, err := openfwi.ReadMap(in.truth, k); err != nil {
				return &InputError{in.truthName, err}
			}
		}
		if !BuiltInit(o.Init) {
			if _, err := openfwi.ReadMap(o.Init, k); err != nil {
				return &InputError{"Init", err}
			}
		}
	}
	return nil
}

// Run inverts samples Lo:Hi one after the other, resuming each from its
// checkpoint, and writes the results and Out/summary.json. Every input is
// read and checked before anything is written.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Lo < 0 || o.Hi <= o.Lo {
		return nil, fmt.Errorf("empty sample range %d:%d", o.Lo, o.Hi)
	}
	if o.Init == Init1DSpecial && o.Data != "" && o.True == "" {
		return nil, errors.New("the 1d-special start model is built from the true model: give a true model")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, &ConfigError{err}
	}
	in, err := open(o.Data, o.Model, o.True)
	if err != nil {
		return nil, err
	}
	defer in.close()
	if o.Hi > in.n {
		return nil, fmt.Errorf("samples %d:%d are outside the %d of the input", o.Lo, o.Hi, in.n)
	}
	if err := in.check(&o); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	bands := o.Config.Bands
	if len(bands) == 0 {
		bands = []float64{0}
	}
	sum := &Summary{Method: o.Config.Method.String(), Param: o.Config.Param.String(), FreqsHz: bands,
		Iters: o.Config.Iters, Init: o.Init, PerSample: []SampleResult{}}
	if !math.IsInf(o.SNR, 1) {
		sum.SNR = &o.SNR
	}
	var startSum, resSum metrics.Summary
	began := time.Now()
	for k := o.Lo; k < o.Hi; k++ {
		r, err := invertSample(ctx, &o, in, k)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", k, err)
		}
		sum.PerSample = append(sum.PerSample, *r)
		sum.Solves += r.Solves
		sum.Seconds += r.Seconds
		if r.Start != nil {
			startSum.Add(*r.Start)
			resSum.Add(*r.Result)
		}
	}
	sum.Samples = len(sum.PerSample)
	sum.WallSeconds = time.Since(began).Seconds()
	if startSum.N() > 0 {
		s, r := startSum.Mean(), resSum.Mean()
		var rmse, ssim int
		for _, x := range sum.PerSample {
			if x.Result.RMSE < x.Start.RMSE {
				rmse++
			}
			if x.Result.SSIM > x.Start.SSIM {
				ssim++
			}
		}
		sum.Start, sum.Result, sum.ImprovedRMSE, sum.ImprovedSSIM = &s, &r, &rmse, &ssim
	}
	if err := writeJSON(filepath.Join(o.Out, "summary.json"), sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// writeJSON writes v indented, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// survey returns the OpenFWI geometry and wavelet with the sponge reference
// velocity fixed to dampV (m/s), so that the gradient is exact.
func survey(dampV float64, o *Options) fwi.Survey {
	opts := wave.OpenFWIOptions(o.Workers)
	opts.DampVelocity = dampV
	opts.TapeBF16 = o.TapeBF16
	return fwi.Survey{
		Grid:    wave.Grid{Nz: wave.OpenFWINz, Nx: wave.OpenFWINx, H: wave.OpenFWIH},
		Shots:   wave.OpenFWIGeometry(),
		Wavelet: wave.RickerOpenFWI(wave.OpenFWINt, wave.OpenFWIFreq, wave.OpenFWIDt),
		Opts:    opts,
	}
}

// startModel builds or reads the start model of sample k, projected onto
// the bounds.
func startModel(o *Options, truth []float32, k int) ([]float32, error) {
	const nz, nx = wave.OpenFWINz, wave.OpenFWINx
	var start []float32
	var err error
	switch o.Init {
	case Init1DSpecial:
		start, err = fwi.OneDSpecial(truth, nz, nx)
	case InitGradient:
		start = fwi.LinearGradient(nz, nx, o.VTop, o.VBottom)
	default:
		start, err = openfwi.ReadMap(o.Init, k)
	}
	if err != nil {
		return nil, &InputError{"Init", err}
	}
	o.Config.Bounds.Project(start)
	return start, nil
}

// invertSample runs (or resumes) the inversion of sample k.
func invertSample(ctx context.Context, o *Options, in *inputs, k int) (*SampleResult, error) {
	const nz, nx = wave.OpenFWINz, wave.OpenFWINx
	dir := SampleDir(o.Out, k)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var truth []float32
	if in.truth != "" {
		var err error
		if truth, err = openfwi.ReadMap(in.truth, k); err != nil {
			return nil, &InputError{in.truthName, err}
		}
	}
	var obs []float32
	var err error
	if in.data != nil {
		if obs, err = in.observed(k); err != nil {
			return nil, err
		}
	} else {
		obs = make([]float32, wave.OpenFWISample)
		if err := wave.OpenFWIForward(ctx, truth, obs, o.Workers); err != nil {
			return nil, fmt.Errorf("simulating the observed data: %w", err)
		}
	}
	res := &SampleResult{Sample: k}
	if !math.IsInf(o.SNR, 1) {
		rng := rand.New(rand.NewPCG(o.Config.Seed, uint64(k)))
		w := wave.RickerOpenFWI(wave.OpenFWINt, wave.OpenFWIFreq, wave.OpenFWIDt)
		snr, err := fwi.AddNoise(obs, wave.OpenFWIShots, wave.OpenFWINt, wave.OpenFWINx, w, o.SNR, rng)
		if err != nil {
			return nil, err
		}
		res.SNR = &snr
	}
	start, err := startModel(o, truth, k)
	if err != nil {
		return nil, err
	}
	if err := npy.WriteFileFloat32(filepath.Join(dir, "start.npy"), npy.Float32, []int{1, 1, nz, nx}, start); err != nil {
		return nil, err
	}

	ck := &checkpoint{Key: o.key(k), State: &fwi.State{Model: append([]float32(nil), start...)}}
	ckJSON, ckNPY := filepath.Join(dir, "checkpoint.json"), filepath.Join(dir, "checkpoint.npy")
	if !o.Fresh {
		old, err := loadCheckpoint(ckJSON, ckNPY)
		switch {
		case err == nil && old.Key != ck.Key:
			return nil, fmt.Errorf("%s: %w", ckJSON, ErrOtherRun)
		case err == nil:
			ck = old
			if o.OnResume != nil {
				o.OnResume(k, dir, ck.State)
			}
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("reading checkpoint: %w", err)
		}
	}

	scores := func(v []float32) *metrics.Scores {
		if truth == nil {
			return nil
		}
		s := metrics.Velocity(truth, v, nz, nx)
		return &s
	}
	nBands := max(len(o.Config.Bands), 1)
	lastBand := ck.State.Band
	cb := func(st *fwi.State) error {
		if len(st.History) > 0 && !st.Done && o.OnIteration != nil {
			o.OnIteration(k, st.History[len(st.History)-1], scores(st.Model))
		}
		// Snapshot at the end of each band (the band index advanced or done).
		for ; lastBand < st.Band || (st.Done && lastBand < nBands); lastBand++ {
			ck.Snapshots = append(ck.Snapshots, append([]float32(nil), st.Model...))
		}
		ck.State = st
		return ck.save(ckJSON, ckNPY)
	}
	if !ck.State.Done {
		if err := fwi.Invert(ctx, survey(minOf(start), o), obs, ck.State, o.Config, cb); err != nil {
			return nil, err
		}
	}
	st := ck.State
	final := st.Model
	if err := npy.WriteFileFloat32(filepath.Join(dir, "inverted.npy"), npy.Float32, []int{1, 1, nz, nx}, final); err != nil {
		return nil, err
	}
	res.Start, res.Result = scores(start), scores(final)
	res.Solves, res.Seconds = st.Solves, st.Seconds
	if len(st.History) > 0 {
		res.Misfit0 = st.History[0].Misfit
		res.Misfit = st.History[len(st.History)-1].Misfit
	}
	if err := writeJSON(filepath.Join(dir, "history.json"), map[string]any{"summary": res, "history": st.History}); err != nil {
		return nil, err
	}
	bands := o.Config.Bands
	if len(bands) == 0 {
		bands = []float64{0}
	}
	f := sampleFigures{dir: dir, k: k, truth: truth, start: start, final: final, snaps: ck.Snapshots, bands: bands,
		hist: st.History, bounds: o.Config.Bounds}
	if err := f.write(); err != nil {
		return nil, err
	}
	return res, nil
}

// BandName names a frequency band by its low-pass cut-off.
func BandName(fc float64) string {
	if fc == 0 {
		return "full band"
	}
	return fmt.Sprintf("%g Hz", fc)
}

func minOf(v []float32) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, float64(x))
	}
	return m
}

// key identifies the run of sample k in its checkpoint.
func (o *Options) key(k int) checkpointKey {
	c := o.Config
	var freqs []string
	for _, b := range c.Bands {
		freqs = append(freqs, fmt.Sprint(b))
	}
	key := checkpointKey{Data: o.Data, Model: o.Model, Init: o.Init, Freqs: strings.Join(freqs, ","),
		Method: c.Method.String(), Param: c.Param.String(), Iters: c.Iters, Sample: k,
		WaterRows: c.Precond.WaterRows, ShotsPerEval: c.ShotsPerEval, Step: c.Step,
		DepthPower: c.Precond.DepthPower, Smooth: c.Precond.SmoothSigma, SNR: fmt.Sprint(o.SNR), Seed: c.Seed,
		VMin: c.Bounds.Min, VMax: c.Bounds.Max, VTop: o.VTop, VBottom: o.VBottom, FilterOrder: c.FilterOrder}
	switch r := c.Reg.(type) {
	case fwi.Tikhonov:
		key.Tikhonov = r.Lambda
	case fwi.TV:
		key.TV = r.Lambda
	}
	return key
}
