package autograd

import (
	"math/rand/v2"
	"testing"

	"genfwi/tensor"
)

func TestNearestCodeMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := tensor.Randn(rng, 1, 300, 5) // more than one 256-row chunk
	e := tensor.Randn(rng, 1, 37, 5)
	got := NearestCode(h, e)
	for m := 0; m < 300; m++ {
		best, bk := 1e30, -1
		for k := 0; k < 37; k++ {
			var d float64
			for j := 0; j < 5; j++ {
				x := float64(h.Data[m*5+j] - e.Data[k*5+j])
				d += x * x
			}
			if d < best {
				best, bk = d, k
			}
		}
		if got[m] != bk {
			t.Fatalf("row %d: NearestCode %d, brute force %d", m, got[m], bk)
		}
	}
}

// TestStraightThrough checks z = h + sg(zq - h): the value is the quantised
// zq and the gradient reaching h is exactly the incoming cotangent.
func TestStraightThrough(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tp := NewTape()
	h := tp.Input(tensor.Randn(rng, 1, 6, 3))
	e := NewLeaf(tensor.Randn(rng, 1, 4, 3), true)
	zq := Embedding(e, NearestCode(h.Value, e.Value))
	z := Add(h, StopGrad(Sub(zq, h)))
	if d := tensor.MaxAbsDiff(z.Value, zq.Value); d > 1e-6 {
		t.Fatalf("straight-through value differs from zq by %g", d)
	}
	r := tensor.Randn(rng, 1, 6, 3)
	BackwardWith(z, r)
	if d := tensor.MaxAbsDiff(h.Grad, r); d != 0 {
		t.Fatalf("gradient on h differs from the cotangent by %g", d)
	}
	if e.Grad != nil {
		t.Fatal("codebook received a gradient through the stop-gradient")
	}
}

func TestDropoutSeeded(t *testing.T) {
	x := tensor.New(1000)
	x.Fill(1)
	run := func() *Var {
		tp := NewTape()
		return Dropout(tp.Input(x), 0.3, true, rand.New(rand.NewPCG(9, 9)))
	}
	a, b := run(), run()
	if tensor.MaxAbsDiff(a.Value, b.Value) != 0 {
		t.Fatal("dropout with the same seed differs")
	}
	zeros, sum := 0, 0.0
	for _, v := range a.Value.Data {
		if v == 0 {
			zeros++
		}
		sum += float64(v)
	}
	if zeros < 240 || zeros > 360 {
		t.Fatalf("dropout zeroed %d of 1000 at p=0.3", zeros)
	}
	if sum < 900 || sum > 1100 {
		t.Fatalf("dropout does not preserve the mean: sum %g", sum)
	}
	r := tensor.New(1000)
	r.Fill(1)
	BackwardWith(a, r)
	tp := NewTape()
	tp.NoGrad = true
	if Dropout(tp.Const(x), 0.3, false, nil).Value != x {
		t.Fatal("dropout in eval mode must be the identity")
	}
}

// TestTapeReuse checks that a second identical step allocates no new
// buffers and that Free releases the pool.
func TestTapeReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := NewLeaf(tensor.Randn(rng, 1, 4, 2, 3, 3), true)
	x := tensor.Randn(rng, 1, 2, 2, 6, 6)
	tp := NewTape()
	step := func() {
		tp.Reset()
		y := SiLU(Conv2d(tp.Const(x), w, nil, Conv2dOpts{Pad: PadAll(1)}))
		Backward(Sum(y, false))
	}
	step()
	first := tp.Bytes()
	step()
	step()
	if tp.Bytes() != first || first == 0 {
		t.Fatalf("tape grew from %d to %d bytes on identical steps", first, tp.Bytes())
	}
	tp.Free()
	if tp.Bytes() != 0 {
		t.Fatal("Free kept buffers")
	}
	step()
	if tp.Bytes() != first {
		t.Fatalf("after Free a step took %d bytes, want %d", tp.Bytes(), first)
	}
}
