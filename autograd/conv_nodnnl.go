//go:build !cgo || noblas || nodnnl

package autograd

// ConvBackend names the convolution implementation compiled in: "onednn"
// (oneDNN's JIT kernels for the whole batch, the library PyTorch uses for
// CPU convolutions) or "im2col" (per-sample im2col + GEMM).
const ConvBackend = "im2col"

// dnnlConv is the stand-in of builds without oneDNN: it never runs, so the
// convolutions use the engine's im2col + GEMM kernels.
type dnnlConv struct{}

func newDNNLConv(bool, int, *convGeom, int, int, Conv2dOpts) *dnnlConv { return nil }

func (*dnnlConv) forward(tp *Tape, x, w, b, y []float32, relu bool) bool { return false }

func (*dnnlConv) backward(tp *Tape, x, w, gy, gx, gw, gb []float32, gxSet bool) (didX, didW bool) {
	return false, false
}
