package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
	"genfwi/wise"
	"genfwi/wiser"
)

// WISERStudyFiles are the files WISERStudy writes into its output
// directory besides one sub-directory per map (map-K, and map-K-fwionly
// with the FWI-only control).
var WISERStudyFiles = []string{"study.csv", "study.md", "study.json", "budget.csv", "budget_ssim.png", "budget_rmse.png"}

// WISERStudyOptions are the options of WISERStudy: WISER on several maps of
// one velocity file, each with its own simulated observation.
type WISERStudyOptions struct {
	// Model is the trained WISE network; Config the WISER configuration.
	Model  *wise.Model
	Config wiser.Config
	// Maps are the true maps (model grid, m/s, after any perturbation) and
	// Indices their indices in the file Name; map Indices[k]'s observation
	// uses the seed Indices[k] (as "genfwi posterior --index K").
	Maps    [][]float32
	Indices []int
	Name    string
	// PerturbKms and SNR as in WISEROptions.
	PerturbKms float64
	SNR        *float64
	// FWIOnly adds the control without latent correction (the same
	// particles, shots and steps; WISER.jl's fwi_only) per map; Baseline
	// plain L-BFGS FWI on WISER's solve budget.
	FWIOnly  bool
	Baseline bool
	// Figures are the per-map figure options.
	Figures wise.FigureOptions
	// Out is the study directory; maps already finished there with the
	// same configuration are read, not run again (resume).
	Out string
	// Log reports the steps; OnIter is called after every outer iteration
	// of every run; OnRead (optional) instead of OnIter's calls for a run
	// read from an earlier call, with its number of outer iterations.
	Log    func(msg string)
	OnIter func(it *wiser.Iter)
	OnRead func(iters int)
}

// StudyRow is one map of a WISER study.
type StudyRow struct {
	Index int `json:"index"`
	// WISE and WISER score the conditional means; FWIOnly the FWI-only
	// control's and FWI the plain-FWI baseline's, when run.
	WISE    *wise.Scores     `json:"wise"`
	WISER   *wise.Scores     `json:"wiser"`
	FWIOnly *wise.Scores     `json:"fwi_only,omitempty"`
	FWI     *BaselineSummary `json:"fwi_baseline,omitempty"`
	// MisfitWISE and MisfitWISER are the data misfits of the conditional
	// means (all shots, full band) at the first and last iteration.
	MisfitWISE  *float64 `json:"cm_misfit_wise"`
	MisfitWISER *float64 `json:"cm_misfit_wiser"`
	// W1 distances (m/s) at the histogram rows, and credible-interval
	// coverages, of the two posteriors.
	W1WISE        []float64          `json:"w1_wise_ms"`
	W1WISER       []float64          `json:"w1_wiser_ms"`
	CoverageWISE  map[string]float64 `json:"coverage_wise,omitempty"`
	CoverageWISER map[string]float64 `json:"coverage_wiser,omitempty"`
	// Solves are WISER's PDE solves; Seconds its time and FWIOnlySeconds
	// the control's.
	Solves         int64   `json:"pde_solves"`
	Seconds        float64 `json:"seconds"`
	FWIOnlySeconds float64 `json:"fwi_only_seconds,omitempty"`
}

// BudgetPoint is the study's mean conditional-mean score after a number of
// PDE solves (one outer iteration, the same for every map).
type BudgetPoint struct {
	Solves     int64   `json:"pde_solves"`
	DataPasses float64 `json:"data_passes"`
	// GainSSIM is the mean over maps of SSIM(CM) − SSIM(WISE CM); RMSE
	// the mean RMSE (OpenFWI scale); the FWIOnly fields the same for the
	// control (nil without it).
	GainSSIM        float64  `json:"ssim_gain"`
	RMSE            float64  `json:"rmse"`
	GainSSIMFWIOnly *float64 `json:"ssim_gain_fwi_only,omitempty"`
	RMSEFWIOnly     *float64 `json:"rmse_fwi_only,omitempty"`
}

