package experiments

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
	"genfwi/metrics"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// The baselines study (scripts/study-baselines.sh, docs/baselines.md) keeps
// every evaluation in <root>/<Family>/eval-<model>-<regime>-noise<σ>/, each
// written by "genfwi invert", and the test maps in
// <root>/test/<Family>/model/model11.npy. BaselinesStudy collects them.

// Baseline regimes: the training data of WaveDiffusion §4.4.
const (
	RegimePureGen = "puregen"  // generated pairs only
	RegimeGen1    = "gen1"     // generated pairs plus 1 % of the real ones
	RegimeOne     = "one"      // 1 % of the real pairs only
	RegimeFull    = "full"     // every real training pair
	RegimeFullAug = "full-aug" // every real pair, noise-augmented training
)

// regimeOrder is the column order of the tables and figures.
var regimeOrder = []string{RegimePureGen, RegimeGen1, RegimeOne, RegimeFull, RegimeFullAug}

// regimeLabel names the regimes as WaveDiffusion's tables do.
func regimeLabel(r string) string {
	switch r {
	case RegimePureGen:
		return "PureGen"
	case RegimeGen1:
		return "Gen+1%"
	case RegimeOne:
		return "1% Only"
	case RegimeFull:
		return "Full"
	case RegimeFullAug:
		return "Full, noise-trained"
	}
	return r
}

// baselineModels lists the models in table order with their labels.
var baselineModels = []struct{ Key, Label string }{
	{"invnet", "InversionNet"}, {"velocitygan", "VelocityGAN"}, {"upfwi", "UPFWI"}, {"wavediffusion", "WaveDiffusion"},
}

func modelLabel(m string) string {
	if i := modelIndex(m); i < len(baselineModels) {
		return baselineModels[i].Label
	}
	return m
}

// modelIndex is m's position in baselineModels (len(baselineModels) if
// unknown: last in the tables).
func modelIndex(m string) int {
	if i := slices.IndexFunc(baselineModels, func(b struct{ Key, Label string }) bool { return b.Key == m }); i >= 0 {
		return i
	}
	return len(baselineModels)
}

// PaperScores are one row of WaveDiffusion's Tables 5–8, on OpenFWI's
// normalised scale (MAE, RMSE) and SSIM on [0, 1].
type PaperScores struct {
	Table string  `json:"table"`
	MAE   float64 `json:"mae"`
	RMSE  float64 `json:"rmse"`
	SSIM  float64 `json:"ssim"`
}

