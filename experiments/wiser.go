package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"genfwi/cig"
	"genfwi/figures"
	"genfwi/fwi"
	"genfwi/internal/atomicfile"
	"genfwi/npy"
	"genfwi/wise"
	"genfwi/wiser"
)

// WISERFiles returns the outputs of WISER besides wise.PosteriorFiles (and
// the WISE posterior it starts from, in wise_initial/).
func WISERFiles() []string {
	return append([]string{"particles.npy", "wiser.json"}, wiser.HistoryFiles...)
}

// WISEROptions are the options of WISER.
type WISEROptions struct {
	// Model is the trained WISE network; Config the WISER configuration.
	Model  *wise.Model
	Config wiser.Config
	// Truth is the velocity map (on the model's grid, m/s) whose data are
	// observed; Name and Index name it in titles.
	Truth []float32
	Name  string
	Index int
	// PerturbKms is the out-of-distribution perturbation already applied
	// to Truth (recorded in the summary).
	PerturbKms float64
	// ObsSeed seeds the observation noise; SNR, if not nil, overrides the
	// survey's SNR in dB.
	ObsSeed uint64
	SNR     *float64
	// Figures are the figure options (HistZ: the two histogram rows;
	// default a quarter and three quarters of the depth).
	Figures wise.FigureOptions
	// Out is the output directory.
	Out string
	// OnIter, if set, is called after every outer iteration.
	OnIter func(it *wiser.Iter)
	// Log, if set, reports the steps.
	Log func(msg string)
	// Image adds the imaging step (the WISER paper's uncertainty-aware
	// imaging): reverse-time migrations of the observation with the WISE
	// and WISER conditional means and with every WISER sample (image mean
	// and standard deviation), in image.npy and image.png.
	Image bool
	// Baseline adds plain FWI (L-BFGS from the 1d-special background, the
	// WISER bands' cut-offs) on the same number of PDE solves as WISER, in
	// fwi_baseline.npy and fwi_baseline.png.
	Baseline bool
}

// ImageSummary describes the imaging step in wiser.json.
type ImageSummary struct {
	// Solves counts its PDE solves; Seconds its time.
	Solves  int64   `json:"pde_solves"`
	Seconds float64 `json:"seconds"`
	// MeanStdRatio is the mean image standard deviation over the mean
	// |image| below the mute (how uncertain the image is, relative).
	MeanStdRatio float64 `json:"mean_std_over_mean_abs"`
}

// BaselineSummary describes the plain-FWI comparison in wiser.json.
type BaselineSummary struct {
	Solves  int64    `json:"pde_solves"`
	Iters   int      `json:"iterations"`
	Seconds float64  `json:"seconds"`
	Misfit  float64  `json:"misfit"`
	SSIM    *float64 `json:"ssim,omitempty"`
	RMSE    *float64 `json:"rmse,omitempty"`
	MAE     *float64 `json:"mae,omitempty"`
	RMSEms  *float64 `json:"rmse_ms,omitempty"`
	MAEms   *float64 `json:"mae_ms,omitempty"`
}

// WISERSummary is wiser.json.
type WISERSummary struct {
	Config           wiser.Config `json:"config"`
	PerturbKms       float64      `json:"perturb_kms"`
	SNRdB            float64      `json:"snr_db"`
	Iterations       int          `json:"outer_iterations"`
	Interrupted      bool         `json:"interrupted"`
	PDESolves        int64        `json:"pde_solves"`
	DataPasses       float64      `json:"data_passes"`
	DiagnosticSolves int64        `json:"diagnostic_solves"`
	Seconds          float64      `json:"seconds"`
	GatherSeconds    float64      `json:"gather_seconds"`
	WISE             *wise.Scores `json:"wise"`
	WISER            *wise.Scores `json:"wiser"`
	CMMisfitStart    *float64     `json:"cm_misfit_first_iteration"`
	CMMisfit         *float64     `json:"cm_misfit_last_iteration"`
	HistRows         []int        `json:"histogram_rows"`
	W1WISE           []float64    `json:"w1_wise_ms"`
	W1WISER          []float64    `json:"w1_wiser_ms"`
	// CoverageWISE and CoverageWISER are the fractions of true pixels
	// inside the pointwise central credible intervals of the two
	// posteriors at wise.HeadlineLevels (keys "50", "80", ...), with a
	// truth only.
	CoverageWISE  map[string]float64 `json:"coverage_wise,omitempty"`
	CoverageWISER map[string]float64 `json:"coverage_wiser,omitempty"`
	// Image and Baseline are present when requested.
	Image    *ImageSummary    `json:"image,omitempty"`
	Baseline *BaselineSummary `json:"fwi_baseline,omitempty"`
}

