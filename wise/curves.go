package wise

import (
	"fmt"
	"path/filepath"
	"strings"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
	"genfwi/internal/rundir"
)

// writeCurves writes loss.csv (every step) and, when there are validation
// points, val.csv, val.png (SSIM and RMSE of the conditional mean per
// epoch) and loss.png (mean training loss per epoch) into out.
func writeCurves(out string, h history, spe int) error {
	if err := rundir.WriteLossCurves(out, h.Loss, spe, rundir.LossPlot{Title: "WISE training loss", YLabel: "NLL per pixel",
		Series: "mean training NLL / pixel"}); err != nil {
		return err
	}
	if len(h.Val) == 0 {
		return nil
	}
	var sb strings.Builder
	sb.WriteString("epoch,step,train_loss,sigma,ssim,rmse,mae,rmse_ms,mae_ms,std_ms,maps,samples\n")
	var x, ssim, rmse []float64
	for _, v := range h.Val {
		fmt.Fprintf(&sb, "%d,%d,%.6g,%.6g,%.6f,%.6f,%.6f,%.3f,%.3f,%.3f,%d,%d\n", v.Epoch, v.Step, v.TrainLoss, v.Sigma,
			v.SSIM, v.RMSE, v.MAE, v.RMSEms, v.MAEms, v.Std, v.Maps, v.Samples)
		x = append(x, float64(v.Epoch))
		ssim = append(ssim, v.SSIM)
		rmse = append(rmse, v.RMSE)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "val.csv"), []byte(sb.String())); err != nil {
		return err
	}
	v := h.Val[len(h.Val)-1]
	return figures.Lines(filepath.Join(out, "val.png"),
		figures.LineSpec{Title: fmt.Sprintf("validation: conditional mean of %d samples on %d held-out maps", v.Samples, v.Maps),
			XLabel: "epoch", YLabel: "SSIM / RMSE (OpenFWI scale)"},
		figures.Series{Name: "SSIM", X: x, Y: ssim}, figures.Series{Name: "RMSE (normalised)", X: x, Y: rmse})
}