// paperScores returns the published row for (family, model, regime, noise),
// or nil. The paper's rows are on CurveVel-B and FlatVel-B ("CVB", "FVB"),
// genfwi's on the A families it has maps of: the same generators, B having
// more and stronger layers — beside ours for scale, not as the same test.
func paperScores(family, model, regime string, noise float64) *PaperScores {
	type key struct {
		fam, model, regime string
		noisy              bool
	}
	// Values as (RMSE, MAE, SSIM), the order of the paper's tables; Table 8
	// prints MAE first.
	row := func(table string, rmse, mae, ssim float64) *PaperScores {
		return &PaperScores{Table: table, MAE: mae, RMSE: rmse, SSIM: ssim}
	}
	cv, fv := "CurveVel_A", "FlatVel_A"
	rows := map[key]*PaperScores{
		{cv, "invnet", RegimePureGen, false}:      row("Table 7 (CVB)", 0.4798, 0.3078, 0.5204),
		{cv, "invnet", RegimeGen1, false}:         row("Table 7 (CVB)", 0.3258, 0.1976, 0.6293),
		{cv, "invnet", RegimeOne, false}:          row("Table 7 (CVB)", 0.4915, 0.3833, 0.3625),
		{cv, "invnet", RegimeFull, false}:         row("Table 7 (CVB)", 0.2801, 0.1624, 0.6661),
		{fv, "invnet", RegimePureGen, false}:      row("Table 7 (FVB)", 0.2766, 0.1723, 0.6895),
		{fv, "invnet", RegimeGen1, false}:         row("Table 7 (FVB)", 0.1737, 0.0893, 0.8532),
		{fv, "invnet", RegimeOne, false}:          row("Table 7 (FVB)", 0.4045, 0.2884, 0.4967),
		{fv, "invnet", RegimeFull, false}:         row("Table 7 (FVB)", 0.0909, 0.0417, 0.9402),
		{cv, "velocitygan", RegimePureGen, false}: row("Table 6 (CVB)", 0.4556, 0.2971, 0.5186),
		{cv, "velocitygan", RegimeGen1, false}:    row("Table 6 (CVB)", 0.3098, 0.1778, 0.6240),
		{cv, "velocitygan", RegimeOne, false}:     row("Table 6 (CVB)", 0.4842, 0.3650, 0.3583),
		{cv, "velocitygan", RegimeFull, false}:    row("Table 6 (CVB)", 0.2611, 0.1268, 0.6962),
		{cv, "upfwi", RegimePureGen, false}:       row("Table 6 (CVB)", 0.4616, 0.3182, 0.5007),
		{cv, "upfwi", RegimeGen1, false}:          row("Table 6 (CVB)", 0.3935, 0.2424, 0.6177),
		{cv, "upfwi", RegimeOne, false}:           row("Table 6 (CVB)", 0.4887, 0.3612, 0.3945),
		{cv, "upfwi", RegimeFull, false}:          row("Table 6 (CVB)", 0.3179, 0.1777, 0.6614),
		{cv, "wavediffusion", RegimeFull, false}:  row("Table 5 (CVB)", 0.2958, 0.1824, 0.6290),
		{cv, "invnet", RegimeFull, true}:          row("Table 8 (CVB)", 1.0701, 0.9069, 0.2604),
		{cv, "velocitygan", RegimeFull, true}:     row("Table 8 (CVB)", 0.6916, 0.4913, 0.3231),
		{cv, "wavediffusion", RegimeFull, true}:   row("Table 8 (CVB)", 0.3776, 0.2227, 0.6142),
	}
	// Table 8 is σ = 0.05 on the normalised input; other levels have no
	// published row.
	if noise != 0 && noise != 0.05 {
		return nil
	}
	return rows[key{family, model, regime, noise != 0}]
}

// BaselineRow is one evaluation of the study: a model trained in one regime
// on one family, tested at one noise level.
type BaselineRow struct {
	Family string  `json:"family"`
	Model  string  `json:"model"`
	Regime string  `json:"regime"`
	Noise  float64 `json:"noise"`
	// N is the number of test maps, Samples their range in the test file.
	N       int    `json:"n"`
	Samples string `json:"samples"`
	// Scores are on OpenFWI's normalised scale (SSIM on [0, 1]), ScoresMS in
	// m/s.
	Scores   metrics.Scores `json:"scores"`
	ScoresMS metrics.Scores `json:"scores_ms"`
	Paper    *PaperScores   `json:"paper,omitempty"`
	dir      string
	first    int // the first test map (Samples' A)
}

// BaselineClaim is one of the paper's claims checked on the study's numbers.
type BaselineClaim struct {
	Claim string `json:"claim"`
	// Verdict is VerdictHolds, VerdictFails or VerdictUntestable.
	Verdict string `json:"verdict"`
	Detail  string `json:"detail"`
}

// The verdicts of a BaselineClaim. A claim is untestable when the numbers
// it compares cannot decide it: "PureGen approaches Full" when Full is not
// better than 1 % Only by MinDataGapSSIM (the amount of real data made no
// difference to the model, so there is no gap to approach).
const (
	VerdictHolds      = "holds"
	VerdictFails      = "fails"
	VerdictUntestable = "untestable"
)

// MinDataGapSSIM is the smallest SSIM gain of Full over 1 % Only that makes
// "PureGen approaches Full" testable.
const MinDataGapSSIM = 0.01

// verdict maps a decided claim to its verdict.
func verdict(holds bool) string {
	if holds {
		return VerdictHolds
	}
	return VerdictFails
}

// BaselinesSummary is what BaselinesStudy found and wrote.
type BaselinesSummary struct {
	Root    string          `json:"root"`
	Rows    []BaselineRow   `json:"rows"`
	Claims  []BaselineClaim `json:"claims"`
	Files   []string        `json:"files"`
	Figures []string        `json:"figures"`
}

