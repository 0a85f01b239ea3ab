//go:build !cgo || noblas

package autograd

// directConvCPU is false without the C kernels: convolutions use oneDNN or
// im2col + GEMM only.
const directConvCPU = false

func (d *dgeom) run(N int, x, wt, bias, y []float32, acc, relu bool) {
	panic("autograd: direct convolution without cgo")
}

func (d *dgeom) wgrad(N int, x, gy, dw []float32) { panic("autograd: direct convolution without cgo") }