// WISERStudySummary is study.json.
type WISERStudySummary struct {
	Config     wiser.Config `json:"config"`
	Name       string       `json:"velocity_file"`
	PerturbKms float64      `json:"perturb_kms"`
	SNRdB      *float64     `json:"snr_db,omitempty"`
	Rows       []StudyRow   `json:"maps"`
	// Counts over the maps: WISER's CM SSIM higher, data misfit lower,
	// RMSE lower, W1 lower (per histogram row) than WISE's; Both counts
	// maps with SSIM higher and misfit lower (issue 16's acceptance,
	// ≥ 80 % of the maps).
	SSIMUp     int   `json:"ssim_up"`
	MisfitDown int   `json:"misfit_down"`
	Both       int   `json:"ssim_up_and_misfit_down"`
	RMSEDown   int   `json:"rmse_down"`
	W1Down     []int `json:"w1_down"`
	// Means over the maps (OpenFWI scale), keyed wise, wiser and, when
	// run, fwi_only and fwi.
	MeanSSIM map[string]float64 `json:"mean_ssim"`
	MeanRMSE map[string]float64 `json:"mean_rmse"`
	// MeanCoverage50 and MeanCoverage90 are the mean coverages of the 50 %
	// and 90 % central credible intervals of WISE and WISER.
	MeanCoverage50 map[string]float64 `json:"mean_coverage_50"`
	MeanCoverage90 map[string]float64 `json:"mean_coverage_90"`
	// Budget is the mean score curve over the outer iterations; the
	// PassesToFinal fields give the data passes after which the mean SSIM
	// gain first reaches the final mean gain and the mean RMSE first
	// falls to within 1 % of its final value (where the curves saturate).
	Budget            []BudgetPoint `json:"budget"`
	PassesToFinalSSIM float64       `json:"passes_to_final_ssim_gain"`
	// MaxSSIMGain is the largest mean SSIM gain on the curve and
	// PassesAtMaxSSIM where it is reached (the curve may peak and fall).
	MaxSSIMGain       float64 `json:"max_ssim_gain"`
	PassesAtMaxSSIM   float64 `json:"passes_at_max_ssim_gain"`
	PassesToFinalRMSE float64 `json:"passes_to_final_rmse"`
	FinalPasses       float64 `json:"final_data_passes"`
	Seconds           float64 `json:"seconds"`
	MapsRun           int     `json:"maps_run"`
	MapsFound         int     `json:"maps_read"`
}

