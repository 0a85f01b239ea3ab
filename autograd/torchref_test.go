package autograd

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"genfwi/tensor"
)

// torchTensor is a tensor as written by testdata/torchref.py.
type torchTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (t torchTensor) tensor() *tensor.Tensor {
	return tensor.FromSlice(append([]float32(nil), t.Data...), t.Shape...)
}

type torchCase struct {
	Name        string                 `json:"name"`
	Inputs      map[string]torchTensor `json:"inputs"`
	Cot         torchTensor            `json:"cot"`
	Out         torchTensor            `json:"out"`
	Grads       map[string]torchTensor `json:"grads"`
	RunningMean *torchTensor           `json:"running_mean"`
	RunningVar  *torchTensor           `json:"running_var"`
}

// torchOps rebuilds each reference case with the engine's ops.
var torchOps = map[string]func(in map[string]*Var, st *BNStats) *Var{
	"conv2d": func(in map[string]*Var, _ *BNStats) *Var {
		return Conv2d(in["x"], in["w"], in["b"], Conv2dOpts{Stride: [2]int{2, 1}, Pad: [4]int{1, 0, 2, 1}, Dilation: [2]int{2, 1}})
	},
	"conv_transpose2d": func(in map[string]*Var, _ *BNStats) *Var {
		return ConvTranspose2d(in["x"], in["w"], in["b"], Conv2dOpts{Stride: [2]int{2, 2}, Pad: PadAll(1), OutputPad: [2]int{1, 1}})
	},
	"group_norm": func(in map[string]*Var, _ *BNStats) *Var { return GroupNorm(in["x"], 3, in["g"], in["b"], 1e-5) },
	"layer_norm": func(in map[string]*Var, _ *BNStats) *Var { return LayerNorm(in["x"], in["g"], in["b"], 1e-5) },
	"batch_norm_train": func(in map[string]*Var, st *BNStats) *Var {
		return BatchNorm2d(in["x"], in["g"], in["b"], st, true, 1e-5)
	},
	"bilinear_up":   func(in map[string]*Var, _ *BNStats) *Var { return ResizeBilinear(in["x"], 7, 5) },
	"bilinear_down": func(in map[string]*Var, _ *BNStats) *Var { return ResizeBilinear(in["x"], 4, 3) },
	"nearest":       func(in map[string]*Var, _ *BNStats) *Var { return ResizeNearest(in["x"], 7, 3) },
	"avg_pool2d":    func(in map[string]*Var, _ *BNStats) *Var { return AvgPool2d(in["x"], [2]int{3, 2}, [2]int{1, 2}) },
	"softmax":       func(in map[string]*Var, _ *BNStats) *Var { return Softmax(in["x"]) },
	"log_softmax":   func(in map[string]*Var, _ *BNStats) *Var { return LogSoftmax(in["x"]) },
	"attention":     func(in map[string]*Var, _ *BNStats) *Var { return Attention(in["q"], in["k"], in["v"], 2) },
	"silu":          func(in map[string]*Var, _ *BNStats) *Var { return SiLU(in["x"]) },
	"softplus":      func(in map[string]*Var, _ *BNStats) *Var { return Softplus(in["x"]) },
	"tanh":          func(in map[string]*Var, _ *BNStats) *Var { return Tanh(in["x"]) },
	"sigmoid":       func(in map[string]*Var, _ *BNStats) *Var { return Sigmoid(in["x"]) },
	"leaky_relu":    func(in map[string]*Var, _ *BNStats) *Var { return LeakyReLU(in["x"], 0.2) },
	"mse":           func(in map[string]*Var, _ *BNStats) *Var { return Reshape(MSE(in["a"], in["b"]), 1) },
	"linear":        func(in map[string]*Var, _ *BNStats) *Var { return Linear(in["x"], in["w"], in["b"]) },
}

// TestAgainstPyTorch compares forward values and gradients with
// testdata/torchref.json (PyTorch 1.13 CPU float32, made by torchref.py).
// The tolerance is 2e-5 absolute + 2e-5 relative (float32 summation order
// differs between the two engines).
func TestAgainstPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/torchref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []torchCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) != len(torchOps) {
		t.Fatalf("%d reference cases, %d ops", len(ref.Cases), len(torchOps))
	}
	cmp := func(what string, got []float32, want torchTensor) {
		t.Helper()
		if len(got) != len(want.Data) {
			t.Errorf("%s: %d values, want %d", what, len(got), len(want.Data))
			return
		}
		worst, at := 0.0, 0
		for i, w := range want.Data {
			d := math.Abs(float64(got[i]-w)) / (2e-5 + 2e-5*math.Abs(float64(w)))
			if d > worst {
				worst, at = d, i
			}
		}
		if worst > 1 {
			t.Errorf("%s: element %d = %g, PyTorch %g (%.2g× tolerance)", what, at, got[at], want.Data[at], worst)
		}
	}
	for _, c := range ref.Cases {
		op, ok := torchOps[c.Name]
		if !ok {
			t.Errorf("no op for reference case %q", c.Name)
			continue
		}
		tp := NewTape()
		in := map[string]*Var{}
		for k, v := range c.Inputs {
			in[k] = tp.Input(v.tensor())
		}
		st := &BNStats{Mean: make([]float32, 3), Var: []float32{1, 1, 1}}
		out := op(in, st)
		if !tensor.SameShape(out.Value.Shape, c.Out.Shape) {
			t.Errorf("%s: shape %v, PyTorch %v", c.Name, out.Value.Shape, c.Out.Shape)
			continue
		}
		cmp(c.Name+" forward", out.Value.Data, c.Out)
		BackwardWith(out, c.Cot.tensor())
		for k, g := range c.Grads {
			cmp(c.Name+" d/d"+k, in[k].Grad.Data, g)
		}
		if c.RunningMean != nil {
			cmp(c.Name+" running mean", st.Mean, *c.RunningMean)
			cmp(c.Name+" running var", st.Var, *c.RunningVar)
		}
	}
}
