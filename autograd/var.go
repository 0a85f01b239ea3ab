package autograd

import (
	"fmt"

	"genfwi/tensor"
)

// Var is a node of the computation graph: a value, an optional gradient and
// the rule that propagates the gradient to the node's inputs.
type Var struct {
	// Value is the forward result. Ops never modify a Var's Value after
	// creating it.
	Value *tensor.Tensor
	// Grad has Value's shape and accumulates d(loss)/d(Value) during backward
	// passes. It is nil until a backward pass reaches the Var (or until the
	// owner, e.g. nn's parameter arena, assigns storage).
	Grad *tensor.Tensor

	requires bool
	tape     *Tape
	op       string
	parents  []*Var
	back     func(g *tensor.Tensor)
}

// NewLeaf wraps t as a leaf Var (no tape). With requiresGrad it is a trainable
// parameter whose Grad accumulates over backward passes.
func NewLeaf(t *tensor.Tensor, requiresGrad bool) *Var {
	return &Var{Value: t, requires: requiresGrad, op: "leaf"}
}

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requires }

// Shape returns v.Value.Shape.
func (v *Var) Shape() []int { return v.Value.Shape }

// Data returns v.Value.Data.
func (v *Var) Data() []float32 { return v.Value.Data }

// Tape returns the tape v is recorded on (nil for a plain leaf), so that
// code composing operations can put constants on the same graph.
func (v *Var) Tape() *Tape { return v.tape }

// Op returns the name of the op that produced v ("leaf", "const", "input" for
// leaves).
func (v *Var) Op() string { return v.op }

// Item returns the single element of a one-element Var.
// It panics if v has more than one element.
func (v *Var) Item() float32 {
	if len(v.Value.Data) != 1 {
		panic(fmt.Sprintf("autograd: Item on a Var of shape %v", v.Value.Shape))
	}
	return v.Value.Data[0]
}

// ZeroGrad clears v.Grad if it exists.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Zero()
	}
}

// Tape owns the buffers of a computation: every Var computed from the tape's
// inputs draws its value, gradient and scratch memory from the tape's pool.
// The zero Tape is not usable; call NewTape.
type Tape struct {
	// NoGrad turns recording off: ops on this tape only compute values.
	NoGrad bool

	pool     map[int][][]float32 // free buffers by length
	live     [][]float32         // buffers handed out since the last Reset
	recycled map[int][][]float32 // live buffers released early (gradients consumed during backward)
	held     int64               // bytes owned by the tape
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{pool: map[int][][]float32{}, recycled: map[int][][]float32{}} }

// Reset returns every buffer handed out since the last Reset to the pool.
// All Vars made from this tape become invalid. It does not free memory.
func (t *Tape) Reset() {
	for _, b := range t.live {
		t.pool[len(b)] = append(t.pool[len(b)], b)
	}
	t.live = t.live[:0]
	clear(t.recycled)
}

// Free drops every buffer (live and pooled) so the garbage collector can
// reclaim them; use it when shapes change for good (a pool keeps one set of
// buffers per distinct size). All Vars made from this tape become invalid.
func (t *Tape) Free() {
	t.pool = map[int][][]float32{}
	t.recycled = map[int][][]float32{}
	t.live = nil
	t.held = 0
}

// Bytes returns the bytes of float32 storage the tape owns (live and pooled).
func (t *Tape) Bytes() int64 { return t.held }

// Const puts x on the tape as a value that does not require a gradient.
// x is not copied and must not change while the graph is in use.
func (t *Tape) Const(x *tensor.Tensor) *Var { return &Var{Value: x, tape: t, op: "const"} }

// Input puts x on the tape as a value whose gradient is wanted (the Grad is
// allocated from the tape by the backward pass). x is not copied.
func (t *Tape) Input(x *tensor.Tensor) *Var {
	return &Var{Value: x, tape: t, op: "input", requires: !t.NoGrad}
}

// buf returns a slice of n float32 from the tape's pool (or the heap when t is
// nil). When zero is set the slice is cleared.
func (t *Tape) buf(n int, zero bool) []float32 {
	if t == nil {
		return make([]float32, n)
	}
	var b []float32
	if rec := t.recycled[n]; len(rec) > 0 {
		// Already on the live list: hand it out again without re-listing.
		b = rec[len(rec)-1]
		t.recycled[n] = rec[:len(rec)-1]
		if zero {
			clear(b)
		}
		return b
	}
	if free := t.pool[n]; len(free) > 0 {
		b = free[len(free)-1]
		t.pool[n] = free[:len(free)-1]
		if zero {
			clear(b)
		}
	} else {
		b = make([]float32, n)
		t.held += int64(4 * n)
	}
	t.live = append(t.live, b)
	return b
}

// scratch returns a temporary slice of n float32 that the caller gives back
// with release before the op returns (or the heap when t is nil). It is not
// cleared. Not safe for concurrent use: take scratch before going parallel.
func (t *Tape) scratch(n int) []float32 {
	if t == nil {
		return make([]float32, n)
	}
	if free := t.pool[n]; len(free) > 0 {
		b := free[len(free)-1]
		t.pool[n] = free[:len(free)-1]
		return b
	}
	t.held += int64(4 * n)
	return make([]float32, n)
}

// release returns scratch buffers to the pool.
func (t *Tape) release(bufs ...[]float32) {
	if t == nil {
		return
	}
	for _, b := range bufs {
		if b != nil {
			t.pool[len(b)] = append(t.pool[len(b)], b)
		}
	}
}

