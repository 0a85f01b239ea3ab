package autograd

import (
	"math"
	"testing"

	"genfwi/tensor"
)

// TestBinRowKernels checks the C row kernels of the binary ops
// (binRowKernel, binRowGradKernel; the Go loops in a noblas build) bit for
// bit against the Go loops binRowGo and binRowGradGo, for every op, the
// stride patterns broadcasting produces (contiguous, scalar a, scalar b),
// lengths across the vector widths, special values (±0, ±Inf, NaN,
// subnormals) and untouched elements past the row.
func TestBinRowKernels(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -3e-39, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e30, -7}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || math.IsNaN(float64(a)) && math.IsNaN(float64(b))
	}
	for _, n := range []int{1, 15, 16, 17, 31, 33, 64, 100, 1000} {
		mk := func(seed float64) []float32 {
			x := make([]float32, n+1)
			for i := range x {
				x[i] = float32(math.Sin(float64(i)*1.3+seed)) * float32(1+i%7)
			}
			if n >= 100 {
				copy(x[40:], special)
			}
			return x
		}
		a, b := mk(0.1), mk(2.2)
		b[n/2] = 0 // division by zero
		for op := opAdd; op <= opMax; op++ {
			for _, st := range [][2]int{{1, 1}, {1, 0}, {0, 1}} {
				got, want := make([]float32, n+1), make([]float32, n+1)
				got[n], want[n] = 5, 5
				binRow(op, got[:n], a, st[0], b, st[1])
				binRowGo(op, want[:n], a, st[0], b, st[1])
				for i := range got {
					if !same(got[i], want[i]) {
						t.Fatalf("op %d strides %v n=%d: element %d = %g, Go loop %g", op, st, n, i, got[i], want[i])
					}
				}
			}
			g := mk(4.4)
			ga, gb := mk(5.5), mk(6.6)
			wa, wb := append([]float32(nil), ga...), append([]float32(nil), gb...)
			od := make([]float32, n)
			binRowGo(op, od, a, 1, b, 1)
			binRowGrad(op, g[:n], ga[:n], 1, gb[:n], 1, a, b, od)
			binRowGradGo(op, g[:n], wa[:n], 1, wb[:n], 1, a, b, od)
			for i := range ga {
				if !same(ga[i], wa[i]) || !same(gb[i], wb[i]) {
					t.Fatalf("grad op %d n=%d: element %d = %g, %g, Go loop %g, %g", op, n, i, ga[i], gb[i], wa[i], wb[i])
				}
			}
			// One operand without a gradient.
			binRowGrad(op, g[:n], nil, 1, gb[:n], 1, a, b, od)
			binRowGradGo(op, g[:n], nil, 1, wb[:n], 1, a, b, od)
			for i := range gb {
				if !same(gb[i], wb[i]) {
					t.Fatalf("grad op %d n=%d (b only): element %d = %g, Go loop %g", op, n, i, gb[i], wb[i])
				}
			}
		}
	}
}

// TestAddBiasKernel checks the bias kernel of the convolutions bit for bit
// against addBiasGo, leaving values past the last row untouched.
func TestAddBiasKernel(t *testing.T) {
	for _, p := range []int{1, 16, 17, 100, 1024} {
		const nf = 5
		y := make([]float32, nf*p+1)
		b := []float32{1.5, -2e-39, float32(math.Inf(1)), 0.1, -3}
		for i := range y {
			y[i] = float32(math.Cos(float64(i) * 0.7))
		}
		want := append([]float32(nil), y...)
		addBias(y[:nf*p], b, p)
		addBiasGo(want[:nf*p], b, p)
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
				t.Fatalf("p=%d: element %d = %g, Go loop %g", p, i, y[i], want[i])
			}
		}
	}
}

// TestResizeNearest2xKernels checks exact 2× nearest upsampling (the row
// kernels dup2Kernel and sum2Kernel, or the Go loops) bit for bit against
// index arithmetic: y[oh, ow] = x[oh/2, ow/2], and the input gradient
// dx[h, w] = (g[2h, 2w] + g[2h, 2w+1]) + (g[2h+1, 2w] + g[2h+1, 2w+1]),
// summed in that order.
func TestResizeNearest2xKernels(t *testing.T) {
	for _, w := range []int{3, 8, 16, 33} {
		const n, c, h = 2, 3, 5
		x := make([]float32, n*c*h*w)
		for i := range x {
			x[i] = float32(math.Sin(float64(i) * 0.37))
		}
		tp := NewTape()
		xv := tp.Input(tensor.FromSlice(x, n, c, h, w))
		y := ResizeNearest(xv, 2*h, 2*w)
		g := make([]float32, len(y.Value.Data))
		for i := range g {
			g[i] = float32(math.Cos(float64(i) * 0.91))
		}
		BackwardWith(y, tensor.FromSlice(g, y.Value.Shape...))
		for p := 0; p < n*c; p++ {
			for oh := 0; oh < 2*h; oh++ {
				for ow := 0; ow < 2*w; ow++ {
					got, want := y.Value.Data[(p*2*h+oh)*2*w+ow], x[(p*h+oh/2)*w+ow/2]
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("W=%d: y[%d,%d,%d] = %g, want %g", w, p, oh, ow, got, want)
					}
				}
			}
			for ih := 0; ih < h; ih++ {
				for iw := 0; iw < w; iw++ {
					at := func(oh, ow int) float32 { return g[(p*2*h+oh)*2*w+ow] }
					want := float32(0) + (at(2*ih, 2*iw) + at(2*ih, 2*iw+1))
					want += at(2*ih+1, 2*iw) + at(2*ih+1, 2*iw+1)
					if got := xv.Grad.Data[(p*h+ih)*w+iw]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("W=%d: dx[%d,%d,%d] = %g, want %g", w, p, ih, iw, got, want)
					}
				}
			}
		}
	}
}