// WISER simulates the observation of o.Truth, computes its gather, runs
// WISER from the WISE posterior and writes both posteriors, the history
// (rewritten after every outer iteration, with the samples of the last
// complete one) and wiser.json to o.Out. When ctx is cancelled after the
// first outer iteration it writes the results of the last complete one and
// returns them with ctx's error.
func WISER(ctx context.Context, o WISEROptions) (*WISERSummary, error) {
	m, inf := o.Model, o.Model.Data
	survey, err := m.Survey()
	if err != nil {
		return nil, err
	}
	snr := survey.Config().SNRdB
	if o.SNR != nil {
		snr = *o.SNR
	}
	if o.Log != nil {
		o.Log(fmt.Sprintf("simulating the observation of %s map %d (perturbation %g km/s, %g dB, obs seed %d)", o.Name, o.Index, o.PerturbKms, snr, o.ObsSeed))
	}
	t0 := time.Now()
	var obs *cig.Obs
	if o.SNR != nil {
		obs, err = survey.ObserveSNR(ctx, o.Truth, o.ObsSeed, snr)
	} else {
		obs, err = survey.Observe(ctx, o.Truth, o.ObsSeed)
	}
	if err != nil {
		return nil, err
	}
	gather := make([]float32, survey.GatherLen())
	if err := survey.Gather(ctx, obs, nil, inf.MaxY, gather); err != nil {
		return nil, err
	}
	if err := networkView(m, gather); err != nil {
		return nil, err
	}
	gatherSec := time.Since(t0).Seconds()
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	histRows := o.Figures.HistZ
	if len(histRows) != 2 {
		histRows = []int{inf.Nz / 4, 3 * inf.Nz / 4}
	}
	var history []wiser.Iter
	res, runErr := wiser.Run(ctx, wiser.Options{Model: m, Config: o.Config, Survey: survey, Obs: obs, Gather: gather, Truth: o.Truth,
		OnIter: func(it *wiser.Iter) error {
			if o.OnIter != nil {
				o.OnIter(it)
			}
			history = append(history, *it)
			// the last complete iteration's samples and record stay valid
			p := it.Posterior
			if err := npy.WriteFileFloat32(filepath.Join(o.Out, "samples.npy"), npy.Float32, []int{p.N, 1, p.Nz, p.Nx}, p.Samples); err != nil {
				return err
			}
			return wiser.WriteHistory(o.Out, history)
		}})
	if res == nil {
		return nil, runErr
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return nil, runErr
	}
	// Final (or last complete) outputs; figures in the style of WISER's Fig. 1.
	fo := o.Figures
	fo.Title = fmt.Sprintf("WISER posterior: %s #%d", filepath.Base(o.Name), o.Index)
	if o.Config.Inner == 0 {
		fo.Title = fmt.Sprintf("FWI particles (no latent correction): %s #%d", filepath.Base(o.Name), o.Index)
	}
	extra := map[string]any{"method": "wiser", "model": m.Path, "index": o.Index, "obs_seed": o.ObsSeed, "snr_db": obs.SNRdB, "perturb_kms": o.PerturbKms}
	rep, err := wise.WritePosterior(o.Out, res.Posterior, o.Truth, inf.H, fo, extra)
	if err != nil {
		return nil, err
	}
	fo.Title = fmt.Sprintf("WISE posterior (start of WISER): %s #%d", filepath.Base(o.Name), o.Index)
	repInit, err := wise.WritePosterior(filepath.Join(o.Out, "wise_initial"), res.Initial, o.Truth, inf.H, fo, extra)
	if err != nil {
		return nil, err
	}
	if err := npy.WriteFileFloat32(filepath.Join(o.Out, "particles.npy"), npy.Float32, []int{o.Config.Particles, 1, inf.Nz, inf.Nx}, res.Particles); err != nil {
		return nil, err
	}
	sum := &WISERSummary{Config: o.Config, PerturbKms: o.PerturbKms, SNRdB: obs.SNRdB, GatherSeconds: gatherSec, Interrupted: runErr != nil,
		WISE: repInit.Scores, WISER: rep.Scores, HistRows: histRows}
	if n := len(res.History); n > 0 {
		last := res.History[n-1]
		sum.Iterations, sum.PDESolves, sum.DataPasses, sum.Seconds = last.Outer, last.Solves, last.DataPasses, last.Seconds
		sum.DiagnosticSolves = last.DiagSolves
		sum.CMMisfit = finiteOrNil(last.CMMisfit)
		sum.CMMisfitStart = finiteOrNil(res.History[0].CMMisfit)
	}
	for _, z := range histRows {
		w0, err := wiser.RowW1(res.Initial, o.Truth, z)
		if err != nil {
			return nil, err
		}
		w1, err := wiser.RowW1(res.Posterior, o.Truth, z)
		if err != nil {
			return nil, err
		}
		sum.W1WISE = append(sum.W1WISE, w0)
		sum.W1WISER = append(sum.W1WISER, w1)
	}
	if o.Truth != nil && res.Posterior.N >= 2 {
		if sum.CoverageWISE, err = coverage(res.Initial, o.Truth); err != nil {
			return nil, err
		}
		if sum.CoverageWISER, err = coverage(res.Posterior, o.Truth); err != nil {
			return nil, err
		}
	}
	if runErr == nil && o.Image {
		if sum.Image, err = wiserImages(ctx, o, survey, obs, res); err != nil {
			return nil, err
		}
	}
	if runErr == nil && o.Baseline {
		if sum.Baseline, err = wiserBaseline(ctx, o, survey, obs, sum.PDESolves); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(o.Out, "wiser.json"), append(b, '\n')); err != nil {
		return nil, err
	}
	return sum, runErr
}

