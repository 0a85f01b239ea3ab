package rundir

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"genfwi/figures"
	"genfwi/internal/atomicfile"
)

// LossPlot labels the loss.png of WriteLossCurves.
type LossPlot struct {
	// Title, YLabel and Series are the figure's title, y-axis label and
	// the name of its one curve (x is the epoch).
	Title, YLabel, Series string
}

// WriteLossCurves writes out/loss.csv with one row "step,epoch,loss" per
// step of an epoch-based run with stepsPerEpoch steps per epoch and, once an
// epoch is complete, out/loss.png with the mean loss of every complete
// epoch.
func WriteLossCurves(out string, loss []float64, stepsPerEpoch int, plot LossPlot) error {
	spe := stepsPerEpoch
	var sb strings.Builder
	sb.WriteString("step,epoch,loss\n")
	for i, l := range loss {
		fmt.Fprintf(&sb, "%d,%d,%.6g\n", i+1, i/spe+1, l)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "loss.csv"), []byte(sb.String())); err != nil {
		return err
	}
	var ep, tl []float64
	for e := 0; (e+1)*spe <= len(loss); e++ {
		ep = append(ep, float64(e+1))
		tl = append(tl, Mean(loss[e*spe:(e+1)*spe]))
	}
	if len(ep) == 0 {
		return nil
	}
	return figures.Lines(filepath.Join(out, "loss.png"), figures.LineSpec{Title: plot.Title, XLabel: "epoch", YLabel: plot.YLabel},
		figures.Series{Name: plot.Series, X: ep, Y: tl})
}

// Mean is the mean of v, NaN when v is empty.
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
