package autograd

import (
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

// gradCase is one finite-difference check: inputs are drawn N(0,1) (or by
// gen) with the given shapes, and f builds the output.
type gradCase struct {
	name   string
	shapes [][]int
	gen    func(rng *rand.Rand, shape []int) *tensor.Tensor // nil: N(0,1)
	f      func(tp *Tape, in []*Var) *Var
	opts   GradCheckOpts
}

// positive draws from U(0.5, 2), away from the kinks and poles of log, sqrt, pow.
func positive(rng *rand.Rand, shape []int) *tensor.Tensor {
	return tensor.Uniform(rng, 0.5, 2, shape...)
}

// awayFromZero draws ±U(0.2, 1.5) so |x| and ReLU-like kinks are not straddled by the finite difference.
func awayFromZero(rng *rand.Rand, shape []int) *tensor.Tensor {
	t := tensor.Uniform(rng, 0.2, 1.5, shape...)
	for i := range t.Data {
		if rng.IntN(2) == 0 {
			t.Data[i] = -t.Data[i]
		}
	}
	return t
}

func conv(o Conv2dOpts) func(tp *Tape, in []*Var) *Var {
	return func(tp *Tape, in []*Var) *Var { return Conv2d(in[0], in[1], in[2], o) }
}

func convT(o Conv2dOpts) func(tp *Tape, in []*Var) *Var {
	return func(tp *Tape, in []*Var) *Var { return ConvTranspose2d(in[0], in[1], in[2], o) }
}

var gradCases = []gradCase{
	// Elementwise, broadcasting.
	{name: "Add/same", shapes: [][]int{{3, 4}, {3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Add(in[0], in[1]) }},
	{name: "Add/bcast-row", shapes: [][]int{{2, 3, 4}, {4}}, f: func(tp *Tape, in []*Var) *Var { return Add(in[0], in[1]) }},
	{name: "Sub/bcast-both", shapes: [][]int{{2, 1, 4}, {3, 1}}, f: func(tp *Tape, in []*Var) *Var { return Sub(in[0], in[1]) }},
	{name: "Mul/bcast-chan", shapes: [][]int{{2, 3, 2, 2}, {1, 3, 1, 1}}, f: func(tp *Tape, in []*Var) *Var { return Mul(in[0], in[1]) }},
	{name: "Mul/scale-shift", shapes: [][]int{{2, 3, 4, 5}, {2, 3, 1, 1}}, f: func(tp *Tape, in []*Var) *Var { return Mul(in[0], in[1]) }},
	{name: "Add/a-broadcast", shapes: [][]int{{1, 3, 1}, {2, 3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Add(in[0], in[1]) }},
	{name: "Sub/scalar", shapes: [][]int{{3, 2}, {1}}, f: func(tp *Tape, in []*Var) *Var { return Sub(in[1], in[0]) }},
	{name: "Div/bcast", shapes: [][]int{{2, 3}, {3}}, gen: positive, f: func(tp *Tape, in []*Var) *Var { return Div(in[0], in[1]) }},
	{name: "Maximum", shapes: [][]int{{5}, {5}}, gen: awayFromZero, f: func(tp *Tape, in []*Var) *Var { return Maximum(in[0], in[1]) }},
	{name: "Exp", shapes: [][]int{{7}}, f: func(tp *Tape, in []*Var) *Var { return Exp(in[0]) }},
	{name: "Log", shapes: [][]int{{7}}, gen: positive, f: func(tp *Tape, in []*Var) *Var { return Log(in[0]) }},
	{name: "Sqrt", shapes: [][]int{{7}}, gen: positive, f: func(tp *Tape, in []*Var) *Var { return Sqrt(in[0]) }},
	{name: "Abs", shapes: [][]int{{7}}, gen: awayFromZero, f: func(tp *Tape, in []*Var) *Var { return Abs(in[0]) }},
	{name: "Pow", shapes: [][]int{{7}}, gen: positive, f: func(tp *Tape, in []*Var) *Var { return Pow(in[0], 2.5) }},
	{name: "Clamp", shapes: [][]int{{9}}, gen: awayFromZero, f: func(tp *Tape, in []*Var) *Var { return Clamp(in[0], -0.1, 0.1) }},
	{name: "Scale+AddScalar+Neg", shapes: [][]int{{4}}, f: func(tp *Tape, in []*Var) *Var { return Neg(AddScalar(Scale(in[0], 3), 1)) }},
	{name: "ReLU", shapes: [][]int{{9}}, gen: awayFromZero, f: func(tp *Tape, in []*Var) *Var { return ReLU(in[0]) }},
	{name: "LeakyReLU", shapes: [][]int{{9}}, gen: awayFromZero, f: func(tp *Tape, in []*Var) *Var { return LeakyReLU(in[0], 0.2) }},
	{name: "Tanh", shapes: [][]int{{9}}, f: func(tp *Tape, in []*Var) *Var { return Tanh(in[0]) }},
	{name: "Sigmoid", shapes: [][]int{{9}}, f: func(tp *Tape, in []*Var) *Var { return Sigmoid(in[0]) }},
	{name: "SiLU", shapes: [][]int{{9}}, f: func(tp *Tape, in []*Var) *Var { return SiLU(in[0]) }},
	{name: "Softplus", shapes: [][]int{{9}}, f: func(tp *Tape, in []*Var) *Var { return Softplus(in[0]) }},
	// Reductions.
	{name: "Sum/all", shapes: [][]int{{2, 3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Sum(in[0], false) }},
	{name: "Sum/axes", shapes: [][]int{{2, 3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Sum(in[0], false, 0, 2) }},
	{name: "Mean/keep", shapes: [][]int{{2, 3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Mean(in[0], true, -1) }},
	{name: "Max/axis", shapes: [][]int{{3, 5}}, f: func(tp *Tape, in []*Var) *Var { return Max(in[0], false, 1) }},
	// Shapes.
	{name: "Reshape", shapes: [][]int{{2, 6}}, f: func(tp *Tape, in []*Var) *Var { return Mul(Reshape(in[0], 3, -1), Reshape(in[0], 3, 4)) }},
	{name: "Permute", shapes: [][]int{{2, 3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Permute(in[0], 2, 0, 1) }},
	{name: "Transpose", shapes: [][]int{{3, 4}}, f: func(tp *Tape, in []*Var) *Var { return Transpose(in[0], 0, 1) }},
	{name: "Slice", shapes: [][]int{{3, 5, 2}}, f: func(tp *Tape, in []*Var) *Var { return Slice(in[0], 1, 1, 4) }},
	{name: "Concat", shapes: [][]int{{2, 2, 3}, {2, 1, 3}}, f: func(tp *Tape, in []*Var) *Var { return Concat(1, in[0], in[1], in[0]) }},
	{name: "Split", shapes: [][]int{{2, 5}}, f: func(tp *Tape, in []*Var) *Var {
		p := Split(in[0], 1, 2, 3)
		return Concat(1, Scale(p[1], 2), p[0])
	}},
	{name: "Pad", shapes: [][]int{{1, 2, 3, 3}}, f: func(tp *Tape, in []*Var) *Var { return Pad(in[0], 0.5, [2]int{}, [2]int{}, [2]int{1, 0}, [2]int{0, 2}) }},
	// Products.
	{name: "MatMul", shapes: [][]int{{3, 4}, {4, 5}}, f: func(tp *Tape, in []*Var) *Var { return MatMul(in[0], in[1], false, false) }},
	{name: "MatMul/tA", shapes: [][]int{{4, 3}, {4, 5}}, f: func(tp *Tape, in []*Var) *Var { return MatMul(in[0], in[1], true, false) }},
	{name: "MatMul/tB", shapes: [][]int{{3, 4}, {5, 4}}, f: func(tp *Tape, in []*Var) *Var { return MatMul(in[0], in[1], false, true) }},
	{name: "MatMul/tAtB", shapes: [][]int{{4, 3}, {5, 4}}, f: func(tp *Tape, in []*Var) *Var { return MatMul(in[0], in[1], true, true) }},
	{name: "BMM", shapes: [][]int{{2, 3, 4}, {2, 4, 2}}, f: func(tp *Tape, in []*Var) *Var { return MatMul(in[0], in[1], false, false) }},
	{name: "BMM/tAtB", shapes: [][]int{{2, 4, 3}, {2, 2, 4}}, f: func(tp *Tape, in []*Var) *Var { return MatMul(in[0], in[1], true, true) }},
	{name: "Linear/shared", shapes: [][]int{{2, 3, 4}, {5, 4}, {5}}, f: func(tp *Tape, in []*Var) *Var { return Linear(in[0], in[1], in[2]) }},
	// Convolutions.
	{name: "Conv2d/3x3-pad1", shapes: [][]int{{2, 2, 5, 5}, {3, 2, 3, 3}, {3}}, f: conv(Conv2dOpts{Pad: PadAll(1)})},
	{name: "Conv2d/stride2", shapes: [][]int{{2, 2, 6, 5}, {3, 2, 3, 3}, {3}}, f: conv(Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)})},
	{name: "Conv2d/aniso-stride21", shapes: [][]int{{1, 2, 7, 4}, {2, 2, 3, 3}, {2}}, f: conv(Conv2dOpts{Stride: [2]int{2, 1}, Pad: PadAll(1)})},
	{name: "Conv2d/asym-pad", shapes: [][]int{{1, 2, 4, 4}, {2, 2, 3, 3}, {2}}, f: conv(Conv2dOpts{Stride: [2]int{2, 2}, Pad: [4]int{0, 1, 0, 1}})},
	{name: "Conv2d/dilation", shapes: [][]int{{1, 1, 7, 6}, {2, 1, 3, 2}, {2}}, f: conv(Conv2dOpts{Pad: [4]int{2, 1, 1, 0}, Dilation: [2]int{2, 3}})},
	{name: "Conv2d/1x1", shapes: [][]int{{2, 3, 3, 3}, {2, 3, 1, 1}, {2}}, f: conv(Conv2dOpts{})},
	{name: "Conv2d/4x4-s2", shapes: [][]int{{1, 2, 6, 6}, {2, 2, 4, 4}, {2}}, f: conv(Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)})},
	{name: "Conv2d/no-bias", shapes: [][]int{{1, 2, 4, 4}, {2, 2, 3, 3}}, f: func(tp *Tape, in []*Var) *Var { return Conv2d(in[0], in[1], nil, Conv2dOpts{}) }},
	{name: "ConvT/2x2-s2", shapes: [][]int{{2, 3, 3, 3}, {3, 2, 2, 2}, {2}}, f: convT(Conv2dOpts{Stride: [2]int{2, 2}})},
	{name: "ConvT/3x3-s1-p1", shapes: [][]int{{1, 2, 4, 4}, {2, 3, 3, 3}, {3}}, f: convT(Conv2dOpts{Pad: PadAll(1)})},
	{name: "ConvT/aniso-outpad", shapes: [][]int{{1, 2, 3, 4}, {2, 2, 3, 3}, {2}}, f: convT(Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{1, 0, 1, 1}, OutputPad: [2]int{1, 0}})},
	// Pooling and resizing.
	{name: "AvgPool2d", shapes: [][]int{{1, 2, 4, 6}}, f: func(tp *Tape, in []*Var) *Var { return AvgPool2d(in[0], [2]int{2, 2}, [2]int{}) }},
	{name: "AvgPool2d/overlap", shapes: [][]int{{1, 1, 5, 5}}, f: func(tp *Tape, in []*Var) *Var { return AvgPool2d(in[0], [2]int{3, 2}, [2]int{1, 2}) }},
	{name: "ResizeNearest/x2", shapes: [][]int{{1, 2, 3, 3}}, f: func(tp *Tape, in []*Var) *Var { return ResizeNearest(in[0], 6, 6) }},
	{name: "ResizeNearest/odd", shapes: [][]int{{1, 1, 4, 5}}, f: func(tp *Tape, in []*Var) *Var { return ResizeNearest(in[0], 7, 3) }},
	{name: "ResizeBilinear/up", shapes: [][]int{{1, 2, 3, 4}}, f: func(tp *Tape, in []*Var) *Var { return ResizeBilinear(in[0], 7, 5) }},
	{name: "ResizeBilinear/down", shapes: [][]int{{1, 1, 6, 7}}, f: func(tp *Tape, in []*Var) *Var { return ResizeBilinear(in[0], 4, 3) }},
	// Normalisation.
	{name: "GroupNorm", shapes: [][]int{{2, 4, 3, 3}, {4}, {4}}, f: func(tp *Tape, in []*Var) *Var { return GroupNorm(in[0], 2, in[1], in[2], 1e-5) }},
	{name: "GroupNorm/no-affine", shapes: [][]int{{2, 6, 2, 2}}, f: func(tp *Tape, in []*Var) *Var { return GroupNorm(in[0], 3, nil, nil, 1e-5) }},
	{name: "LayerNorm", shapes: [][]int{{3, 5}, {5}, {5}}, f: func(tp *Tape, in []*Var) *Var { return LayerNorm(in[0], in[1], in[2], 1e-5) }},
	{name: "BatchNorm2d/train", shapes: [][]int{{3, 2, 2, 3}, {2}, {2}}, f: func(tp *Tape, in []*Var) *Var { return BatchNorm2d(in[0], in[1], in[2], nil, true, 1e-5) }},
	{name: "BatchNorm2d/eval", shapes: [][]int{{2, 2, 2, 2}, {2}, {2}}, f: func(tp *Tape, in []*Var) *Var {
		st := &BNStats{Mean: []float32{0.1, -0.2}, Var: []float32{0.5, 2}}
		return BatchNorm2d(in[0], in[1], in[2], st, false, 1e-5)
	}},
	// Softmax and attention.
	{name: "Softmax", shapes: [][]int{{3, 5}}, f: func(tp *Tape, in []*Var) *Var { return Softmax(in[0]) }},
	{name: "LogSoftmax", shapes: [][]int{{3, 5}}, f: func(tp *Tape, in []*Var) *Var { return LogSoftmax(in[0]) }},
	{name: "Attention/2heads", shapes: [][]int{{2, 3, 4}, {2, 5, 4}, {2, 5, 4}}, f: func(tp *Tape, in []*Var) *Var { return Attention(in[0], in[1], in[2], 2) }},
	// Gather and straight-through.
	{name: "Embedding", shapes: [][]int{{4, 3}}, f: func(tp *Tape, in []*Var) *Var { return Embedding(in[0], []int{2, 0, 2, 3}) }},
	{name: "MSE", shapes: [][]int{{2, 3}, {2, 3}}, f: func(tp *Tape, in []*Var) *Var { return MSE(in[0], in[1]) }},
	{name: "L1", shapes: [][]int{{2, 3}, {2, 3}}, gen: awayFromZero, f: func(tp *Tape, in []*Var) *Var { return L1(in[0], Scale(in[1], 0)) }},
	// A small composite network: conv → GN → SiLU → resize → conv.
	{name: "Composite", shapes: [][]int{{2, 2, 4, 4}, {4, 2, 3, 3}, {4}, {4}, {4}, {1, 4, 3, 3}, {1}}, f: func(tp *Tape, in []*Var) *Var {
		h := Conv2d(in[0], in[1], in[2], Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1)})
		h = SiLU(GroupNorm(h, 2, in[3], in[4], 1e-5))
		h = ResizeNearest(h, 4, 4)
		return Conv2d(h, in[5], in[6], Conv2dOpts{Pad: PadAll(1)})
	}},
}

func TestGradients(t *testing.T) {
	for ci, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			in := make([]*tensor.Tensor, len(c.shapes))
			for i, s := range c.shapes {
				if c.gen != nil {
					in[i] = c.gen(rng, s)
				} else {
					in[i] = tensor.Randn(rng, 1, s...)
				}
			}
			if err := GradCheck(c.f, in, c.opts); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestGradCheckCatchesWrongGradient makes sure the checker can fail: an op
// whose backward rule is off by a factor of 2 must be rejected.
func TestGradCheckCatchesWrongGradient(t *testing.T) {
	wrong := func(tp *Tape, in []*Var) *Var {
		x := in[0]
		out := newOut(false, x.Value.Shape, x)
		for i, v := range x.Value.Data {
			out.Value.Data[i] = v * v
		}
		return record(out, "wrongSquare", []*Var{x}, func(g *tensor.Tensor) {
			dx := gradOf(x).Data
			for i, v := range x.Value.Data {
				dx[i] += g.Data[i] * v // should be 2·v
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 1))
	if err := GradCheck(wrong, []*tensor.Tensor{tensor.Randn(rng, 1, 5)}, GradCheckOpts{}); err == nil {
		t.Fatal("GradCheck accepted a wrong gradient")
	}
}
