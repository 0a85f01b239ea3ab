package upfwi

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/models/invnet"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/tensor"
	"genfwi/wave"
)

// layered returns a smooth two-layer-ish map in m/s.
func layered(v1, v2 float64, depth float64) []float32 {
	v := make([]float32, openfwi.ModelLen)
	for z := 0; z < openfwi.NZ; z++ {
		w := 1 / (1 + math.Exp(-(float64(z)-depth)/3))
		for x := 0; x < openfwi.NX; x++ {
			v[z*openfwi.NX+x] = float32(v1 + (v2-v1)*w + 50*math.Sin(float64(x)/9))
		}
	}
	return v
}

// TestLossGradient compares the cotangent of Physics.Loss with central
// differences of the loss along a smooth random direction of the
// normalised prediction (λ1 = 0: the L1 term is not differentiable where
// residuals vanish), and checks that the loss vanishes at the truth.
func TestLossGradient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the wave solver's adjoint")
	}
	d, _ := openfwi.Lookup("curvevel-a")
	ctx := context.Background()
	truth := layered(2000, 3500, 35)
	obs := make([]float32, openfwi.DataLen)
	if err := wave.OpenFWIForward(ctx, truth, obs, 0); err != nil {
		t.Fatal(err)
	}
	ph, err := NewPhysics(d.Norm, 0, 1, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	pred := tensor.New(1, 1, openfwi.NZ, openfwi.NX)
	d.Norm.Label(pred.Data, layered(2200, 3300, 30))
	j0, cot, err := ph.Loss(ctx, pred, [][]float32{obs})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dir := make([]float32, openfwi.ModelLen)
	a, b := rng.Float64(), rng.Float64()
	for z := 0; z < openfwi.NZ; z++ {
		for x := 0; x < openfwi.NX; x++ {
			dir[z*openfwi.NX+x] = float32(math.Sin(a*7+float64(z)/(6+4*a)) * math.Cos(b*5+float64(x)/(8+4*b)))
		}
	}
	rev := 0.0
	for i, c := range cot.Data {
		rev += float64(c) * float64(dir[i])
	}
	const eps = 2e-3
	at := func(s float64) float64 {
		p := pred.Clone()
		for i := range p.Data {
			p.Data[i] += float32(s) * dir[i]
		}
		j, _, err := ph.Loss(ctx, p, [][]float32{obs})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	cen := (at(eps) - at(-eps)) / (2 * eps)
	t.Logf("loss %.6g, directional derivative: reverse %.6g, central %.6g", j0, rev, cen)
	if math.Abs(rev-cen) > 1e-2*math.Abs(cen) || math.Abs(cen) < 1e-6 {
		t.Errorf("reverse %g, central %g", rev, cen)
	}
	d.Norm.Label(pred.Data, truth)
	j, _, err := ph.Loss(ctx, pred, [][]float32{obs})
	if err != nil {
		t.Fatal(err)
	}
	if j > 1e-6*j0 {
		t.Errorf("loss at the true velocity %g (vs %g away from it)", j, j0)
	}
	if _, _, err := ph.Loss(ctx, pred, nil); err == nil || !strings.Contains(err.Error(), "for a batch of 1") {
		t.Errorf("missing seismic: err = %v", err)
	}
}

// TestPhysicsSchedules checks that how the threads are split between
// simulators (row bands of one sample, or samples in parallel) changes
// neither the loss nor its gradient by a bit, and that impossible splits are
// refused.
func TestPhysicsSchedules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the wave solver's adjoint")
	}
	d, _ := openfwi.Lookup("flatvel-a")
	ctx := context.Background()
	const nb = 3
	pred := tensor.New(nb, 1, openfwi.NZ, openfwi.NX)
	seis := make([][]float32, nb)
	for b := range seis {
		seis[b] = make([]float32, openfwi.DataLen)
		if err := wave.OpenFWIForward(ctx, layered(1900+200*float64(b), 3400, 30+3*float64(b)), seis[b], 0); err != nil {
			t.Fatal(err)
		}
		d.Norm.Label(pred.Data[b*openfwi.ModelLen:(b+1)*openfwi.ModelLen], layered(2100, 3200-100*float64(b), 33))
	}
	var j0 float64
	var c0 *tensor.Tensor
	for _, split := range [][2]int{{1, 1}, {2, 1}, {2, 2}, {3, 2}} {
		ph, err := NewPhysics(d.Norm, 1, 1, split[0], split[1])
		if err != nil {
			t.Fatal(err)
		}
		j, c, err := ph.Loss(ctx, pred, seis)
		if err != nil {
			t.Fatal(err)
		}
		if c0 == nil {
			j0, c0 = j, c
			continue
		}
		if j != j0 {
			t.Errorf("%d threads, %d simulators: loss %.15g, one thread %.15g", split[0], split[1], j, j0)
		}
		for i := range c.Data {
			if c.Data[i] != c0.Data[i] {
				t.Fatalf("%d threads, %d simulators: gradient [%d] = %g, one thread %g", split[0], split[1], i, c.Data[i], c0.Data[i])
			}
		}
	}
	for _, bad := range [][2]int{{-1, 0}, {1, -1}, {1, 2}} {
		if _, err := NewPhysics(d.Norm, 1, 1, bad[0], bad[1]); err == nil {
			t.Errorf("NewPhysics(workers %d, sims %d): no error", bad[0], bad[1])
		}
	}
}

