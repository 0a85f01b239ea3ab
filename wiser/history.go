package wiser

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// ReadHistory reads dir/history.csv as WriteHistory writes it (the
// posterior samples are not in it: Iter.Posterior stays nil). Empty cells
// read as NaN.
func ReadHistory(dir string) ([]Iter, error) {
	path := filepath.Join(dir, "history.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"outer", "cutoff_hz", "pde_solves", "data_passes", "fwi_misfit", "cm_misfit", "inner_start",
		"inner_loss", "latent_rms", "ssim", "rmse", "mae", "rmse_ms", "mae_ms", "diagnostic_solves", "seconds"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, name)
		}
	}
	h := make([]Iter, 0, len(rows)-1)
	for n, r := range rows[1:] {
		var bad error
		num := func(name string) float64 {
			s := r[col[name]]
			if s == "" {
				return math.NaN()
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil && bad == nil {
				bad = fmt.Errorf("%s: line %d, %s: %w", path, n+2, name, err)
			}
			return x
		}
		it := Iter{Outer: int(num("outer")), Cutoff: num("cutoff_hz"), Solves: int64(num("pde_solves")),
			DataPasses: num("data_passes"), FWIMisfit: num("fwi_misfit"), CMMisfit: num("cm_misfit"),
			InnerStart: num("inner_start"), InnerLoss: num("inner_loss"), LatentNorm: num("latent_rms"),
			SSIM: num("ssim"), RMSE: num("rmse"), MAE: num("mae"), RMSEms: num("rmse_ms"), MAEms: num("mae_ms"),
			DiagSolves: int64(num("diagnostic_solves")), Seconds: num("seconds")}
		if bad != nil {
			return nil, bad
		}
		h = append(h, it)
	}
	return h, nil
}
