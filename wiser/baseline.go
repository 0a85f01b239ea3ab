package wiser

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"genfwi/cig"
	"genfwi/fwi"
	"genfwi/metrics"
)

// BaselineOptions configure FWIBaseline.
type BaselineOptions struct {
	// Survey and Obs are the acquisition and the observation (the data a
	// WISE/WISER posterior was conditioned on).
	Survey *cig.Survey
	Obs    *cig.Obs
	// Start is the start model (m/s, Nz·Nx); nil uses the observation's
	// 1d-special background (Obs.Background), the classical FWI start.
	Start []float32
	// Truth, if set, scores the result.
	Truth []float32
	// Solves is the budget of PDE solves (forward and adjoint of one shot
	// each), e.g. a WISER run's count. It is split evenly over the bands.
	Solves int64
	// Config is the FWI configuration (method, bands, bounds,
	// preconditioner); its Iters is ignored: each band runs until its share
	// of the budget is spent (the last L-BFGS iteration may overshoot by
	// its line search).
	Config fwi.Config
}

// Baseline is a plain FWI run on a solve budget.
type Baseline struct {
	// Model is the final model (m/s).
	Model []float32
	// Solves is the number of PDE solves spent, Iters the iterations.
	Solves int64
	Iters  int
	// Misfit is ½‖F(m) − d‖² of the final model over all shots (full band;
	// its solves are not part of Solves).
	Misfit float64
	// Scores against the truth (OpenFWI scale) and in m/s; NaN without one.
	SSIM, RMSE, MAE, RMSEms, MAEms float64
	Seconds                        float64
	History                        []fwi.Iteration
}

// errBudget stops a band whose share of the budget is spent.
var errBudget = errors.New("wiser: band budget spent")

// FWIBaseline runs plain FWI (by default L-BFGS, as `genfwi fwi`) on the
// observation with the given number of PDE solves: WISER's comparison of
// accuracy per PDE solve against the classical method on the same data.
func FWIBaseline(ctx context.Context, o BaselineOptions) (*Baseline, error) {
	if o.Survey == nil || o.Obs == nil {
		return nil, errors.New("wiser: FWIBaseline needs a survey and an observation")
	}
	if o.Solves < 1 {
		return nil, fmt.Errorf("wiser: FWIBaseline needs a positive solve budget, got %d", o.Solves)
	}
	sc := o.Survey.Config()
	pix := sc.Nz * sc.Nx
	start := o.Start
	if start == nil {
		start = o.Obs.Background
	}
	if len(start) != pix {
		return nil, fmt.Errorf("wiser: start model has %d values, the survey grid %d×%d", len(start), sc.Nz, sc.Nx)
	}
	if o.Truth != nil && len(o.Truth) != pix {
		return nil, fmt.Errorf("wiser: true model has %d values, want %d×%d", len(o.Truth), sc.Nz, sc.Nx)
	}
	cfg := o.Config
	bands := cfg.Bands
	if len(bands) == 0 {
		bands = []float64{0}
	}
	damp := math.Inf(1)
	for _, v := range start {
		damp = math.Min(damp, float64(v))
	}
	if lo := cfg.Bounds.Min; lo > 0 {
		damp = math.Min(damp, lo)
	}
	sv, err := o.Survey.FWISurvey(o.Obs, damp)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	model := append([]float32(nil), start...)
	res := &Baseline{}
	for b, fc := range bands {
		share := o.Solves * int64(b+1) / int64(len(bands))
		used := res.Solves
		bc := cfg
		bc.Bands = []float64{fc}
		bc.Iters = math.MaxInt32
		st := &fwi.State{Model: model}
		err := fwi.Invert(ctx, sv, o.Obs.Data, st, bc, func(st *fwi.State) error {
			if used+st.Solves >= share {
				return errBudget
			}
			return nil
		})
		if err != nil && !errors.Is(err, errBudget) {
			return nil, fmt.Errorf("wiser: FWI baseline band %g Hz: %w", fc, err)
		}
		model = st.Model
		res.Solves = used + st.Solves
		for _, it := range st.History {
			it.Band = b
			it.Solves += used
			res.History = append(res.History, it)
			if it.Iter > 0 {
				res.Iters++
			}
		}
	}
	res.Model = model
	res.Seconds = time.Since(t0).Seconds()
	full, err := sv.Objective(o.Obs.Data, nil)
	if err != nil {
		return nil, err
	}
	if res.Misfit, err = full.Eval(ctx, model, nil, make([]float32, pix)); err != nil {
		return nil, err
	}
	res.SSIM, res.RMSE, res.MAE, res.RMSEms, res.MAEms = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if o.Truth != nil {
		s := metrics.Velocity(o.Truth, model, sc.Nz, sc.Nx)
		sm := metrics.VelocityMS(o.Truth, model, sc.Nz, sc.Nx)
		res.SSIM, res.RMSE, res.MAE, res.RMSEms, res.MAEms = s.SSIM, s.RMSE, s.MAE, sm.RMSE, sm.MAE
	}
	return res, nil
}