// tensor returns a tensor of the given shape from the tape's pool.
func (t *Tape) tensor(zero bool, shape ...int) *tensor.Tensor {
	return &tensor.Tensor{Shape: append([]int(nil), shape...), Data: t.buf(tensor.Numel(shape), zero)}
}

// tapeOf returns the first tape among vs (nil if all are leaves).
func tapeOf(vs ...*Var) *Tape {
	for _, v := range vs {
		if v != nil && v.tape != nil {
			return v.tape
		}
	}
	return nil
}

// newOut makes an output Var on the tape of ins with the given shape.
func newOut(zero bool, shape []int, ins ...*Var) *Var {
	tp := tapeOf(ins...)
	return &Var{Value: tp.tensor(zero, shape...), tape: tp}
}

// needGrad reports whether an op on ins must record a backward rule.
func needGrad(ins ...*Var) bool {
	tp := tapeOf(ins...)
	if tp != nil && tp.NoGrad {
		return false
	}
	for _, v := range ins {
		if v != nil && v.requires {
			return true
		}
	}
	return false
}

// record attaches op's backward rule to out if any input requires a gradient.
// back receives out's gradient and must ADD each input's contribution into
// gradOf(input).
func record(out *Var, op string, ins []*Var, back func(g *tensor.Tensor)) *Var {
	out.op = op
	if !needGrad(ins...) {
		return out
	}
	out.requires = true
	out.parents = ins
	out.back = back
	return out
}

// gradOf returns v's gradient buffer, allocating a zeroed one on first use.
// It panics if v.Grad was assigned with the wrong number of elements.
func gradOf(v *Var) *tensor.Tensor {
	if v.Grad == nil {
		tp := v.tape
		if v.op == "leaf" {
			tp = nil // leaf gradients outlive any tape
		}
		v.Grad = tp.tensor(true, v.Value.Shape...)
	} else if len(v.Grad.Data) != len(v.Value.Data) {
		panic(fmt.Sprintf("autograd: %s: gradient has %d elements, value has shape %v", v.op, len(v.Grad.Data), v.Value.Shape))
	}
	return v.Grad
}

// gradFresh returns v's gradient buffer for an op that is about to write
// every element of it. When v has no gradient yet (and is not a leaf) the
// buffer comes from the tape's pool without being cleared and fresh is
// true: the caller must overwrite all of it (or clear it) — no zeroing pass
// and no read of zeros to add to. Otherwise it is gradOf(v) and the caller
// adds into it.
func gradFresh(v *Var) (g []float32, fresh bool) {
	if v.Grad != nil || v.op == "leaf" || v.tape == nil {
		return gradOf(v).Data, false
	}
	v.Grad = v.tape.tensor(false, v.Value.Shape...)
	return v.Grad.Data, true
}

// Backward computes the gradient of the one-element loss with respect to
// every Var it depends on that requires a gradient, accumulating into their
// Grad fields. It panics if loss has more than one element or does not
// require a gradient.
func Backward(loss *Var) {
	if len(loss.Value.Data) != 1 {
		panic(fmt.Sprintf("autograd: Backward needs a one-element loss, got shape %v (use BackwardWith)", loss.Value.Shape))
	}
	BackwardWith(loss, tensor.FromSlice([]float32{1}, loss.Value.Shape...))
}

// BackwardWith runs the reverse pass from out seeded with the cotangent cot
// (same number of elements as out): afterwards every input x that requires a
// gradient has cotᵀ·∂out/∂x added to x.Grad. It panics if the sizes differ or
// out does not require a gradient.
func BackwardWith(out *Var, cot *tensor.Tensor) {
	if len(cot.Data) != len(out.Value.Data) {
		panic(fmt.Sprintf("autograd: BackwardWith: cotangent shape %v for output shape %v", cot.Shape, out.Value.Shape))
	}
	if !out.requires {
		panic("autograd: BackwardWith: output does not depend on anything that requires a gradient")
	}
	order := topo(out)
	g := gradOf(out)
	for i, c := range cot.Data {
		g.Data[i] += c
	}
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		if v.back != nil && v.Grad != nil {
			v.back(v.Grad)
			// Every contribution to v.Grad has arrived (topological order)
			// and v.back has consumed it: recycle the buffer for the
			// gradients still to come. out's own gradient is kept.
			if v != out && v.tape != nil {
				v.tape.recycle(v.Grad.Data)
				v.Grad = nil
			}
		}
	}
}

// recycle makes a live buffer available again before the next Reset.
func (t *Tape) recycle(b []float32) {
	t.recycled[len(b)] = append(t.recycled[len(b)], b)
}

// topo returns the Vars reachable from root that require gradients, in
// topological order (inputs before outputs). It is iterative so very deep
// graphs do not grow the stack.
func topo(root *Var) []*Var {
	var order []*Var
	seen := map[*Var]bool{root: true}
	type frame struct {
		v *Var
		i int
	}
	stack := []frame{{root, 0}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(f.v.parents) {
			p := f.v.parents[f.i]
			f.i++
			if p != nil && p.requires && !seen[p] {
				seen[p] = true
				stack = append(stack, frame{p, 0})
			}
			continue
		}
		order = append(order, f.v)
		stack = stack[:len(stack)-1]
	}
	return order
}