// imageMuteRows is the top mute of the images: the rows down to the
// sources and receivers (10 m deep) and one more, then a 5-row taper
// (JUDI's judiTopmute(n, wb, 5)).
func imageMuteRows(sc cig.SurveyConfig) int {
	return int(math.Round(math.Max(sc.SourceDepth, sc.ReceiverDepth)/sc.H)) + 2
}

// wiserImages migrates the observation with the WISE and WISER conditional
// means and with every WISER sample, and writes image.npy ([4, 1, nz, nx]:
// WISE CM image, WISER CM image, mean and standard deviation over the
// samples) and image.png (the three images on one symmetric scale, the
// standard deviation on its own).
func wiserImages(ctx context.Context, o WISEROptions, survey *cig.Survey, obs *cig.Obs, res *wiser.Result) (*ImageSummary, error) {
	if o.Log != nil {
		o.Log("imaging: RTM with the WISE and WISER conditional means and the WISER samples")
	}
	t0 := time.Now()
	sc := survey.Config()
	pix := sc.Nz * sc.Nx
	vs := [][]float32{res.Initial.CM, res.Posterior.CM}
	for i := 0; i < res.Posterior.N; i++ {
		vs = append(vs, res.Posterior.Samples[i*pix:(i+1)*pix])
	}
	clamped := make([][]float32, len(vs))
	for i, v := range vs {
		clamped[i] = make([]float32, pix)
		for j, x := range v {
			clamped[i][j] = float32(math.Min(math.Max(float64(x), o.Config.VMin), o.Config.VMax))
		}
	}
	mute := imageMuteRows(sc)
	cms, err := wiser.Migrate(ctx, wiser.ImageOptions{Survey: survey, Obs: obs, MuteRows: mute, TaperRows: 5, Workers: runtime.GOMAXPROCS(0)}, clamped[:2])
	if err != nil {
		return nil, err
	}
	post, err := wiser.Migrate(ctx, wiser.ImageOptions{Survey: survey, Obs: obs, MuteRows: mute, TaperRows: 5, Workers: runtime.GOMAXPROCS(0)}, clamped[2:])
	if err != nil {
		return nil, err
	}
	all := make([]float32, 0, 4*pix)
	all = append(append(append(append(all, cms.Images[0]...), cms.Images[1]...), post.Mean...), post.Std...)
	if err := npy.WriteFileFloat32(filepath.Join(o.Out, "image.npy"), npy.Float32, []int{4, 1, sc.Nz, sc.Nx}, all); err != nil {
		return nil, err
	}
	clip := figures.Percentile(all[:3*pix], 99)
	img := func(title string, d []float32, sc2 figures.ColorScale) figures.Panel {
		r := figures.VelocityRaster(d, sc.Nz, sc.Nx, sc.H, sc.H)
		return figures.Panel{Title: title, Raster: r, Scale: sc2}
	}
	sym := figures.ColorScale{Min: -clip, Max: clip, Label: "image amplitude (relative)", Map: figures.Diverging()}
	// The outermost columns and the last row carry edge artefacts of the
	// migration; the 99th percentile keeps them from setting the scale.
	std := figures.ColorScale{Min: 0, Max: figures.Percentile(post.Std, 99), Label: "image std (relative)"}
	panels := []figures.Panel{img("RTM, WISE CM velocity", cms.Images[0], sym), img("RTM, WISER CM velocity", cms.Images[1], sym),
		img("mean RTM over WISER samples", post.Mean, sym), img("std of RTM over WISER samples", post.Std, std)}
	if err := figures.Grid(filepath.Join(o.Out, "image.png"), "Imaging with the posterior velocities", panels, 2); err != nil {
		return nil, err
	}
	var sabs, sstd float64
	for p := mute * sc.Nx; p < pix; p++ {
		sabs += math.Abs(float64(post.Mean[p]))
		sstd += float64(post.Std[p])
	}
	return &ImageSummary{Solves: cms.Solves + post.Solves, Seconds: time.Since(t0).Seconds(), MeanStdRatio: sstd / math.Max(sabs, 1e-30)}, nil
}

