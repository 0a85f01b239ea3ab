package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"genfwi/internal/progress"
	"genfwi/wise"
)

// CalibrationOptions are the options of Calibration.
type CalibrationOptions struct {
	// Model is the trained WISE network, Data a test CIG data set directory.
	Model *wise.Model
	Data  string
	// N test pairs (evenly spaced; 0 = all), Samples posterior samples per
	// map, Seed of the latent draws.
	N, Samples int
	Seed       uint64
	// Out receives calibration.csv and calibration.png.
	Out string
	// Bar reports the maps done; Note, if set, receives remarks (a test
	// set smaller than the documented one).
	Bar  progress.Start
	Note func(msg string)
}

// CalibrationReport is the result of Calibration and its headline: maps,
// samples, pixels, model, data, seconds, levels, coverage, the conditional
// means' scores and coverage_NN at wise.HeadlineLevels.
type CalibrationReport struct {
	*wise.CalibrationResult
	Headline map[string]any
}

// Calibration measures the coverage of WISE's pointwise central credible
// intervals on test pairs (wise.Calibrate; an RTM-only network sees the
// zero-offset image) and writes the curve to o.Out.
func Calibration(ctx context.Context, o CalibrationOptions) (*CalibrationReport, error) {
	m := o.Model
	d, err := wise.OpenCIG(o.Data)
	if err != nil {
		return nil, &InputError{"Data", err}
	}
	defer d.Close()
	var pairs wise.Pairs = d
	if m.Config.Train.RTMOnly {
		if pairs, err = wise.RTMOnly(d); err != nil {
			return nil, err
		}
	}
	total := o.N
	if total == 0 || total > d.Len() {
		total = d.Len()
	}
	if total < 100 && o.Note != nil {
		o.Note(fmt.Sprintf("note: %d test maps (the calibration table of docs/wise.md uses >= 100)", total))
	}
	bar := o.Bar.Bar(total, "calibration")
	defer bar.Finish()
	t0 := time.Now()
	r, err := wise.Calibrate(ctx, m, pairs, o.N, o.Samples, o.Seed, func(done, _ int) { bar.Add(1) })
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	if err := r.Write(o.Out, fmt.Sprintf("WISE calibration: %d maps of %s", r.Maps, filepath.Base(o.Data))); err != nil {
		return nil, err
	}
	res := map[string]any{"maps": r.Maps, "samples": r.Samples, "pixels": r.Pixels, "model": m.Path, "data": o.Data,
		"seconds": time.Since(t0).Seconds(), "levels": r.Levels, "coverage": r.Coverage,
		"cm": r.CM, "cm_ms": r.CMms, "mean_std_ms": r.MeanStd}
	for _, l := range wise.HeadlineLevels {
		res[fmt.Sprintf("coverage_%02.0f", 100*l)] = r.At(l)
	}
	return &CalibrationReport{r, res}, nil
}
