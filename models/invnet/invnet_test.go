package invnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/autograd"
	"genfwi/internal/rundir"
	"genfwi/nn"
	"genfwi/nn/nntest"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/tensor"
)

// tinyNet is a small InversionNet on 50 time samples (sample_temporal 20,
// no time strides): rows 50 → 25 → 13 → 7 after convblock5–7.
func tinyNet() NetConfig {
	return NetConfig{Dims: [5]int{2, 3, 4, 4, 6}, SampleTemporal: 20, TimeStrides: [4]int{1, 1, 1, 1}}
}

// tinyConfig trains tinyNet quickly.
func tinyConfig() *Config {
	return &Config{Name: "tiny", Network: tinyNet(), Train: TrainConfig{Epochs: 3, Batch: 4, LR: 3e-3, WeightDecay: 1e-4,
		L1: 1, L2: 1, ValFraction: 0.2, ValMaps: 0, CheckpointEvery: 2, Seed: 7, Norm: []string{"curvevel-a"}}}
}

// openPairs writes n synthetic pairs to dir (writePairs) and opens them;
// they are closed when the test ends.
func openPairs(t *testing.T, dir string, n int, seed uint64) *PairSet {
	t.Helper()
	writePairs(t, dir, n, seed)
	p, err := OpenPairs(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// writePairs writes n synthetic pairs (two-layer velocity maps and seismic
// whose amplitudes depend on the layer velocities and the interface depth)
// as dir/velocity.npy and dir/seismic.npy.
func writePairs(t *testing.T, dir string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	vel := make([]float32, n*openfwi.ModelLen)
	seis := make([]float32, n*openfwi.DataLen)
	for i := 0; i < n; i++ {
		v1, v2 := 1500+1500*rng.Float64(), 3000+1500*rng.Float64()
		depth := 20 + rng.IntN(30)
		for z := 0; z < NZ; z++ {
			for x := 0; x < NX; x++ {
				v := v1
				if z >= depth {
					v = v2
				}
				vel[i*openfwi.ModelLen+z*NX+x] = float32(v)
			}
		}
		for s := 0; s < Shots; s++ {
			for k := 0; k < NT; k++ {
				for r := 0; r < Receivers; r++ {
					a := 20*math.Sin(float64(k)*v1/2e4+float64(r-14*s)*0.05) + 10*math.Exp(-math.Abs(float64(k-30*depth))/50)*v2/3000
					seis[i*openfwi.DataLen+(s*NT+k)*Receivers+r] = float32(a)
				}
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFileFloat32(filepath.Join(dir, "velocity.npy"), npy.Float32, []int{n, 1, NZ, NX}, vel); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFileFloat32(filepath.Join(dir, "seismic.npy"), npy.Float32, []int{n, Shots, NT, Receivers}, seis); err != nil {
		t.Fatal(err)
	}
}

// TestForwardShapeAndRange: output (N,1,70,70) in (−1, 1) in both modes;
// a wrong input shape is an error, not a panic.
func TestForwardShapeAndRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, err := New(tinyNet(), rng)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Randn(rng, 3, 3, Shots, 50, Receivers)
	for _, training := range []bool{true, false} {
		n.SetTraining(training)
		tp := autograd.NewTape()
		y, err := n.Forward(tp.Const(x))
		if err != nil {
			t.Fatal(err)
		}
		if sh := y.Shape(); len(sh) != 4 || sh[0] != 3 || sh[1] != 1 || sh[2] != NZ || sh[3] != NX {
			t.Fatalf("output shape %v", sh)
		}
		for _, v := range y.Value.Data {
			if !(v > -1 && v < 1) {
				t.Fatalf("output %v outside (-1, 1)", v)
			}
		}
	}
	tp := autograd.NewTape()
	if _, err := n.Forward(tp.Const(tensor.New(1, Shots, 1000, Receivers))); err == nil || !strings.Contains(err.Error(), "input shape") {
		t.Errorf("wrong time length: err = %v", err)
	}
}

// directional runs nn.ParamDirectional for J = Σ r·f() on params and
// checks it with CheckDirectional's tolerance.
func directional(t *testing.T, params []*nn.Param, f func(tp *autograd.Tape) *autograd.Var, eps float64, rng *rand.Rand) {
	t.Helper()
	ds := nn.OutputDirectional(params, f, eps, rng)
	// LeakyReLU is piecewise linear: a step moves a fraction ∝ ε of the
	// pre-activations across the kink, and with a random cotangent their
	// errors add up like a random walk, so the central difference is off
	// by ~√(that fraction) relative; a random deep network is also far
	// from linear on the scale of ε = 1e-2 (measured: sign changes), and
	// smaller steps drown in float32 rounding amplified through 25 layers.
	// Hence, at ε = 1e-3, a per-tensor bound of 35 % plus 2 % of the
	// largest derivative (catches a missing, sign-flipped or mis-wired
	// gradient of any sizeable tensor) and a global one, Σ|rev − cen| /
	// Σ|cen| ≤ 8 %, which dropping the largest tensor's gradient would
	// break (checked).
	var bad []nn.Directional
	var num, den, big float64
	bigIdx := 0
	for i, d := range ds {
		num += math.Abs(d.Reverse - d.Central)
		den += math.Abs(d.Central)
		if math.Abs(d.Central) > big {
			big, bigIdx = math.Abs(d.Central), i
		}
	}
	for _, d := range ds {
		if math.Abs(d.Reverse-d.Central) > 0.02*big+0.35*math.Max(math.Abs(d.Reverse), math.Abs(d.Central)) {
			bad = append(bad, d)
		}
	}
	for _, d := range bad {
		t.Errorf("%s: reverse mode %.6g, central difference %.6g", d.Name, d.Reverse, d.Central)
	}
	if num > 0.08*den {
		t.Errorf("Σ|reverse − central| / Σ|central| = %.3f > 0.08", num/den)
	}
	if wrong := num - math.Abs(ds[bigIdx].Reverse-ds[bigIdx].Central) + math.Abs(ds[bigIdx].Central); wrong <= 0.08*den {
		t.Errorf("a missing gradient of %s would pass the global bound (%.3f)", ds[bigIdx].Name, wrong/den)
	}
	t.Logf("%d parameter tensors, global relative difference %.4f", len(ds), num/den)
}

// TestGradientsFiniteDifference checks every parameter tensor's gradient
// against central differences along a random direction.
//
// Whole network: BatchNorm with running statistics set to the batch
// statistics of the input (one training-mode pass with momentum 1), then
// in eval mode, so the check sees every conv, transposed conv, the crop,
// LeakyReLU and tanh at a realistic operating point. In training mode the
// deep end of a tiny network normalises a few values per channel (8 maps ×
// 1×1 after convblock8) and the central differences of J are dominated by
// that curvature and float32 rounding amplified by 1/σ (tested: the
// difference quotients do not converge in float32), so training-mode
// BatchNorm is checked on the first encoder blocks, where every channel
// holds thousands of values; its op is also checked in package autograd.
func TestGradientsFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, err := New(tinyNet(), rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range n.Params() { // move off the initialisation (unit BN scales, zero shifts)
		for i := range p.Value().Data {
			p.Value().Data[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	x := tensor.Randn(rng, 1, 8, Shots, 50, Receivers)
	t.Run("network-eval", func(t *testing.T) {
		if testing.Short() {
			t.Skip("whole-network check skipped in -short mode")
		}
		for _, b := range n.blocks() {
			b.bn.Stats.Momentum = 1
		}
		n.SetTraining(true)
		tp := autograd.NewTape()
		tp.NoGrad = true
		if _, err := n.Forward(tp.Const(x)); err != nil {
			t.Fatal(err)
		}
		n.SetTraining(false)
		directional(t, n.Params(), func(tp *autograd.Tape) *autograd.Var {
			y, err := n.Forward(tp.Input(x))
			if err != nil {
				t.Fatal(err)
			}
			return y
		}, 1e-3, rng)
	})
	t.Run("encoder-front-training", func(t *testing.T) {
		n.SetTraining(true)
		front := n.enc[:3]
		var ps []*nn.Param
		for _, b := range front {
			ps = append(ps, b.params()...)
		}
		directional(t, ps, func(tp *autograd.Tape) *autograd.Var {
			h := tp.Input(x)
			for _, b := range front {
				h = b.forward(h)
			}
			return h
		}, 1e-3, rng)
	})
}

// TestTrainLossDecreasesAndPredict trains the tiny network on 10 pairs
// (8 after the hold-out), checks that the loss falls and the validation
// curve exists, then loads the run and predicts.
func TestTrainLossDecreasesAndPredict(t *testing.T) {
	dir := t.TempDir()
	pairs := openPairs(t, filepath.Join(dir, "gen"), 10, 1)
	cfg := tinyConfig()
	cfg.Train.Epochs = 15
	cfg.Train.LR = 1e-2
	out := filepath.Join(dir, "run")
	sum, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Pairs != 8 || sum.ValPairs != 2 || sum.Steps != 30 || sum.LastStep != 30 {
		t.Fatalf("summary %+v", sum)
	}
	h := readLoss(t, out)
	first, last := rundir.Mean(h[:4]), rundir.Mean(h[len(h)-4:])
	t.Logf("loss %.4f → %.4f; validation %+v", first, last, *sum.Val)
	if !(last < 0.75*first) {
		t.Errorf("loss did not fall: first steps %.4f, last steps %.4f", first, last)
	}
	for _, f := range []string{"model.safetensors", "loss.csv", "loss.png", "val.csv", "val.png", "train.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if len(sum.History) != 15 {
		t.Errorf("%d validation points, want one per epoch (15)", len(sum.History))
	}
	m, err := LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Step != 30 || m.Norm.DataMin != -27.11 {
		t.Errorf("loaded step %d norm %+v", m.Step, m.Norm)
	}
	seis := make([]float32, 3*openfwi.DataLen)
	vel := make([]float32, 3*openfwi.ModelLen)
	for i := 0; i < 3; i++ {
		if err := pairs.Read(i, vel[i*openfwi.ModelLen:(i+1)*openfwi.ModelLen], seis[i*openfwi.DataLen:(i+1)*openfwi.DataLen]); err != nil {
			t.Fatal(err)
		}
	}
	p, err := m.Predict(context.Background(), seis, PredictOptions{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Vel {
		if !(v >= 1500 && v <= 4500) {
			t.Fatalf("predicted %v m/s outside [1500, 4500]", v)
		}
	}
	a, b, err := Scores(vel, p.Vel)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("training pairs: MAE %.4f RMSE %.4f SSIM %.4f, %.1f m/s", a.MAE, a.RMSE, a.SSIM, b.MAE)
	if math.Abs(b.MAE-1500*a.MAE) > 1e-3*b.MAE {
		t.Errorf("MAE %g m/s is not 1500 × %g", b.MAE, a.MAE)
	}
	if _, err := m.Predict(context.Background(), seis[:100], PredictOptions{}); err == nil {
		t.Error("Predict accepted a partial sample")
	}
}

func readLoss(t *testing.T, out string) []float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "loss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var ls []float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		f := strings.Split(line, ",")
		var v float64
		if _, err := fmtSscan(f[2], &v); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, v)
	}
	return ls
}

// TestResumeExact: a run stopped after step 3 (mid-epoch, between
// checkpoints) and resumed ends with exactly the weights, BatchNorm
// statistics and losses of the uninterrupted run.
func TestResumeExact(t *testing.T) {
	dir := t.TempDir()
	pairs := openPairs(t, filepath.Join(dir, "gen"), 10, 2)
	cfg := tinyConfig()
	cfg.Train.InputNoise = 0.05
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if _, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: a}); err != nil {
		t.Fatal(err)
	}
	s, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: b, StopAfter: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Stopped || s.LastStep != 3 || s.Model != "" {
		t.Fatalf("stopped run: %+v", s)
	}
	s, err = Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: b})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Resumed || s.StartStep != 3 || s.LastStep != 6 {
		t.Fatalf("resumed run: %+v", s)
	}
	nntest.SameWeights(t, filepath.Join(a, ModelFile), filepath.Join(b, ModelFile))
	la, lb := readLoss(t, a), readLoss(t, b)
	for i := range la {
		if la[i] != lb[i] {
			t.Fatalf("loss of step %d: %v vs %v", i+1, la[i], lb[i])
		}
	}
	// Another configuration in the same run directory is refused.
	cfg2 := tinyConfig()
	cfg2.Train.LR = 1e-3
	if _, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg2, Train: pairs, Out: b}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("other config: err = %v", err)
	}
}

