package flow

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"genfwi/autograd"
	"genfwi/nn"
	"genfwi/nn/nntest"
	"genfwi/tensor"
)

// TestUNetParams checks the summary presets' parameter counts (the cpu one
// is the wise-cpu benchmark's 1 543 617) from the formula and a built
// network, and the output shape and range.
func TestUNetParams(t *testing.T) {
	for _, name := range []string{"cpu", "paper"} {
		cfg, err := UNetPreset(name)
		if err != nil {
			t.Fatal(err)
		}
		u, err := NewUNet(*cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if u.NumParams() != cfg.NumParams() {
			t.Errorf("%s: built %d parameters, NumParams says %d", name, u.NumParams(), cfg.NumParams())
		}
		t.Logf("%s: %d parameters, %d buffers", name, u.NumParams(), len(u.Buffers()))
		if name == "cpu" && u.NumParams() != 1543617 {
			t.Errorf("cpu: %d parameters, want 1543617", u.NumParams())
		}
	}
}

// TestUNetModes checks eval mode (running statistics: each sample's output
// is independent of the rest of the batch, deterministic) against training
// mode (batch statistics and dropout), and the output shape and range.
func TestUNetModes(t *testing.T) {
	cfg := UNetConfig{InChannels: 3, OutChannels: 2, Base: 4, Depth: 3, Dropout: 0.5}
	u, err := NewUNet(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.Randn(rng, 1, 3, 3, 16, 8)
	tp := autograd.NewTape()
	tp.NoGrad = true
	full, err := u.Forward(tp.Const(x), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := full.Shape(); s[0] != 3 || s[1] != 2 || s[2] != 16 || s[3] != 8 {
		t.Fatalf("output shape %v", s)
	}
	for _, v := range full.Value.Data {
		if !(v > -1 && v < 1) {
			t.Fatalf("output %g outside (−1, 1)", v)
		}
	}
	one := x.Clone()
	one.Shape[0] = 1
	one.Data = one.Data[:3*16*8]
	first, _ := u.Forward(tp.Const(one), nil)
	if d := maxAbsDiff(first.Value.Data, full.Value.Data[:2*16*8]); d != 0 {
		t.Errorf("eval mode: sample 0 depends on the batch (%g)", d)
	}
	u.Training = true
	a, _ := u.Forward(tp.Const(x), rand.New(rand.NewPCG(5, 5)))
	b, _ := u.Forward(tp.Const(x), rand.New(rand.NewPCG(6, 6)))
	if maxAbsDiff(a.Value.Data, b.Value.Data) == 0 {
		t.Error("training mode: dropout masks from different seeds gave the same output")
	}
	if maxAbsDiff(a.Value.Data, full.Value.Data) == 0 {
		t.Error("training mode computes the eval output")
	}
	if _, err := u.Forward(tp.Const(tensor.Randn(rng, 1, 1, 3, 10, 8)), nil); err == nil {
		t.Error("size not divisible by 4 accepted")
	}
}

// TestUNetGradient checks the input gradient of the summary network (eval
// and training mode, where BatchNorm's batch statistics depend on x)
// against central differences.
func TestUNetGradient(t *testing.T) {
	cfg := UNetConfig{InChannels: 2, OutChannels: 1, Base: 3, Depth: 2}
	u, err := NewUNet(cfg, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	// Larger weights than N(0, 0.02²) so that the output is not flat.
	for _, p := range u.Params() {
		for i := range p.Value().Data {
			p.Value().Data[i] *= 20
		}
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, train := range []bool{false, true} {
		u.Training = train
		err := autograd.GradCheck(func(tp *autograd.Tape, in []*autograd.Var) *autograd.Var {
			y, err := u.Forward(in[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			return y
		}, []*tensor.Tensor{tensor.Randn(rng, 1, 2, 2, 4, 4)}, autograd.GradCheckOpts{Eps: 1e-3, RTol: 3e-2, ATol: 3e-3})
		if err != nil {
			t.Errorf("training=%v: %v", train, err)
		}
	}
}

// TestNetwork checks the summarized network: joint arena with views for
// both parts, gradients into both, the combined parameter count of the cpu
// preset, sampling, and a checkpoint round trip with BatchNorm statistics.
func TestNetwork(t *testing.T) {
	cfg, err := NetworkPreset("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Flow.NumParams()+cfg.Summary.NumParams() != 238322+1543617 {
		t.Errorf("cpu network: %d parameters", cfg.Flow.NumParams()+cfg.Summary.NumParams())
	}
	// A small network for the rest.
	cfg = &NetworkConfig{
		Flow:    Config{InChannels: 1, CondChannels: 1, Hidden: 4, Levels: 2, Steps: 1, RBFinalReLU: true},
		Summary: UNetConfig{InChannels: 5, OutChannels: 1, Base: 4, Depth: 3, Dropout: 0.5},
	}
	n, err := NewNetwork(*cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if n.NumParams() != n.Flow.NumParams()+n.Summary.NumParams() {
		t.Fatalf("arena %d ≠ %d + %d", n.NumParams(), n.Flow.NumParams(), n.Summary.NumParams())
	}
	n.Flow.Arena.Data[0] = 42
	if n.Arena.Data[0] != 42 || &n.Summary.Arena.Data[0] != &n.Arena.Data[n.Flow.NumParams()] {
		t.Fatal("part arenas are not views of the network's arena")
	}
	rng := rand.New(rand.NewPCG(2, 2))
	x, y := tensor.Randn(rng, 1, 4, 1, 16, 16), tensor.Randn(rng, 1, 4, 5, 16, 16)
	n.Summary.Training = true
	tp := autograd.NewTape()
	n.Arena.ZeroGrad()
	z, ld, err := n.Forward(tp.Const(x), tp.Const(y), rng)
	if err != nil {
		t.Fatal(err)
	}
	autograd.Backward(NLL(z, ld))
	if n.Flow.Arena.GradNorm() == 0 || n.Summary.Arena.GradNorm() == 0 {
		t.Fatalf("gradient norms: flow %g, summary %g", n.Flow.Arena.GradNorm(), n.Summary.Arena.GradNorm())
	}
	nn.NewAdam().Step(n.Arena, 1e-3)
	n.Summary.Training = false
	s, err := n.Sample(tensor.Randn(rng, 1, 3, 1, 16, 16), tensor.Randn(rng, 1, 1, 5, 16, 16), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Shape[0] != 3 || s.Shape[2] != 16 {
		t.Fatalf("samples %v", s.Shape)
	}
	for _, v := range s.Data {
		if math.IsNaN(float64(v)) {
			t.Fatal("NaN sample")
		}
	}
	m, _, _ := nntest.RoundTrip(t, "wise.safetensors", n.Save, nil, LoadNetwork)
	zz := tensor.Randn(rng, 1, 2, 1, 16, 16)
	yy := tensor.Randn(rng, 1, 1, 5, 16, 16)
	s1, _ := n.Sample(zz, yy, nil)
	s2, err := m.Sample(zz, yy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(s1.Data, s2.Data); d != 0 {
		t.Errorf("reloaded network samples differ by %g", d)
	}
	// Sample and Summarize reuse pooled tapes: repeated calls, with calls
	// of other shapes in between, must return the same samples.
	got := make([]*tensor.Tensor, 4)
	for i := range got {
		if i%2 == 1 {
			if _, err := n.Sample(tensor.Randn(rand.New(rand.NewPCG(9, 9)), 1, 3, 1, 16, 16), yy, nil); err != nil {
				t.Fatal(err)
			}
		}
		got[i], _ = n.Sample(zz, yy, nil)
	}
	for i, g := range got {
		if g == nil || maxAbsDiff(g.Data, s1.Data) != 0 {
			t.Fatalf("sample call %d with a reused tape differs from the first", i)
		}
	}
}

// TestUNetConcurrentEval: eval-mode summaries may run concurrently on one
// network (WISE draws and WISER's particles do) and give the sequential
// result. Under -race this fails if Forward writes layer state, as it once
// did (the BatchNorm modes).
func TestUNetConcurrentEval(t *testing.T) {
	u, err := NewUNet(UNetConfig{InChannels: 2, OutChannels: 1, Base: 4, Depth: 2}, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Randn(rand.New(rand.NewPCG(10, 10)), 1, 2, 2, 8, 8)
	want, err := u.Summarize(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]*tensor.Tensor, 4)
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], errs[i] = u.Summarize(x, nil) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if d := maxAbsDiff(got[i].Data, want.Data); d != 0 {
			t.Errorf("concurrent summary %d differs by %g", i, d)
		}
	}
}