// WISERStudy runs WISER (and the controls asked for) on every map, or reads
// the maps finished by an earlier call with the same configuration, and
// writes the per-map table (study.csv, study.md), the mean SSIM gain and
// RMSE against PDE solves (budget.csv, budget_ssim.png, budget_rmse.png) and study.json to o.Out.
// A cancelled context stops after the current run; the maps finished so far
// stay valid for the next call.
func WISERStudy(ctx context.Context, o WISERStudyOptions) (*WISERStudySummary, error) {
	if len(o.Maps) == 0 || len(o.Maps) != len(o.Indices) {
		return nil, fmt.Errorf("wiser study: %d maps and %d indices", len(o.Maps), len(o.Indices))
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	sum := &WISERStudySummary{Config: o.Config, Name: o.Name, PerturbKms: o.PerturbKms, SNRdB: o.SNR}
	var hist, histFWI [][]wiser.Iter
	for k, truth := range o.Maps {
		idx := o.Indices[k]
		run := func(dir string, cfg wiser.Config, baseline bool) (*WISERSummary, []wiser.Iter, error) {
			if s, h, ok := finishedRun(dir, cfg, baseline); ok {
				sum.MapsFound++
				if o.OnRead != nil {
					o.OnRead(len(h))
				}
				if o.Log != nil {
					o.Log(fmt.Sprintf("map %d: %s finished earlier, read", idx, dir))
				}
				return s, h, nil
			}
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			wo := WISEROptions{Model: o.Model, Config: cfg, Truth: truth, Name: o.Name, Index: idx, PerturbKms: o.PerturbKms,
				ObsSeed: uint64(idx), SNR: o.SNR, Figures: o.Figures, Out: dir, OnIter: o.OnIter, Log: o.Log, Baseline: baseline}
			s, err := WISER(ctx, wo)
			if err != nil {
				return nil, nil, err
			}
			sum.MapsRun++
			h, err := wiser.ReadHistory(dir)
			return s, h, err
		}
		s, h, err := run(filepath.Join(o.Out, fmt.Sprintf("map-%d", idx)), o.Config, o.Baseline)
		if err != nil {
			return nil, err
		}
		row := StudyRow{Index: idx, WISE: s.WISE, WISER: s.WISER, FWI: s.Baseline, MisfitWISE: s.CMMisfitStart,
			MisfitWISER: s.CMMisfit, W1WISE: s.W1WISE, W1WISER: s.W1WISER, CoverageWISE: s.CoverageWISE,
			CoverageWISER: s.CoverageWISER, Solves: s.PDESolves, Seconds: s.Seconds}
		hist = append(hist, h)
		if o.FWIOnly {
			cfg := o.Config
			cfg.Inner = 0
			f, hf, err := run(filepath.Join(o.Out, fmt.Sprintf("map-%d-fwionly", idx)), cfg, false)
			if err != nil {
				return nil, err
			}
			row.FWIOnly, row.FWIOnlySeconds = f.WISER, f.Seconds
			histFWI = append(histFWI, hf)
		}
		sum.Rows = append(sum.Rows, row)
		sum.Seconds += row.Seconds + row.FWIOnlySeconds
	}
	if err := sum.tally(hist, histFWI); err != nil {
		return nil, err
	}
	return sum, sum.write(o.Out)
}

// finishedRun reads a WISER run in dir that completed with configuration
// cfg (and the baseline when asked for).
func finishedRun(dir string, cfg wiser.Config, baseline bool) (*WISERSummary, []wiser.Iter, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "wiser.json"))
	if err != nil {
		return nil, nil, false
	}
	var s WISERSummary
	if json.Unmarshal(b, &s) != nil || s.Interrupted || !reflect.DeepEqual(s.Config, cfg) || s.WISE == nil || s.WISER == nil ||
		(baseline && s.Baseline == nil) || s.Iterations != cfg.Outer {
		return nil, nil, false
	}
	h, err := wiser.ReadHistory(dir)
	if err != nil || len(h) != cfg.Outer {
		return nil, nil, false
	}
	return &s, h, true
}