// TestBadInputs: configuration errors, missing or inconsistent data and
// unknown normalisation give errors that name the problem.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	writePairs(t, filepath.Join(dir, "gen"), 3, 3)
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"bad dims", func() error { c := tinyConfig(); c.Network.Dims[2] = 0; return c.Validate() }, "dims[2]"},
		{"bad stride", func() error { c := tinyConfig(); c.Network.TimeStrides[0] = 3; return c.Validate() }, "time_strides[0]"},
		{"too long", func() error { c := tinyConfig(); c.Network.SampleTemporal = 1; return c.Validate() }, "kernel of height"},
		{"no loss", func() error { c := tinyConfig(); c.Train.L1, c.Train.L2 = 0, 0; return c.Validate() }, "lambda_l1"},
		{"bad norm", func() error { c := tinyConfig(); c.Train.Norm = []string{"marmousi"}; return c.Validate() }, "train.norm"},
		{"unknown field", func() error { _, err := ParseConfig([]byte(`{"name":"x","netwrk":{}}`), "x.json"); return err }, "x.json"},
		{"unknown preset", func() error { _, err := LoadConfig("gpu"); return err }, "unknown invnet preset"},
		{"missing data", func() error { _, err := OpenPairs(filepath.Join(dir, "nope")); return err }, "nope"},
		{"empty dir", func() error { _, err := OpenPairs(dir + "/gen/.."); return err }, "no velocity.npy"},
		{"too many", func() error { _, err := OpenPairs(filepath.Join(dir, "gen") + ":5"); return err }, "asked for 5 pairs"},
		{"no norm", func() error {
			p, err := OpenPairs(filepath.Join(dir, "gen"))
			if err != nil {
				return err
			}
			defer p.Close()
			c := tinyConfig()
			c.Train.Norm = nil
			_, err = Train(context.Background(), TrainOptions{Logger: quiet, Config: c, Train: p, Out: filepath.Join(dir, "r1")})
			return err
		}, "set train.norm"},
		{"no batch", func() error {
			p, err := OpenPairs(filepath.Join(dir, "gen"))
			if err != nil {
				return err
			}
			defer p.Close()
			_, err = Train(context.Background(), TrainOptions{Logger: quiet, Config: tinyConfig(), Train: p, Out: filepath.Join(dir, "r2")})
			return err
		}, "no batch"},
		{"not a model", func() error { _, err := LoadModel(filepath.Join(dir, "gen")); return err }, "not an InversionNet run directory"},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
	// Mismatched counts between velocity and seismic.
	bad := filepath.Join(dir, "bad")
	writePairs(t, bad, 2, 4)
	if err := npy.WriteFileFloat32(filepath.Join(bad, "velocity.npy"), npy.Float32, []int{1, 1, NZ, NX}, make([]float32, openfwi.ModelLen)); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPairs(bad); err == nil || !strings.Contains(err.Error(), "holds 1 maps but") {
		t.Errorf("mismatched counts: err = %v", err)
	}
	if _, err := OpenPairs(filepath.Join(dir, "gen") + ":2"); err != nil {
		t.Errorf("a valid subset: %v", err)
	}
	var pe *os.PathError
	if _, err := OpenPairs(filepath.Join(dir, "nope")); !errors.As(err, &pe) {
		t.Errorf("missing directory: %v does not wrap the PathError", err)
	}
}

