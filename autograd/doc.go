// Package autograd is genfwi's reverse-mode automatic differentiation engine
// over float32 tensors (package tensor).
//
// # Values and the tape
//
// A *Var holds a forward Value and, after a backward pass, its Grad (same
// shape). Leaves are created with NewLeaf (parameters; nn gives them gradient
// storage in one flat arena) or with Tape.Const / Tape.Input (data). Every op
// is a plain function (Add, Conv2d, GroupNorm, ...) that computes its output
// and, when an input requires a gradient, records a closure with the op's
// backward rule; forward and backward of each op sit next to each other in the
// same file.
//
// A Tape owns the memory of everything computed from its inputs: outputs,
// saved statistics, gradients and scratch buffers come from a pool of float32
// slices, and Tape.Reset returns them all to the pool. A training loop that
// resets its tape once per step therefore allocates its activations only in
// the first step; RSS stays bounded. Vars made from a tape are invalid after
// Reset. Ops on leaves only (no tape) allocate from the Go heap.
//
// # Gradients
//
// Backward(loss) seeds d loss/d loss = 1 and runs the recorded closures in
// reverse topological order; BackwardWith(out, cot) seeds an arbitrary
// cotangent, computing the vector–Jacobian product cotᵀ·∂out/∂inputs (used to
// push the wave solver's adjoint into a network). Gradients ACCUMULATE (+=)
// into Grad; clear them with ZeroGrad (or nn's arena) between steps. Call
// Backward at most once per forward graph. Only leaves (NewLeaf, Tape.Input)
// and the Var the pass started from keep their gradients: the gradient
// buffers of intermediate results are recycled as soon as the pass has
// propagated them (their Grad is nil afterwards), which bounds memory.
//
// # No-grad mode
//
// A Tape with NoGrad set records nothing: ops only compute values, and their
// outputs do not require gradients. Use it for inference.
//
// # Threads
//
// Batched ops (convolutions, norms, matmuls) run in parallel over the batch
// with tensor.Parallel; elementwise ops split their range across
// tensor.Threads() goroutines. Results do not depend on the thread count
// except through float32 summation order in per-worker gradient partial sums.
//
// # C kernels
//
// With cgo and without the build tag noblas (the build that also uses
// OpenBLAS in package tensor), im2col/col2im, the SiLU, sigmoid and
// LeakyReLU loops and the GroupNorm/LayerNorm rows run as C compiled by cgo
// (kernels_c.go), written so that the compiler vectorises them; otherwise
// their Go versions (kernels_go.go) run. Both compute the same functions
// (the C exponential is exp32 of mathf.go, same constants and clamping);
// the tests pass under both builds (go test -tags noblas ./autograd).
//
// # Shapes and panics
//
// Images are NCHW. Shape mismatches are programmer errors and panic with an
// "autograd: <op>: ..." message naming the op.
package autograd