// BaselinesFiles are the files BaselinesStudy writes into the root (the
// figures go into the family directories).
var BaselinesFiles = []string{"results.csv", "results.md", "results.json"}

// parseBaselineTag splits an evaluation directory's tag
// "<model>-<regime>-noise<σ>".
func parseBaselineTag(tag string) (model, regime string, noise float64, err error) {
	i := strings.LastIndex(tag, "-noise")
	if i < 0 {
		return "", "", 0, fmt.Errorf("tag %q: no -noise<σ> suffix", tag)
	}
	noise, err = strconv.ParseFloat(tag[i+len("-noise"):], 64)
	if err != nil || noise < 0 || math.IsNaN(noise) || math.IsInf(noise, 0) {
		return "", "", 0, fmt.Errorf("tag %q: bad noise level", tag)
	}
	model, regime, ok := strings.Cut(tag[:i], "-")
	if !ok || !slices.Contains(regimeOrder, regime) {
		return "", "", 0, fmt.Errorf("tag %q: want <model>-<regime>-noise<σ> with regime one of %v", tag, regimeOrder)
	}
	return model, regime, noise, nil
}

// BaselinesStudy collects every finished evaluation under root into
// results.csv, results.md (tables beside the paper's numbers, and the
// paper's claims checked) and results.json, and draws per family and model
// the prediction grid of the regimes (regimes-<model>.png, like the paper's
// Fig. 17) and the noisy-input comparison (noise.png, like Fig. 18), figures
// maps each. Evaluations without invert.json (unfinished) are skipped.
func BaselinesStudy(root string, figureMaps int) (*BaselinesSummary, error) {
	evals, err := filepath.Glob(filepath.Join(root, "*", "eval-*", "invert.json"))
	if err != nil {
		return nil, err
	}
	s := &BaselinesSummary{Root: root}
	for _, p := range evals {
		dir := filepath.Dir(p)
		r, err := readBaselineEval(p)
		if err != nil {
			return nil, err
		}
		r.Family = filepath.Base(filepath.Dir(dir))
		if r.Model, r.Regime, r.Noise, err = parseBaselineTag(strings.TrimPrefix(filepath.Base(dir), "eval-")); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		r.Paper, r.dir = paperScores(r.Family, r.Model, r.Regime, r.Noise), dir
		s.Rows = append(s.Rows, r)
	}
	if len(s.Rows) == 0 {
		return nil, fmt.Errorf("%s: no finished evaluation (<family>/eval-*/invert.json)", root)
	}
	slices.SortFunc(s.Rows, func(a, b BaselineRow) int {
		if c := strings.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		if c := modelIndex(a.Model) - modelIndex(b.Model); c != 0 {
			return c
		}
		if c := slices.Index(regimeOrder, a.Regime) - slices.Index(regimeOrder, b.Regime); c != 0 {
			return c
		}
		return cmp.Compare(a.Noise, b.Noise)
	})
	s.Claims = baselineClaims(s.Rows)
	if s.Figures, err = baselineFigures(root, s.Rows, figureMaps); err != nil {
		return nil, err
	}
	if err := writeBaselineCSV(filepath.Join(root, "results.csv"), s.Rows); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(root, "results.md"), []byte(baselineMarkdown(s))); err != nil {
		return nil, err
	}
	for _, f := range BaselinesFiles {
		s.Files = append(s.Files, filepath.Join(root, f))
	}
	return s, wavediff.WriteJSON(filepath.Join(root, "results.json"), s)
}