// quiet discards the training log.
var quiet = slog.New(slog.DiscardHandler)

func fmtSscan(s string, v *float64) (int, error) { return fmt.Sscan(s, v) }

// TestStepsOverrideEpochs: train.steps ends the run mid-epoch and validates
// at the last step.
func TestStepsOverrideEpochs(t *testing.T) {
	dir := t.TempDir()
	pairs := openPairs(t, filepath.Join(dir, "gen"), 10, 5)
	cfg := tinyConfig()
	cfg.Train.Steps = 5
	cfg.Train.ValEvery = 10
	sum, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 5 || sum.LastStep != 5 || sum.Epochs != 3 || len(sum.History) != 1 || sum.History[0].Step != 5 {
		t.Errorf("summary %+v, history %+v", sum, sum.History)
	}
}

// tinyGANConfig is tinyConfig trained as VelocityGAN with a narrow critic
// and a critic update per generator update pair.
func tinyGANConfig() *Config {
	cfg := tinyConfig()
	cfg.Train.Method = "velocitygan"
	cfg.Train.GAN = &GANConfig{CriticDims: [4]int{2, 2, 3, 3}, NCritic: 2, LambdaGP: 10, LambdaAdv: 0.01, Beta1: 0, Beta2: 0.9}
	return cfg
}