func (s *WISERStudySummary) tally(hist, histFWI [][]wiser.Iter) error {
	n := float64(len(s.Rows))
	s.MeanSSIM = map[string]float64{"wise": 0, "wiser": 0}
	s.MeanRMSE = map[string]float64{"wise": 0, "wiser": 0}
	s.MeanCoverage50 = map[string]float64{"wise": 0, "wiser": 0}
	s.MeanCoverage90 = map[string]float64{"wise": 0, "wiser": 0}
	add := func(m map[string]float64, key string, v float64) {
		m[key] += v / n
	}
	for _, r := range s.Rows {
		if r.WISE == nil || r.WISER == nil {
			return fmt.Errorf("wiser study: map %d has no truth to score against", r.Index)
		}
		up := r.WISER.OpenFWI.SSIM > r.WISE.OpenFWI.SSIM
		down := r.MisfitWISE != nil && r.MisfitWISER != nil && *r.MisfitWISER < *r.MisfitWISE
		s.SSIMUp += b2i(up)
		s.MisfitDown += b2i(down)
		s.Both += b2i(up && down)
		s.RMSEDown += b2i(r.WISER.OpenFWI.RMSE < r.WISE.OpenFWI.RMSE)
		for j := range r.W1WISER {
			if len(s.W1Down) <= j {
				s.W1Down = append(s.W1Down, 0)
			}
			s.W1Down[j] += b2i(r.W1WISER[j] < r.W1WISE[j])
		}
		add(s.MeanSSIM, "wise", r.WISE.OpenFWI.SSIM)
		add(s.MeanSSIM, "wiser", r.WISER.OpenFWI.SSIM)
		add(s.MeanRMSE, "wise", r.WISE.OpenFWI.RMSE)
		add(s.MeanRMSE, "wiser", r.WISER.OpenFWI.RMSE)
		if r.FWIOnly != nil {
			add(s.MeanSSIM, "fwi_only", r.FWIOnly.OpenFWI.SSIM)
			add(s.MeanRMSE, "fwi_only", r.FWIOnly.OpenFWI.RMSE)
		}
		if r.FWI != nil && r.FWI.SSIM != nil {
			add(s.MeanSSIM, "fwi", *r.FWI.SSIM)
			add(s.MeanRMSE, "fwi", *r.FWI.RMSE)
		}
		add(s.MeanCoverage50, "wise", r.CoverageWISE["50"])
		add(s.MeanCoverage50, "wiser", r.CoverageWISER["50"])
		add(s.MeanCoverage90, "wise", r.CoverageWISE["90"])
		add(s.MeanCoverage90, "wiser", r.CoverageWISER["90"])
	}
	// The budget curve: every map runs the same schedule, so iteration e
	// has the same solve count everywhere.
	iters := len(hist[0])
	for _, h := range hist {
		iters = min(iters, len(h))
	}
	for e := 0; e < iters; e++ {
		p := BudgetPoint{Solves: hist[0][e].Solves, DataPasses: hist[0][e].DataPasses}
		for k, h := range hist {
			p.GainSSIM += (h[e].SSIM - s.Rows[k].WISE.OpenFWI.SSIM) / n
			p.RMSE += h[e].RMSE / n
		}
		if len(histFWI) == len(hist) && e < minLen(histFWI) {
			var gain, rmse float64
			for k, h := range histFWI {
				gain += (h[e].SSIM - s.Rows[k].WISE.OpenFWI.SSIM) / n
				rmse += h[e].RMSE / n
			}
			p.GainSSIMFWIOnly, p.RMSEFWIOnly = &gain, &rmse
		}
		s.Budget = append(s.Budget, p)
	}
	if len(s.Budget) > 0 {
		last := s.Budget[len(s.Budget)-1]
		s.FinalPasses = last.DataPasses
		s.PassesToFinalSSIM, s.PassesToFinalRMSE = last.DataPasses, last.DataPasses
		s.MaxSSIMGain = math.Inf(-1)
		for _, p := range s.Budget {
			if p.GainSSIM > s.MaxSSIMGain {
				s.MaxSSIMGain, s.PassesAtMaxSSIM = p.GainSSIM, p.DataPasses
			}
		}
		for i := len(s.Budget) - 1; i >= 0; i-- {
			if s.Budget[i].GainSSIM >= last.GainSSIM {
				s.PassesToFinalSSIM = s.Budget[i].DataPasses
			}
		}
		for _, p := range s.Budget {
			if p.RMSE <= last.RMSE*1.01 {
				s.PassesToFinalRMSE = p.DataPasses
				break
			}
		}
	}
	return nil
}