// readBaselineEval reads the scores of one "genfwi invert" summary.
func readBaselineEval(path string) (BaselineRow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return BaselineRow{}, err
	}
	var v struct {
		N       int               `json:"n"`
		Samples string            `json:"samples"`
		Results []InversionScores `json:"results"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return BaselineRow{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(v.Results) != 1 || v.Results[0].Velocity == nil || v.Results[0].VelocityMS == nil {
		return BaselineRow{}, fmt.Errorf("%s: want one result with velocity scores (was it run with --true?)", path)
	}
	var first, end int
	if _, err := fmt.Sscanf(v.Samples, "%d:%d", &first, &end); err != nil || first < 0 || end-first != v.N {
		return BaselineRow{}, fmt.Errorf("%s: samples %q do not give the range of its %d maps", path, v.Samples, v.N)
	}
	return BaselineRow{N: v.N, Samples: v.Samples, Scores: *v.Results[0].Velocity, ScoresMS: *v.Results[0].VelocityMS, first: first}, nil
}

// findRow returns the row of (family, model, regime, noise), or nil.
func findRow(rows []BaselineRow, fam, model, regime string, noise float64) *BaselineRow {
	for i := range rows {
		r := &rows[i]
		if r.Family == fam && r.Model == model && r.Regime == regime && r.Noise == noise {
			return r
		}
	}
	return nil
}

// families lists the families present, sorted.
func families(rows []BaselineRow) []string {
	var fs []string
	for _, r := range rows {
		if !slices.Contains(fs, r.Family) {
			fs = append(fs, r.Family)
		}
	}
	slices.Sort(fs)
	return fs
}

// baselineClaims checks the paper's three claims (§4.4, A.6–A.8) on the
// clean and σ = 0.05 rows that exist.
func baselineClaims(rows []BaselineRow) []BaselineClaim {
	var cs []BaselineClaim
	for _, fam := range families(rows) {
		for _, m := range baselineModels {
			g, o := findRow(rows, fam, m.Key, RegimeGen1, 0), findRow(rows, fam, m.Key, RegimeOne, 0)
			if g != nil && o != nil {
				cs = append(cs, BaselineClaim{Claim: fmt.Sprintf("%s, %s: Gen+1%% beats 1%% Only", fam, m.Label),
					Verdict: verdict(g.Scores.SSIM > o.Scores.SSIM && g.Scores.MAE < o.Scores.MAE),
					Detail:  fmt.Sprintf("SSIM %.4f vs %.4f, MAE %.4f vs %.4f", g.Scores.SSIM, o.Scores.SSIM, g.Scores.MAE, o.Scores.MAE)})
			}
			p, f := findRow(rows, fam, m.Key, RegimePureGen, 0), findRow(rows, fam, m.Key, RegimeFull, 0)
			if p != nil && f != nil {
				// "Approaches": PureGen closes at least half the gap between
				// 1 % Only and Full when that row exists (untestable without
				// a gap), else is within 10 % of Full's SSIM.
				v, detail := verdict(p.Scores.SSIM >= 0.9*f.Scores.SSIM), fmt.Sprintf("SSIM %.4f vs Full %.4f (%.0f %%)", p.Scores.SSIM, f.Scores.SSIM, 100*p.Scores.SSIM/f.Scores.SSIM)
				switch {
				case o != nil && f.Scores.SSIM-o.Scores.SSIM >= MinDataGapSSIM:
					frac := (p.Scores.SSIM - o.Scores.SSIM) / (f.Scores.SSIM - o.Scores.SSIM)
					v = verdict(frac >= 0.5)
					detail += fmt.Sprintf("; closes %.0f %% of the 1%% Only → Full gap (%.4f → %.4f)", 100*frac, o.Scores.SSIM, f.Scores.SSIM)
				case o != nil:
					v = VerdictUntestable
					detail += fmt.Sprintf("; Full is not %.2f SSIM above 1%% Only (%.4f): no data gap to approach", MinDataGapSSIM, o.Scores.SSIM)
				}
				cs = append(cs, BaselineClaim{Claim: fmt.Sprintf("%s, %s: PureGen approaches Full", fam, m.Label), Verdict: v, Detail: detail})
			}
		}
		// Noise robustness: models trained on clean data, σ = 0.05.
		wd := findRow(rows, fam, "wavediffusion", RegimeFull, 0.05)
		wd0 := findRow(rows, fam, "wavediffusion", RegimeFull, 0)
		if wd == nil || wd0 == nil {
			continue
		}
		for _, m := range []string{"invnet", "velocitygan"} {
			n, n0 := findRow(rows, fam, m, RegimeFull, 0.05), findRow(rows, fam, m, RegimeFull, 0)
			if n == nil || n0 == nil {
				continue
			}
			dw, dm := wd0.Scores.SSIM-wd.Scores.SSIM, n0.Scores.SSIM-n.Scores.SSIM
			cs = append(cs, BaselineClaim{Claim: fmt.Sprintf("%s: WaveDiffusion degrades less under σ = 0.05 noise than %s (both trained clean)", fam, modelLabel(m)),
				Verdict: verdict(dw < dm && wd.Scores.SSIM > n.Scores.SSIM),
				Detail: fmt.Sprintf("SSIM clean → noisy: WaveDiffusion %.4f → %.4f (%+.4f), %s %.4f → %.4f (%+.4f)",
					wd0.Scores.SSIM, wd.Scores.SSIM, -dw, modelLabel(m), n0.Scores.SSIM, n.Scores.SSIM, -dm)})
		}
	}
	return cs
}

func writeBaselineCSV(path string, rows []BaselineRow) error {
	var b strings.Builder
	b.WriteString("family,model,regime,noise,n,samples,mae,rmse,ssim,mae_ms,rmse_ms,paper_table,paper_mae,paper_rmse,paper_ssim\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%g,%d,%s,%.6f,%.6f,%.6f,%.3f,%.3f", r.Family, r.Model, r.Regime, r.Noise, r.N, r.Samples,
			r.Scores.MAE, r.Scores.RMSE, r.Scores.SSIM, r.ScoresMS.MAE, r.ScoresMS.RMSE)
		if p := r.Paper; p != nil {
			fmt.Fprintf(&b, ",%s,%.4f,%.4f,%.4f\n", p.Table, p.MAE, p.RMSE, p.SSIM)
		} else {
			b.WriteString(",,,,\n")
		}
	}
	return atomicfile.WriteFile(path, []byte(b.String()))
}

// baselineMarkdown renders the tables: per family the clean rows, the
// noisy-input rows of the models trained on clean data, then the
// noise-trained models apart (so that the comparison is fair both ways),
// and last the claims.
func baselineMarkdown(s *BaselinesSummary) string {
	var b strings.Builder
	table := func(title string, rows []BaselineRow) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "### %s\n\n", title)
		b.WriteString("| model | trained on | test noise σ | MAE | RMSE | SSIM | MAE (m/s) | paper MAE | paper RMSE | paper SSIM | paper source |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %s | %g | %.4f | %.4f | %.4f | %.0f |", modelLabel(r.Model), regimeLabel(r.Regime), r.Noise,
				r.Scores.MAE, r.Scores.RMSE, r.Scores.SSIM, r.ScoresMS.MAE)
			if p := r.Paper; p != nil {
				fmt.Fprintf(&b, " %.4f | %.4f | %.4f | %s |\n", p.MAE, p.RMSE, p.SSIM, p.Table)
			} else {
				b.WriteString(" | | | |\n")
			}
		}
		b.WriteString("\n")
	}
	for _, fam := range families(s.Rows) {
		var clean, noisy, aug []BaselineRow
		for _, r := range s.Rows {
			switch {
			case r.Family != fam:
			case r.Regime == RegimeFullAug:
				aug = append(aug, r)
			case r.Noise == 0:
				clean = append(clean, r)
			default:
				noisy = append(noisy, r)
			}
		}
		if len(clean) > 0 {
			table(fmt.Sprintf("%s, clean test input (%d test maps, file 11 %s)", fam, clean[0].N, clean[0].Samples), clean)
		}
		table(fmt.Sprintf("%s, noisy test input (Gaussian σ on the normalised seismic), models trained on clean data", fam), noisy)
		table(fmt.Sprintf("%s, noise-trained models (σ drawn per training sample from [0, 0.1]), clean and noisy test input", fam), aug)
	}
	if len(s.Claims) > 0 {
		b.WriteString("### The paper's claims on these numbers\n\n| claim | verdict | numbers |\n|---|---|---|\n")
		for _, c := range s.Claims {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Claim, c.Verdict, c.Detail)
		}
	}
	return b.String()
}

// baselineFigures draws, per family, each model's regimes side by side
// (regimes-<model>.png) and the clean-trained models on noisy input
// (noise.png), on one velocity scale with the true maps in the last column.
func baselineFigures(root string, rows []BaselineRow, maps int) ([]string, error) {
	if maps <= 0 {
		return nil, nil
	}
	var out []string
	for _, fam := range families(rows) {
		truthPath := filepath.Join(root, "test", fam, "model", "model11.npy")
		truth, shape, err := npy.ReadFileFloat32(truthPath)
		if errors.Is(err, os.ErrNotExist) {
			continue // no test maps beside the study: tables only
		}
		if err != nil {
			return nil, err
		}
		if len(shape) != 4 || shape[2] != openfwi.NZ || shape[3] != openfwi.NX {
			return nil, fmt.Errorf("%s: shape %v, want [N,1,%d,%d]", truthPath, shape, openfwi.NZ, openfwi.NX)
		}
		for _, m := range baselineModels {
			var cols []BaselineRow
			for _, reg := range regimeOrder {
				if r := findRow(rows, fam, m.Key, reg, 0); r != nil {
					cols = append(cols, *r)
				}
			}
			if len(cols) == 0 {
				continue
			}
			p := filepath.Join(root, fam, "regimes-"+m.Key+".png")
			if err := predictionGrid(p, fmt.Sprintf("%s on %s test maps, by training data", m.Label, fam), cols, regimeLabel, truth, shape[0], maps); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		var cols []BaselineRow
		for _, m := range baselineModels {
			if r := findRow(rows, fam, m.Key, RegimeFull, 0.05); r != nil {
				cols = append(cols, *r)
			}
		}
		if len(cols) > 0 {
			p := filepath.Join(root, fam, "noise.png")
			if err := predictionGrid(p, fmt.Sprintf("%s test maps, input with Gaussian noise σ = 0.05 (models trained clean)", fam), cols,
				nil, truth, shape[0], maps); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// predictionGrid draws maps rows (test maps) of the columns' predictions
// and the truth. label names a column by its regime; nil names it by model.
func predictionGrid(path, title string, cols []BaselineRow, label func(string) string, truth []float32, nTruth, maps int) error {
	scale := figures.VelocityScale(openfwi.VelocityLo, openfwi.VelocityHi)
	preds := make([][]float32, len(cols))
	first := -1
	k := maps
	for i, c := range cols {
		v, shape, err := npy.ReadFileFloat32(filepath.Join(c.dir, "velocity.npy"))
		if err != nil {
			return err
		}
		if len(shape) != 4 || shape[2] != openfwi.NZ || shape[3] != openfwi.NX {
			return fmt.Errorf("%s/velocity.npy: shape %v, want [N,1,%d,%d]", c.dir, shape, openfwi.NZ, openfwi.NX)
		}
		if first >= 0 && c.first != first {
			return fmt.Errorf("%s: test maps from %d, other columns from %d", c.dir, c.first, first)
		}
		first, k, preds[i] = c.first, min(k, shape[0]), v
	}
	k = min(k, nTruth-first)
	var panels []figures.Panel
	raster := func(v []float32, j int) figures.Raster {
		return figures.VelocityRaster(v[j*openfwi.ModelLen:(j+1)*openfwi.ModelLen], openfwi.NZ, openfwi.NX, openfwi.DX, openfwi.DX)
	}
	for j := range k {
		for i, c := range cols {
			name := modelLabel(c.Model)
			if label != nil {
				name = label(c.Regime)
			}
			s := metrics.Velocity(truth[(first+j)*openfwi.ModelLen:(first+j+1)*openfwi.ModelLen], preds[i][j*openfwi.ModelLen:(j+1)*openfwi.ModelLen], openfwi.NZ, openfwi.NX)
			panels = append(panels, figures.Panel{Title: fmt.Sprintf("%s, map %d (SSIM %.3f)", name, first+j, s.SSIM), Raster: raster(preds[i], j), Scale: scale})
		}
		panels = append(panels, figures.Panel{Title: fmt.Sprintf("true, map %d", first+j), Raster: raster(truth, first+j), Scale: scale})
	}
	return figures.Grid(path, title, panels, len(cols)+1)
}
