package nn

import (
	"fmt"
	"math"

	"genfwi/autograd"
	"genfwi/tensor"
)

// Param is a named trainable tensor. V.Value holds the weights and V.Grad
// the accumulated gradient (both views into an Arena once NewArena ran).
type Param struct {
	Name string
	V    *autograd.Var
}

// NewParam returns a parameter holding t (not copied).
func NewParam(name string, t *tensor.Tensor) *Param {
	return &Param{Name: name, V: autograd.NewLeaf(t, true)}
}

// Value returns the parameter's weights.
func (p *Param) Value() *tensor.Tensor { return p.V.Value }

// Grad returns the parameter's gradient (nil before NewArena or a backward
// pass).
func (p *Param) Grad() *tensor.Tensor { return p.V.Grad }

// Module is anything with trainable parameters.
type Module interface {
	Params() []*Param
}

// Buffer is a named non-trainable tensor saved in checkpoints (BatchNorm
// running statistics).
type Buffer struct {
	Name string
	T    *tensor.Tensor
}

// BufferModule is a Module with buffers.
type BufferModule interface {
	Buffers() []*Buffer
}

// Collect concatenates the parameters of mods in order (nil modules are
// skipped).
func Collect(mods ...Module) []*Param {
	var ps []*Param
	for _, m := range mods {
		if m != nil {
			ps = append(ps, m.Params()...)
		}
	}
	return ps
}

// Arena stores all parameters of a model contiguously: Data holds the
// weights and Grad the gradients, parameter i occupying [Offsets[i],
// Offsets[i]+numel_i) in both.
type Arena struct {
	Params  []*Param
	Offsets []int
	Data    []float32
	Grad    []float32
}

// NewArena copies the values of ps into one flat slice and re-points every
// parameter's Value and Grad at views of the arena. It panics on duplicate
// names (a programming error in the model definition).
func NewArena(ps []*Param) *Arena {
	a := &Arena{Params: ps, Offsets: make([]int, len(ps))}
	seen := map[string]bool{}
	n := 0
	for i, p := range ps {
		if seen[p.Name] {
			panic(fmt.Sprintf("nn: duplicate parameter name %q", p.Name))
		}
		seen[p.Name] = true
		a.Offsets[i] = n
		n += len(p.V.Value.Data)
	}
	a.Data = make([]float32, n)
	a.Grad = make([]float32, n)
	for i, p := range ps {
		off, m := a.Offsets[i], len(p.V.Value.Data)
		copy(a.Data[off:off+m], p.V.Value.Data)
		p.V.Value.Data = a.Data[off : off+m : off+m]
		p.V.Grad = &tensor.Tensor{Shape: append([]int(nil), p.V.Value.Shape...), Data: a.Grad[off : off+m : off+m]}
	}
	return a
}

// NumParams returns the number of scalar parameters.
func (a *Arena) NumParams() int { return len(a.Data) }

// ZeroGrad clears all gradients.
func (a *Arena) ZeroGrad() { clear(a.Grad) }

// span returns parameter i's range in Data/Grad.
func (a *Arena) span(i int) (lo, hi int) {
	return a.Offsets[i], a.Offsets[i] + len(a.Params[i].V.Value.Data)
}

// GradNorm returns the global L2 norm of all gradients (float64 sum).
func (a *Arena) GradNorm() float64 { return norm2(a.Grad) }

func norm2(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// ClipGlobalNorm scales all gradients by min(1, maxNorm/‖g‖) where ‖g‖ is the
// global L2 norm, and returns ‖g‖ before clipping (PyTorch
// clip_grad_norm_).
func ClipGlobalNorm(a *Arena, maxNorm float64) float64 {
	n := a.GradNorm()
	if n > maxNorm && n > 0 {
		s := float32(maxNorm / n)
		for i := range a.Grad {
			a.Grad[i] *= s
		}
	}
	return n
}

// ClipPerParam scales each parameter's gradient separately so that its L2
// norm is at most maxNorm (Flux's ClipNorm, used by the WISE flows).
func ClipPerParam(a *Arena, maxNorm float64) {
	for i := range a.Params {
		lo, hi := a.span(i)
		g := a.Grad[lo:hi]
		if n := norm2(g); n > maxNorm && n > 0 {
			s := float32(maxNorm / n)
			for j := range g {
				g[j] *= s
			}
		}
	}
}
