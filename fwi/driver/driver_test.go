package driver

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"genfwi/fwi"
	"genfwi/metrics"
	"genfwi/npy"
	"genfwi/wave"
)

// lensModel writes a two-layer 70×70 map with a fast lens, the true model of
// the tests, and returns its path.
func lensModel(t *testing.T, dir string) string {
	t.Helper()
	v := make([]float32, 70*70)
	for i := range v {
		iz, ix := i/70, i%70
		v[i] = 2000
		if iz >= 35 {
			v[i] = 3000
		}
		if iz >= 20 && iz < 30 && ix >= 25 && ix < 45 {
			v[i] = 2600
		}
	}
	model := filepath.Join(dir, "m.npy")
	if err := npy.WriteFileFloat32(model, npy.Float32, []int{1, 1, 70, 70}, v); err != nil {
		t.Fatal(err)
	}
	return model
}

func testOptions(model, out string) Options {
	return Options{Model: model, Init: Init1DSpecial, Lo: 0, Hi: 1, Out: out, SNR: math.Inf(1), VTop: 1500, VBottom: 4500,
		Config: fwi.Config{Method: fwi.LBFGS, Iters: 2, Bands: []float64{0}, FilterOrder: 4, Bounds: fwi.Bounds{Min: 1500, Max: 4500},
			Precond: fwi.Precond{SmoothSigma: 3}, Seed: 1}}
}

func TestRunResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("OpenFWI-size inversion (a few seconds of PDE solves)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	o := testOptions(lensModel(t, dir), out)
	iters := 0
	o.OnIteration = func(k int, h fwi.Iteration, s *metrics.Scores) {
		if s == nil {
			t.Error("no model error although the true model is known")
		}
		iters++
	}
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Samples != 1 || sum.Solves < 20 || !(sum.Result.RMSE < sum.Start.RMSE) || iters == 0 {
		t.Errorf("summary %+v after %d iterations: want 1 sample, ≥ 20 solves, lower RMSE", sum, iters)
	}
	for _, f := range append([]string{"../summary.json"}, SampleFiles()...) {
		if _, err := os.Stat(filepath.Join(SampleDir(out, 0), f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	// The same options again: the finished checkpoint is reused, no new solves.
	resumed := false
	o.OnResume = func(int, string, *fwi.State) { resumed = true }
	again, err := Run(context.Background(), o)
	if err != nil || again.Solves != sum.Solves || !resumed {
		t.Errorf("rerun: %v, %d solves (first run %d), resumed %v; want the checkpoint reused", err, again.Solves, sum.Solves, resumed)
	}
	// Other options on the same Out: refused unless Fresh.
	o2 := o
	o2.Config.Iters = 3
	if _, err := Run(context.Background(), o2); !errors.Is(err, ErrOtherRun) {
		t.Errorf("mismatched checkpoint: got %v, want ErrOtherRun", err)
	}
	// TapeBF16: close to the exact inversion but not bit for bit (the option
	// reaches the gradient), or identical in a build without it.
	o3 := o
	o3.Out, o3.TapeBF16, o3.OnResume = filepath.Join(dir, "run-bf16"), true, nil
	if _, err := Run(context.Background(), o3); err != nil {
		t.Fatal(err)
	}
	exact, _, err := npy.ReadFileFloat32(filepath.Join(out, "sample_0", "inverted.npy"))
	if err != nil {
		t.Fatal(err)
	}
	bf, _, err := npy.ReadFileFloat32(filepath.Join(o3.Out, "sample_0", "inverted.npy"))
	if err != nil {
		t.Fatal(err)
	}
	rel := metrics.RelL2(bf, exact)
	if wave.BF16TapeSupported() && !(rel > 0 && rel < 1e-3) {
		t.Errorf("TapeBF16: inverted model %.2e (relative L2) from the exact run, want in (0, 1e-3)", rel)
	} else if !wave.BF16TapeSupported() && rel != 0 {
		t.Errorf("TapeBF16 without support: difference %g, want identical results", rel)
	}
}

func TestRunRefusesBadInputs(t *testing.T) {
	dir := t.TempDir()
	model := lensModel(t, dir)
	nan := filepath.Join(dir, "nan.npy")
	v := make([]float32, 4900)
	v[71] = float32(math.NaN())
	if err := npy.WriteFileFloat32(nan, npy.Float32, []int{1, 1, 70, 70}, v); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.npy")
	if err := npy.WriteFileFloat32(small, npy.Float32, []int{1, 1, 10, 10}, make([]float32, 100)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		mut   func(o *Options)
		input string
	}{
		"NaN start":        {func(o *Options) { o.Init = nan }, "Init"},
		"NaN truth":        {func(o *Options) { o.Model = nan }, "Model"},
		"10×10 truth":      {func(o *Options) { o.Model = small }, "Model"},
		"missing data":     {func(o *Options) { o.Model, o.Data, o.Init = "", filepath.Join(dir, "none.npy"), InitGradient }, "Data"},
		"velocity as data": {func(o *Options) { o.Model, o.Data, o.Init = "", model, InitGradient }, "Data"},
	} {
		out := filepath.Join(dir, name)
		o := testOptions(model, out)
		c.mut(&o)
		_, err := Run(context.Background(), o)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != c.input {
			t.Errorf("%s: got %v, want an InputError of %s", name, err, c.input)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: %s written although an input is bad", name, out)
		}
	}
}