// wiserBaseline runs plain FWI on WISER's solve budget and writes
// fwi_baseline.npy and fwi_baseline.png (truth, 1d-special start, FWI result
// on one velocity scale).
func wiserBaseline(ctx context.Context, o WISEROptions, survey *cig.Survey, obs *cig.Obs, solves int64) (*BaselineSummary, error) {
	if o.Log != nil {
		o.Log(fmt.Sprintf("plain FWI (L-BFGS) on the same budget: %d PDE solves", solves))
	}
	var bands []float64
	for _, b := range o.Config.Bands {
		bands = append(bands, b.Hz)
	}
	bl, err := wiser.FWIBaseline(ctx, wiser.BaselineOptions{Survey: survey, Obs: obs, Truth: o.Truth, Solves: max(solves, 1),
		Config: fwi.Config{Method: fwi.LBFGS, Bands: bands, Bounds: fwi.Bounds{Min: o.Config.VMin, Max: o.Config.VMax}}})
	if err != nil {
		return nil, err
	}
	sc := survey.Config()
	if err := npy.WriteFileFloat32(filepath.Join(o.Out, "fwi_baseline.npy"), npy.Float32, []int{1, 1, sc.Nz, sc.Nx}, bl.Model); err != nil {
		return nil, err
	}
	vs := figures.VelocityScale(o.Config.VMin, o.Config.VMax)
	panel := func(title string, v []float32) figures.Panel {
		return figures.Panel{Title: title, Raster: figures.VelocityRaster(v, sc.Nz, sc.Nx, sc.H, sc.H), Scale: vs}
	}
	panels := []figures.Panel{panel("1d-special start", obs.Background),
		panel(fmt.Sprintf("L-BFGS FWI, %d PDE solves", bl.Solves), bl.Model)}
	if o.Truth != nil {
		panels = append([]figures.Panel{panel("true velocity", o.Truth)}, panels...)
	}
	if err := figures.Grid(filepath.Join(o.Out, "fwi_baseline.png"), "Plain FWI on WISER's budget", panels, len(panels)); err != nil {
		return nil, err
	}
	out := &BaselineSummary{Solves: bl.Solves, Iters: bl.Iters, Seconds: bl.Seconds, Misfit: bl.Misfit}
	if o.Truth != nil {
		out.SSIM, out.RMSE, out.MAE = finiteOrNil(bl.SSIM), finiteOrNil(bl.RMSE), finiteOrNil(bl.MAE)
		out.RMSEms, out.MAEms = finiteOrNil(bl.RMSEms), finiteOrNil(bl.MAEms)
	}
	return out, nil
}

func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// coverage returns the coverage of p's pointwise central credible intervals
// at wise.HeadlineLevels for one true map, keyed by the level in percent.
func coverage(p *wise.Posterior, truth []float32) (map[string]float64, error) {
	c, err := wise.NewCalibration(wise.HeadlineLevels)
	if err != nil {
		return nil, err
	}
	if err := c.Add(p, truth); err != nil {
		return nil, err
	}
	r := c.Result()
	out := make(map[string]float64, len(r.Levels))
	for k, l := range r.Levels {
		out[fmt.Sprintf("%.0f", 100*l)] = r.Coverage[k]
	}
	return out, nil
}
