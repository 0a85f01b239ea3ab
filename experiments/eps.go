package experiments

import (
	"context"
	"path/filepath"
	"time"

	"genfwi/wavediff"
)

// EpsResult is the headline of EpsError, also written to
// Out/eps_error.json.
type EpsResult struct {
	Points []wavediff.EpsErrorPoint `json:"points"`
	// MeanModelL1 is the mean over the timesteps (≈ the training loss).
	MeanModelL1 float64 `json:"mean_model_l1"`
	// MaxTWorse is the largest t at which the model is worse than the
	// Gaussian predictor (-1: none).
	MaxTWorse int     `json:"max_t_worse_than_gaussian"`
	NReal     int     `json:"n_real"`
	Seconds   float64 `json:"seconds"`
	CSV       string  `json:"csv"`
	PNG       string  `json:"png"`
}

// EpsError measures the ε-prediction error (L1) at points timesteps on the
// latents of the real pairs, next to the Gaussian-optimal predictor, and
// writes eps_error.{csv,png,json} to out.
func EpsError(ctx context.Context, s *Setup, points int, seed uint64, out string) (*EpsResult, error) {
	ps, err := wavediff.EpsError(ctx, s.Diffusion, s.AE, s.Real, wavediff.EpsErrorTimesteps(s.Diffusion.Sched.T, points), seed)
	if err != nil {
		return nil, err
	}
	if err := wavediff.WriteEpsError(out, ps); err != nil {
		return nil, err
	}
	res := &EpsResult{Points: ps, MaxTWorse: -1, NReal: s.Real.N,
		CSV: filepath.Join(out, "eps_error.csv"), PNG: filepath.Join(out, "eps_error.png")}
	for _, p := range ps {
		res.MeanModelL1 += p.Model / float64(len(ps))
		if p.Model > p.Gaussian && p.T > res.MaxTWorse {
			res.MaxTWorse = p.T
		}
	}
	res.Seconds = time.Since(s.Began).Seconds()
	if err := wavediff.WriteJSON(filepath.Join(out, "eps_error.json"), res); err != nil {
		return nil, err
	}
	return res, nil
}