func minLen(h [][]wiser.Iter) int {
	n := math.MaxInt
	for _, x := range h {
		n = min(n, len(x))
	}
	return n
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// write writes study.csv, study.md, budget.csv, budget.png and study.json.
func (s *WISERStudySummary) write(dir string) error {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return f(*p)
	}
	var c bytes.Buffer
	c.WriteString("index,ssim_wise,ssim_wiser,ssim_fwi_only,ssim_fwi,rmse_wise,rmse_wiser,rmse_fwi_only,rmse_fwi," +
		"mae_wise,mae_wiser,misfit_wise,misfit_wiser,misfit_fwi,w1_wise_a,w1_wise_b,w1_wiser_a,w1_wiser_b," +
		"coverage50_wise,coverage50_wiser,coverage90_wise,coverage90_wiser,pde_solves,seconds,fwi_only_seconds\n")
	for _, r := range s.Rows {
		fo, fw := [3]string{}, [3]string{}
		if r.FWIOnly != nil {
			fo = [3]string{f(r.FWIOnly.OpenFWI.SSIM), f(r.FWIOnly.OpenFWI.RMSE), ""}
		}
		if r.FWI != nil {
			fw = [3]string{opt(r.FWI.SSIM), opt(r.FWI.RMSE), f(r.FWI.Misfit)}
		}
		w1 := func(v []float64, j int) string {
			if j < len(v) {
				return f(v[j])
			}
			return ""
		}
		fmt.Fprintf(&c, "%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s\n", r.Index,
			f(r.WISE.OpenFWI.SSIM), f(r.WISER.OpenFWI.SSIM), fo[0], fw[0], f(r.WISE.OpenFWI.RMSE), f(r.WISER.OpenFWI.RMSE), fo[1], fw[1],
			f(r.WISE.OpenFWI.MAE), f(r.WISER.OpenFWI.MAE), opt(r.MisfitWISE), opt(r.MisfitWISER), fw[2],
			w1(r.W1WISE, 0), w1(r.W1WISE, 1), w1(r.W1WISER, 0), w1(r.W1WISER, 1),
			f(r.CoverageWISE["50"]), f(r.CoverageWISER["50"]), f(r.CoverageWISE["90"]), f(r.CoverageWISER["90"]),
			r.Solves, f(r.Seconds), f(r.FWIOnlySeconds))
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "study.csv"), c.Bytes()); err != nil {
		return err
	}
	var bc bytes.Buffer
	bc.WriteString("pde_solves,data_passes,ssim_gain,rmse,ssim_gain_fwi_only,rmse_fwi_only\n")
	for _, p := range s.Budget {
		fmt.Fprintf(&bc, "%d,%s,%s,%s,%s,%s\n", p.Solves, f(p.DataPasses), f(p.GainSSIM), f(p.RMSE), opt(p.GainSSIMFWIOnly), opt(p.RMSEFWIOnly))
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "budget.csv"), bc.Bytes()); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "study.md"), s.markdown()); err != nil {
		return err
	}
	if err := s.budgetFigures(dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "study.json"), append(b, '\n'))
}

func (s *WISERStudySummary) markdown() []byte {
	var b bytes.Buffer
	n := len(s.Rows)
	fmt.Fprintf(&b, "# WISER study: %d maps of %s (perturbation %g km/s)\n\n", n, filepath.Base(s.Name), s.PerturbKms)
	b.WriteString("| map | CM SSIM WISE → WISER | FWI only | plain FWI | CM RMSE WISE → WISER | FWI only | plain FWI | CM data misfit WISE → WISER | W1 (m/s) WISE → WISER | coverage 50/90 % WISE → WISER |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	g := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	dash := func(p *wise.Scores, ssim bool) string {
		if p == nil {
			return "—"
		}
		if ssim {
			return g(p.OpenFWI.SSIM)
		}
		return g(p.OpenFWI.RMSE)
	}
	for _, r := range s.Rows {
		fwiS, fwiR := "—", "—"
		if r.FWI != nil && r.FWI.SSIM != nil {
			fwiS, fwiR = g(*r.FWI.SSIM), g(*r.FWI.RMSE)
		}
		mis := "—"
		if r.MisfitWISE != nil && r.MisfitWISER != nil {
			mis = fmt.Sprintf("%.4g → %.4g", *r.MisfitWISE, *r.MisfitWISER)
		}
		fmt.Fprintf(&b, "| %d | %s → %s | %s | %s | %s → %s | %s | %s | %s | %.0f, %.0f → %.0f, %.0f | %.2f/%.2f → %.2f/%.2f |\n", r.Index,
			g(r.WISE.OpenFWI.SSIM), g(r.WISER.OpenFWI.SSIM), dash(r.FWIOnly, true), fwiS,
			g(r.WISE.OpenFWI.RMSE), g(r.WISER.OpenFWI.RMSE), dash(r.FWIOnly, false), fwiR, mis,
			at(r.W1WISE, 0), at(r.W1WISE, 1), at(r.W1WISER, 0), at(r.W1WISER, 1),
			r.CoverageWISE["50"], r.CoverageWISE["90"], r.CoverageWISER["50"], r.CoverageWISER["90"])
	}
	mean := func(m map[string]float64, k string) string {
		if v, ok := m[k]; ok {
			return g(v)
		}
		return "—"
	}
	fmt.Fprintf(&b, "\nOver the %d maps: SSIM higher on %d, data misfit lower on %d, both on %d (acceptance: ≥ 80 %%); RMSE lower on %d; W1 lower on %v.\n",
		n, s.SSIMUp, s.MisfitDown, s.Both, s.RMSEDown, s.W1Down)
	fmt.Fprintf(&b, "Mean CM SSIM: WISE %s, WISER %s, FWI only %s, plain FWI %s; mean RMSE: %s, %s, %s, %s.\n",
		mean(s.MeanSSIM, "wise"), mean(s.MeanSSIM, "wiser"), mean(s.MeanSSIM, "fwi_only"), mean(s.MeanSSIM, "fwi"),
		mean(s.MeanRMSE, "wise"), mean(s.MeanRMSE, "wiser"), mean(s.MeanRMSE, "fwi_only"), mean(s.MeanRMSE, "fwi"))
	fmt.Fprintf(&b, "Mean coverage of the 50 %% / 90 %% intervals: WISE %.3f / %.3f, WISER %.3f / %.3f.\n",
		s.MeanCoverage50["wise"], s.MeanCoverage90["wise"], s.MeanCoverage50["wiser"], s.MeanCoverage90["wiser"])
	final := math.NaN()
	if len(s.Budget) > 0 {
		final = s.Budget[len(s.Budget)-1].GainSSIM
	}
	fmt.Fprintf(&b, "Budget (budget.csv, budget_ssim.png, budget_rmse.png): final mean SSIM gain %+.4f after %.1f data passes, first reached after %.1f; largest %+.4f after %.1f; the mean RMSE comes within 1 %% of its final value after %.1f data passes.\n",
		final, s.FinalPasses, s.PassesToFinalSSIM, s.MaxSSIMGain, s.PassesAtMaxSSIM, s.PassesToFinalRMSE)
	return b.Bytes()
}