// TestTrainUPFWI trains a tiny network two steps on seismic only and checks
// the method/loss pairing is enforced.
func TestTrainUPFWI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the wave solver's adjoint")
	}
	dir := t.TempDir()
	ctx := context.Background()
	n := 5
	vel := make([]float32, n*openfwi.ModelLen)
	seis := make([]float32, n*openfwi.DataLen)
	for i := 0; i < n; i++ {
		v := layered(1800+100*float64(i), 3200+150*float64(i), 25+4*float64(i))
		copy(vel[i*openfwi.ModelLen:], v)
		if err := wave.OpenFWIForward(ctx, v, seis[i*openfwi.DataLen:(i+1)*openfwi.DataLen], 0); err != nil {
			t.Fatal(err)
		}
	}
	gen := filepath.Join(dir, "gen")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFileFloat32(filepath.Join(gen, "velocity.npy"), npy.Float32, []int{n, 1, 70, 70}, vel); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFileFloat32(filepath.Join(gen, "seismic.npy"), npy.Float32, []int{n, 5, 1000, 70}, seis); err != nil {
		t.Fatal(err)
	}
	pairs, err := invnet.OpenPairs(gen)
	if err != nil {
		t.Fatal(err)
	}
	defer pairs.Close()
	cfg := &invnet.Config{Name: "tiny-upfwi", Network: invnet.NetConfig{Dims: [5]int{2, 2, 4, 4, 8}, SampleTemporal: 20, TimeStrides: [4]int{1, 1, 1, 1}},
		Train: invnet.TrainConfig{Method: "upfwi", Epochs: 1, Batch: 2, LR: 1e-3, WeightDecay: 1e-4, L1: 1, L2: 1, ValFraction: 0.2,
			Seed: 1, Norm: []string{"curvevel-a"}}}
	quiet := slog.New(slog.DiscardHandler)
	sum, err := Train(ctx, invnet.TrainOptions{Config: cfg, Train: pairs, Out: filepath.Join(dir, "run"), Logger: quiet}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.LastStep != 2 || !(sum.InitialLoss > 0) || sum.Val == nil {
		t.Errorf("summary %+v", sum)
	}
	t.Logf("UPFWI: loss %.5g → %.5g in %.1f s (%.2f s/step), validation MAE %.3f", sum.InitialLoss, sum.FinalLoss, sum.Seconds, sum.SecPerStep, sum.Val.MAE)
	if _, err := invnet.LoadModel(filepath.Join(dir, "run")); err != nil {
		t.Error(err)
	}
	// invnet.Train refuses "upfwi" without the physics loss, and Train a
	// supervised config.
	if _, err := invnet.Train(ctx, invnet.TrainOptions{Config: cfg, Train: pairs, Out: filepath.Join(dir, "r2"), Logger: quiet}); err == nil || !strings.Contains(err.Error(), "physics data loss") {
		t.Errorf("invnet.Train with method upfwi: err = %v", err)
	}
	sup := *cfg
	sup.Train.Method = ""
	if _, err := Train(ctx, invnet.TrainOptions{Config: &sup, Train: pairs, Out: filepath.Join(dir, "r3")}, 1, 1); err == nil || !strings.Contains(err.Error(), "want \"upfwi\"") {
		t.Errorf("upfwi.Train with a supervised config: err = %v", err)
	}
}
