package wise

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"genfwi/npy"
)

// trainedTiny trains the tiny configuration for two epochs and loads it.
func trainedTiny(t *testing.T) (*Model, *MemPairs) {
	t.Helper()
	return trainedTinyWith(t, tinyConfig())
}

// trainedTinyWith trains cfg for 2 epochs on 16 synthetic pairs and loads
// the result; it also returns 3 other pairs.
func trainedTinyWith(t *testing.T, cfg *Config) (*Model, *MemPairs) {
	t.Helper()
	cfg.Train.Epochs = 2
	cfg.Train.ValMaps = 0
	out := t.TempDir()
	if _, err := Train(context.Background(), TrainOptions{Config: cfg, Train: synthPairs(16, 1), Out: out}); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	return m, synthPairs(3, 7)
}

func TestPosteriorOutputs(t *testing.T) {
	m, test := trainedTiny(t)
	const n = 10
	p, err := m.Sample(context.Background(), test.Gather[0], n, 5)
	if err != nil {
		t.Fatal(err)
	}
	pix := 16 * 16
	if p.N != n || len(p.Samples) != n*pix || len(p.CM) != pix || len(p.Std) != pix {
		t.Fatalf("shapes: N %d samples %d cm %d std %d", p.N, len(p.Samples), len(p.CM), len(p.Std))
	}
	for j := 0; j < pix; j++ {
		s := 0.0
		for i := 0; i < n; i++ {
			s += float64(p.Samples[i*pix+j])
		}
		if d := math.Abs(s/n - float64(p.CM[j])); d > 1e-3 {
			t.Fatalf("CM[%d] = %v, mean of samples %v", j, p.CM[j], s/n)
		}
		if !(p.Std[j] > 0) {
			t.Fatalf("std[%d] = %v, want > 0", j, p.Std[j])
		}
	}
	// Same seed, same samples; another seed, others.
	p2, _ := m.Sample(context.Background(), test.Gather[0], n, 5)
	p3, _ := m.Sample(context.Background(), test.Gather[0], n, 6)
	if p2.Samples[17] != p.Samples[17] || p3.Samples[17] == p.Samples[17] {
		t.Fatal("sampling must be a function of the seed")
	}
	dir := filepath.Join(t.TempDir(), "post")
	rep, err := WritePosterior(dir, p, test.Vel[0], 10, FigureOptions{Title: "test", TraceZ: -1, TraceX: -1}, map[string]any{"seed": 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scores == nil || rep.Scores.OpenFWI.SSIM <= 0 || rep.Scores.MS.RMSE <= 0 {
		t.Fatalf("scores %+v", rep.Scores)
	}
	for _, f := range PosteriorFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	s, shape, err := npy.ReadFileFloat32(filepath.Join(dir, "samples.npy"))
	if err != nil || len(shape) != 4 || shape[0] != n || shape[1] != 1 || shape[2] != 16 || shape[3] != 16 || s[3] != p.Samples[3] {
		t.Fatalf("samples.npy: %v %v", shape, err)
	}
	tr, _, err := npy.ReadFileFloat32(filepath.Join(dir, "truth.npy"))
	if err != nil || len(tr) != len(test.Vel[0]) || tr[5] != test.Vel[0][5] {
		t.Fatalf("truth.npy: %v", err)
	}
	var back PosteriorReport
	b, _ := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err := json.Unmarshal(b, &back); err != nil || back.Samples != n {
		t.Fatalf("metrics.json: %v %s", err, b)
	}
	// Without the truth: no error map, no scores.
	dir2 := filepath.Join(t.TempDir(), "post2")
	rep, err = WritePosterior(dir2, p, nil, 10, FigureOptions{TraceZ: -1, TraceX: -1}, nil)
	if err != nil || rep.Scores != nil {
		t.Fatalf("no truth: %+v %v", rep, err)
	}
	for _, name := range []string{"error.npy", "truth.npy"} {
		if _, err := os.Stat(filepath.Join(dir2, name)); err == nil {
			t.Fatalf("%s written without a truth", name)
		}
	}
	// Bad inputs.
	if _, err := m.Sample(context.Background(), test.Gather[0][:10], n, 5); err == nil {
		t.Error("short gather must fail")
	}
	bad := append([]float32(nil), test.Gather[0]...)
	bad[4] = float32(math.NaN())
	if _, err := m.Sample(context.Background(), bad, n, 5); err == nil {
		t.Error("NaN gather must fail")
	}
	if _, err := m.Sample(context.Background(), test.Gather[0], 0, 5); err == nil {
		t.Error("0 samples must fail")
	}
	if _, err := WritePosterior(dir2, p, test.Vel[0][:5], 10, FigureOptions{TraceZ: -1, TraceX: -1}, nil); err == nil {
		t.Error("short truth must fail")
	}
	if _, err := LoadModel(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing model must fail")
	}
	// Calibration on the model runs end to end.
	r, err := Calibrate(context.Background(), m, test, 0, 8, 1, nil)
	if err != nil || r.Maps != 3 || len(r.Coverage) != len(CurveLevels) {
		t.Fatalf("calibrate: %+v %v", r, err)
	}
}

// gaussPosterior draws n samples per pixel from N(mu, (k·sigma)²) and a
// truth from N(mu, sigma²): a posterior that is calibrated for k = 1,
// over-confident for k < 1.
func gaussPosterior(rng *rand.Rand, n, pix int, k float64) (*Posterior, []float32) {
	p := &Posterior{N: n, Nz: 1, Nx: pix, Samples: make([]float32, n*pix)}
	truth := make([]float32, pix)
	for j := 0; j < pix; j++ {
		mu := 2000 + 1000*rng.Float64()
		sigma := 50 + 100*rng.Float64()
		truth[j] = float32(mu + sigma*rng.NormFloat64())
		for i := 0; i < n; i++ {
			p.Samples[i*pix+j] = float32(mu + k*sigma*rng.NormFloat64())
		}
	}
	p.CM, p.Std = MeanStd(p.Samples, n, pix)
	return p, truth
}

func TestCalibrationGaussian(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	good, _ := NewCalibration(HeadlineLevels)
	over, _ := NewCalibration(HeadlineLevels)
	for m := 0; m < 20; m++ {
		p, tr := gaussPosterior(rng, 200, 500, 1)
		if err := good.Add(p, tr); err != nil {
			t.Fatal(err)
		}
		p, tr = gaussPosterior(rng, 200, 500, 0.5)
		over.Add(p, tr)
	}
	g, o := good.Result(), over.Result()
	for k, lv := range HeadlineLevels {
		// Sampling error of 10 000 Bernoulli(p) pixels ≈ 0.005, plus the
		// finite-sample quantiles of 200 draws (intervals slightly narrow).
		if math.Abs(g.Coverage[k]-lv) > 0.02 {
			t.Errorf("calibrated Gaussian: coverage at %g = %.4f", lv, g.Coverage[k])
		}
		// Interval of half the width: coverage 2Φ(z_p/2)−1 < p.
		want := math.Erf(normQuantile((1+lv)/2) / 2 / math.Sqrt2)
		if math.Abs(o.Coverage[k]-want) > 0.02 {
			t.Errorf("over-confident Gaussian: coverage at %g = %.4f, want %.4f", lv, o.Coverage[k], want)
		}
	}
	if g.Maps != 20 || g.Pixels != 10000 || math.IsNaN(g.At(0.9)) || !math.IsNaN(g.At(0.33)) {
		t.Fatalf("result %+v", g)
	}
	dir := t.TempDir()
	if err := g.Write(dir, "calibration"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"calibration.csv", "calibration.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := NewCalibration([]float64{0.5, 1}); err == nil {
		t.Error("level 1 must be refused")
	}
}

// normQuantile is the standard normal quantile (bisection on erf).
func normQuantile(p float64) float64 {
	lo, hi := -10.0, 10.0
	for i := 0; i < 200; i++ {
		mid := (lo + hi) / 2
		if 0.5*(1+math.Erf(mid/math.Sqrt2)) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {1, 5}, {0.1, 1.4}, {0.95, 4.8}} {
		if got := Quantile(s, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%g) = %g, want %g", c.q, got, c.want)
		}
	}
}

// TestSummaryTrainMode: sampling with the summary network in training mode
// (WISE.jl's behaviour: a dropout mask per sample) is a function of the
// seed, differs from eval-mode sampling with the same latents, and leaves
// the BatchNorm running statistics as they were.
func TestSummaryTrainMode(t *testing.T) {
	cfg := tinyConfig()
	cfg.Network.Summary.Depth = 3 // dropout sits on the up-blocks below the top level
	m, test := trainedTinyWith(t, cfg)
	g := test.Gather[0]
	// sample draws the same 8 samples (seed 3) in the current mode.
	sample := func() *Posterior {
		t.Helper()
		p, err := m.Sample(context.Background(), g, 8, 3)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// stats copies the summary network's running statistics.
	stats := func() []float32 {
		var s []float32
		for _, b := range m.Net.Summary.Buffers() {
			s = append(s, b.T.Data...)
		}
		return s
	}
	eval := sample()
	before := stats()
	m.Config.Posterior.SummaryTrainMode = true
	a, b := sample(), sample()
	after := stats()
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("running statistic %d changed: %v → %v", i, before[i], after[i])
		}
	}
	same, diff := true, false
	for i := range a.Samples {
		same = same && a.Samples[i] == b.Samples[i]
		diff = diff || a.Samples[i] != eval.Samples[i]
	}
	if !same {
		t.Error("training-mode samples differ between two draws with the same seed")
	}
	if !diff {
		t.Error("training-mode samples equal the eval-mode ones")
	}
	t.Logf("mean posterior std: eval mode %.1f m/s, training mode %.1f m/s", eval.Score(eval.CM).MeanStd, a.Score(eval.CM).MeanStd)
}
