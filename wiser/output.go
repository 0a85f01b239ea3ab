package wiser

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
)

// HistoryFiles are the names WriteHistory writes (for output checks).
var HistoryFiles = []string{"history.csv", "curves_ssim.png", "curves_misfit.png", "curves_inner.png"}

// WriteHistory writes the per-iteration record as dir/history.csv and the
// curves against PDE solves: CM SSIM and RMSE (with a truth), the data
// misfit of the conditional mean and the particles' FWI misfit, and the
// inner loss (squared distance of the samples to the particles).
func WriteHistory(dir string, h []Iter) error {
	var b bytes.Buffer
	b.WriteString("outer,cutoff_hz,pde_solves,data_passes,fwi_misfit,cm_misfit,inner_start,inner_loss,latent_rms,ssim,rmse,mae,rmse_ms,mae_ms,diagnostic_solves,seconds\n")
	f := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', 8, 64)
	}
	for _, it := range h {
		fmt.Fprintf(&b, "%d,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%s\n", it.Outer, f(it.Cutoff), it.Solves, f(it.DataPasses),
			f(it.FWIMisfit), f(it.CMMisfit), f(it.InnerStart), f(it.InnerLoss), f(it.LatentNorm), f(it.SSIM), f(it.RMSE), f(it.MAE),
			f(it.RMSEms), f(it.MAEms), it.DiagSolves, f(it.Seconds))
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "history.csv"), b.Bytes()); err != nil {
		return err
	}
	if len(h) == 0 {
		return nil
	}
	series := func(name string, y func(Iter) float64) figures.Series {
		s := figures.Series{Name: name}
		for _, it := range h {
			if v := y(it); !math.IsNaN(v) {
				s.X = append(s.X, float64(it.Solves))
				s.Y = append(s.Y, v)
			}
		}
		return s
	}
	if !math.IsNaN(h[0].SSIM) {
		if err := figures.Lines(filepath.Join(dir, "curves_ssim.png"), figures.LineSpec{Title: "conditional mean against the truth",
			XLabel: "PDE solves", YLabel: "SSIM, RMSE (OpenFWI scale)"},
			series("SSIM", func(it Iter) float64 { return it.SSIM }), series("RMSE", func(it Iter) float64 { return it.RMSE })); err != nil {
			return err
		}
	}
	ms := []figures.Series{series("particles' FWI misfit (band, 1 shot each)", func(it Iter) float64 { return it.FWIMisfit })}
	if c := series("CM data misfit (all shots, full band)", func(it Iter) float64 { return it.CMMisfit }); len(c.X) > 0 {
		ms = append(ms, c)
	}
	if err := figures.Lines(filepath.Join(dir, "curves_misfit.png"), figures.LineSpec{Title: "data misfit",
		XLabel: "PDE solves", YLabel: "½‖r‖² (data units²)", LogY: true}, ms...); err != nil {
		return err
	}
	var in []figures.Series
	for _, s := range []figures.Series{
		series("before the inner loop", func(it Iter) float64 { return it.InnerStart }),
		series("after the inner loop", func(it Iter) float64 { return it.InnerLoss }),
	} {
		if len(s.X) > 0 {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		return nil
	}
	// Without the latent correction (Inner = 0) only "after" exists: the
	// particles' squared distance to the WISE samples they started from.
	return figures.Lines(filepath.Join(dir, "curves_inner.png"), figures.LineSpec{Title: "latent correction: samples vs particles",
		XLabel: "PDE solves", YLabel: "Σ‖G⁻¹(h(z)) − v‖²/M ((km/s)²)", LogY: true}, in...)
}
