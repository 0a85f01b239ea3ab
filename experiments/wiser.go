package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"genfwi/cig"
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
	if err := npy.WriteFileFloat32(filepath.Join(o.Out, "particles.npy"), npy.Float32, []int{res.Posterior.N, 1, inf.Nz, inf.Nx}, res.Particles); err != nil {
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
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(o.Out, "wiser.json"), append(b, '\n')); err != nil {
		return nil, err
	}
	return sum, runErr
}

func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
