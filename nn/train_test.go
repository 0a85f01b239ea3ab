package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

func TestRefAEParamCount(t *testing.T) {
	m := NewRefAE(rand.New(rand.NewPCG(1, 1)))
	if n := NewArena(m.Params()).NumParams(); n != 930949 {
		t.Fatalf("RefAE has %d parameters, the benchmark defines 930949", n)
	}
	tp := autograd.NewTape()
	tp.NoGrad = true
	y := m.Forward(tp.Const(tensor.New(2, 1, 16, 16)))
	if !tensor.SameShape(y.Shape(), []int{2, 1, 16, 16}) {
		t.Fatalf("RefAE output shape %v", y.Shape())
	}
}

// mlp is a 1→32→32→1 tanh network.
type mlp struct{ l1, l2, l3 *Linear }

func newMLP(rng *rand.Rand) *mlp {
	return &mlp{NewLinear("l1", rng, 1, 32, true), NewLinear("l2", rng, 32, 32, true), NewLinear("l3", rng, 32, 1, true)}
}
func (m *mlp) Params() []*Param { return Collect(m.l1, m.l2, m.l3) }
func (m *mlp) Forward(x *autograd.Var) *autograd.Var {
	return m.l3.Forward(autograd.Tanh(m.l2.Forward(autograd.Tanh(m.l1.Forward(x)))))
}

// TestMLPLearnsSine fits y = sin(x) on [-π, π] and checks the error on a
// held-out grid.
func TestMLPLearnsSine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	m := newMLP(rng)
	a := NewArena(m.Params())
	opt := NewAdam()
	const n = 64
	x, y := tensor.New(n, 1), tensor.New(n, 1)
	tp := autograd.NewTape()
	for step := 0; step < 1500; step++ {
		for i := 0; i < n; i++ {
			v := (2*rng.Float64() - 1) * math.Pi
			x.Data[i], y.Data[i] = float32(v), float32(math.Sin(v))
		}
		tp.Reset()
		a.ZeroGrad()
		l := autograd.MSE(m.Forward(tp.Const(x)), tp.Const(y))
		autograd.Backward(l)
		opt.Step(a, Cosine{Base: 1e-2, Min: 1e-4, Steps: 1500}.LR(step))
	}
	tp.Reset()
	tp.NoGrad = true
	grid := tensor.New(101, 1)
	for i := range grid.Data {
		grid.Data[i] = float32(-math.Pi + 2*math.Pi*float64(i)/100)
	}
	pred := m.Forward(tp.Const(grid))
	worst := 0.0
	for i, v := range grid.Data {
		worst = math.Max(worst, math.Abs(float64(pred.Value.Data[i])-math.Sin(float64(v))))
	}
	if worst > 0.05 {
		t.Fatalf("MLP max error on sin(x) is %.3g > 0.05", worst)
	}
}

// smallCNN is conv(stride 2) → GN → SiLU → conv → avg-pool → linear.
type smallCNN struct {
	c1, c2 *Conv2d
	gn     *GroupNorm
	bn     *BatchNorm2d
	fc     *Linear
}

func newSmallCNN(rng *rand.Rand) *smallCNN {
	return &smallCNN{
		c1: NewConv2d("c1", rng, 2, 8, 3, 3, autograd.Conv2dOpts{Stride: [2]int{2, 1}, Pad: autograd.PadAll(1)}, true),
		gn: NewGroupNorm("gn", 4, 8, 1e-5),
		c2: NewConv2d("c2", rng, 8, 8, 3, 3, autograd.Conv2dOpts{Pad: autograd.PadAll(1)}, true),
		bn: NewBatchNorm2d("bn", 8, 1e-5),
		fc: NewLinear("fc", rng, 8*2*4, 3, true),
	}
}
func (m *smallCNN) Params() []*Param   { return Collect(m.c1, m.gn, m.c2, m.bn, m.fc) }
func (m *smallCNN) Buffers() []*Buffer { return m.bn.Buffers() }
func (m *smallCNN) Forward(x *autograd.Var, rng *rand.Rand, train bool) *autograd.Var {
	h := autograd.SiLU(m.gn.Forward(m.c1.Forward(x)))          // (N, 8, 4, 8)
	h = autograd.ReLU(m.bn.Forward(m.c2.Forward(h)))           // (N, 8, 4, 8)
	h = autograd.AvgPool2d(h, [2]int{2, 2}, [2]int{})          // (N, 8, 2, 4)
	h = autograd.Dropout(h, 0.1, train, rng)                   // exercises the RNG in resume tests
	return m.fc.Forward(autograd.Reshape(h, h.Shape()[0], -1)) // (N, 3)
}

func TestCNNOverfitsFixedBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	m := newSmallCNN(rng)
	a := NewArena(m.Params())
	opt := NewAdam()
	x := tensor.Randn(rng, 1, 8, 2, 8, 8)
	y := tensor.Randn(rng, 1, 8, 3)
	tp := autograd.NewTape()
	var first, last float32
	for step := 0; step < 300; step++ {
		tp.Reset()
		a.ZeroGrad()
		l := autograd.MSE(m.Forward(tp.Const(x), rng, false), tp.Const(y))
		autograd.Backward(l)
		opt.Step(a, 1e-2)
		if step == 0 {
			first = l.Item()
		}
		last = l.Item()
	}
	if last > 1e-3*first || last > 1e-3 {
		t.Fatalf("CNN did not overfit a fixed batch: loss %g → %g", first, last)
	}
}
