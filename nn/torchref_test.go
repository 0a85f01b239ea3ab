package nn

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"genfwi/tensor"
)

// TestOptimizersAgainstPyTorch replays testdata/torchref_optim.json (five
// steps of torch.optim Adam, AdamW and SGD with fixed gradients, made by
// torchref_optim.py) and compares every intermediate weight.
func TestOptimizersAgainstPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/torchref_optim.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Runs []struct {
			Name  string      `json:"name"`
			P0    []float32   `json:"p0"`
			Grads [][]float32 `json:"grads"`
			Traj  [][]float32 `json:"traj"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	type setup struct {
		opt Optimizer
		lr  float64
	}
	setups := map[string]func() setup{
		"adam":    func() setup { return setup{NewAdam(), 1e-2} },
		"adam_l2": func() setup { o := NewAdam(); o.WeightDecay = 0.1; return setup{o, 1e-2} },
		"adamw":   func() setup { o := NewAdamW(); o.WeightDecay = 0.1; return setup{o, 1e-2} },
		"adam_betas": func() setup {
			return setup{&Adam{Beta1: 0.5, Beta2: 0.9, Eps: 1e-6}, 3e-3}
		},
		"sgd_momentum": func() setup { return setup{&SGD{Momentum: 0.9}, 1e-2} },
		"sgd_nesterov": func() setup { return setup{&SGD{Momentum: 0.9, Nesterov: true, WeightDecay: 0.05}, 1e-2} },
	}
	if len(ref.Runs) != len(setups) {
		t.Fatalf("%d reference runs, %d optimisers", len(ref.Runs), len(setups))
	}
	for _, r := range ref.Runs {
		s := setups[r.Name]()
		a := NewArena([]*Param{NewParam("p", tensor.FromSlice(append([]float32(nil), r.P0...), len(r.P0)))})
		for step, g := range r.Grads {
			copy(a.Grad, g)
			s.opt.Step(a, s.lr)
			for i, w := range r.Traj[step] {
				if d := math.Abs(float64(a.Data[i] - w)); d > 1e-6+1e-6*math.Abs(float64(w)) {
					t.Fatalf("%s step %d: p[%d] = %.8g, PyTorch %.8g", r.Name, step+1, i, a.Data[i], w)
				}
			}
		}
	}
}