// TestVelocityGANTrainsAndResumes: the adversarial run lowers the
// supervised loss of a tiny generator (updated every second step), records
// the critic's loss and a finite gradient penalty per step, writes the
// critic next to every checkpoint, and a run stopped mid-epoch and resumed
// ends with exactly the generator and critic of the uninterrupted run.
func TestVelocityGANTrainsAndResumes(t *testing.T) {
	dir := t.TempDir()
	writePairs(t, filepath.Join(dir, "gen"), 10, 3)
	pairs, err := OpenPairs(filepath.Join(dir, "gen"))
	if err != nil {
		t.Fatal(err)
	}
	defer pairs.Close()
	cfg := tinyGANConfig()
	cfg.Train.Epochs = 15
	cfg.Train.LR = 1e-2
	out := filepath.Join(dir, "fit")
	if _, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: out}); err != nil {
		t.Fatal(err)
	}
	h := readLoss(t, out)
	first, last := rundir.Mean(h[:4]), rundir.Mean(h[len(h)-4:])
	t.Logf("supervised loss %.4f → %.4f", first, last)
	if !(last < 0.75*first) {
		t.Errorf("loss did not fall: first steps %.4f, last steps %.4f", first, last)
	}
	var hist history
	path, step, err := LatestCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := rundir.ReadHistory(path, &hist, true); err != nil {
		t.Fatal(err)
	}
	if len(hist.LossD) != step || len(hist.GP) != step {
		t.Fatalf("%d critic losses and %d penalties for %d steps", len(hist.LossD), len(hist.GP), step)
	}
	for i, g := range hist.GP {
		if !(g >= 0) || math.IsInf(g, 0) || math.IsNaN(hist.LossD[i]) {
			t.Fatalf("step %d: critic loss %v, penalty %v", i+1, hist.LossD[i], g)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), CriticFile)); err != nil {
		t.Error(err)
	}

	cfg = tinyGANConfig()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if _, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: a}); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: b, StopAfter: 3}); err != nil {
		t.Fatal(err)
	}
	if s, err := Train(context.Background(), TrainOptions{Logger: quiet, Config: cfg, Train: pairs, Out: b}); err != nil || !s.Resumed || s.StartStep != 3 {
		t.Fatalf("resumed run: %+v, %v", s, err)
	}
	for _, f := range []string{ModelFile, CriticFile} {
		pa, pb := filepath.Join(a, f), filepath.Join(b, f)
		if f == CriticFile {
			ca, _, _ := LatestCheckpoint(a)
			cb, _, _ := LatestCheckpoint(b)
			pa, pb = filepath.Join(filepath.Dir(ca), f), filepath.Join(filepath.Dir(cb), f)
		}
		nntest.SameWeights(t, pa, pb)
	}
}

// TestInputNoiseLevels: the training augmentation draws each sample's noise
// level uniformly from [0, σ] and adds noise of exactly that level (a fixed
// σ, or levels outside the range, fail).
func TestInputNoiseLevels(t *testing.T) {
	const maxSigma, n, samples = 0.1, 20000, 400
	rng := rand.New(rand.NewPCG(1, 2))
	var lo, hi, sum float64 = math.Inf(1), 0, 0
	for range samples {
		x := make([]float32, n)
		s := addInputNoise(x, maxSigma, rng)
		if s < 0 || s > maxSigma {
			t.Fatalf("level %g outside [0, %g]", s, maxSigma)
		}
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		if got := math.Sqrt(ss / n); math.Abs(got-s) > 0.03*s+1e-4 {
			t.Fatalf("level %g: measured standard deviation %g", s, got)
		}
		lo, hi, sum = min(lo, s), max(hi, s), sum+s
	}
	if lo > 0.01 || hi < 0.09 || math.Abs(sum/samples-maxSigma/2) > 0.01 {
		t.Fatalf("levels span [%g, %g], mean %g: not uniform on [0, %g]", lo, hi, sum/samples, maxSigma)
	}
}