func at(v []float64, j int) float64 {
	if j < len(v) {
		return v[j]
	}
	return math.NaN()
}

// budgetFigures draws the mean SSIM gain (budget_ssim.png) and the mean RMSE
// (budget_rmse.png) against data passes, each starting from WISE at zero
// passes, for WISER and the FWI-only control.
func (s *WISERStudySummary) budgetFigures(dir string) error {
	series := func(name string, y0 float64, y func(BudgetPoint) float64) figures.Series {
		sr := figures.Series{Name: name, X: []float64{0}, Y: []float64{y0}}
		for _, p := range s.Budget {
			sr.X = append(sr.X, p.DataPasses)
			sr.Y = append(sr.Y, y(p))
		}
		return sr
	}
	if len(s.Budget) == 0 {
		return errors.New("wiser study: no budget points to draw")
	}
	fwiOnly := s.Budget[0].GainSSIMFWIOnly != nil
	gain := []figures.Series{series("WISER", 0, func(p BudgetPoint) float64 { return p.GainSSIM })}
	rmse := []figures.Series{series("WISER", s.MeanRMSE["wise"], func(p BudgetPoint) float64 { return p.RMSE })}
	if fwiOnly {
		gain = append(gain, series("FWI only (no latent correction)", 0, func(p BudgetPoint) float64 { return *p.GainSSIMFWIOnly }))
		rmse = append(rmse, series("FWI only (no latent correction)", s.MeanRMSE["wise"], func(p BudgetPoint) float64 { return *p.RMSEFWIOnly }))
	}
	x := "data passes (PDE solves / (2 × shots)); 0 = WISE"
	if err := figures.Lines(filepath.Join(dir, "budget_ssim.png"), figures.LineSpec{
		Title: fmt.Sprintf("mean CM SSIM gain over WISE, %d maps", len(s.Rows)), XLabel: x, YLabel: "SSIM − SSIM(WISE)"}, gain...); err != nil {
		return err
	}
	return figures.Lines(filepath.Join(dir, "budget_rmse.png"), figures.LineSpec{
		Title: fmt.Sprintf("mean CM RMSE, %d maps", len(s.Rows)), XLabel: x, YLabel: "RMSE (OpenFWI scale)"}, rmse...)
}
