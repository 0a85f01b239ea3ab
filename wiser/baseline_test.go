package wiser

import (
	"context"
	"testing"

	"genfwi/fwi"
	"genfwi/metrics"
)

// TestFWIBaselineSpendsItsBudget runs the plain-FWI baseline on a small
// noise-free survey from a smooth start with two bands: it must stop once
// each band's share of the solves is spent (overshooting by at most one
// line search), record a history with non-decreasing solve counts, and
// lower both the data misfit and the model error of the start.
func TestFWIBaselineSpendsItsBudget(t *testing.T) {
	const n = 32
	sv := smallSurvey(t, n)
	sc := sv.Config()
	truth, start := make([]float32, n*n), make([]float32, n*n)
	for z := 0; z < n; z++ {
		for x := 0; x < n; x++ {
			truth[z*n+x] = float32(2000 + 25*z)
			if z >= 18 && x > 8 {
				truth[z*n+x] += 300
			}
			start[z*n+x] = float32(2000 + 25*z)
		}
	}
	ctx := context.Background()
	obs, err := sv.Observe(ctx, truth, 5)
	if err != nil {
		t.Fatal(err)
	}
	const budget = 96
	cfg := fwi.Config{Method: fwi.LBFGS, Bands: []float64{8, 0}, Bounds: fwi.Bounds{Min: 1500, Max: 4500}}
	res, err := FWIBaseline(ctx, BaselineOptions{Survey: sv, Obs: obs, Start: start, Truth: truth, Solves: budget, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	perEval := int64(2 * sc.Shots)
	if res.Solves < budget || res.Solves > budget+10*perEval {
		t.Errorf("spent %d solves on a budget of %d", res.Solves, budget)
	}
	for i := 1; i < len(res.History); i++ {
		if res.History[i].Solves < res.History[i-1].Solves {
			t.Fatalf("history solves decrease at %d: %+v", i, res.History[i-1:i+1])
		}
	}
	fsv, err := sv.FWISurvey(obs, 1500)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := fsv.Objective(obs.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	j0, err := ob.Eval(ctx, start, nil, make([]float32, n*n))
	if err != nil {
		t.Fatal(err)
	}
	s0 := metrics.Velocity(truth, start, n, n)
	t.Logf("%d iterations, %d solves: misfit %.4g → %.4g, RMSE %.4f → %.4f, SSIM %.3f → %.3f",
		res.Iters, res.Solves, j0, res.Misfit, s0.RMSE, res.RMSE, s0.SSIM, res.SSIM)
	if !(res.Misfit < 0.8*j0) || !(res.RMSE < s0.RMSE) {
		t.Errorf("FWI did not improve the start: misfit %.4g → %.4g, RMSE %.4f → %.4f", j0, res.Misfit, s0.RMSE, res.RMSE)
	}
}
