package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// naiveGemm is C = alpha·op(A)·op(B) + beta·C by the definition, in float64.
func naiveGemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := append([]float32(nil), c...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				var av, bv float32
				if ta {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tb {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = float32(float64(alpha)*s + float64(beta)*float64(c[i*ldc+j]))
		}
	}
	return out
}

func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 70, 40}, {130, 70, 40}, {5, 300, 200}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				m, n, k := sz[0], sz[1], sz[2]
				// Leading dimensions larger than the logical width exercise strides.
				ar, ac := m, k
				if ta {
					ar, ac = k, m
				}
				br, bc := k, n
				if tb {
					br, bc = n, k
				}
				lda, ldb, ldc := ac+3, bc+1, n+2
				a := Randn(rng, 1, ar*lda).Data
				b := Randn(rng, 1, br*ldb).Data
				c := Randn(rng, 1, m*ldc).Data
				want := naiveGemm(ta, tb, m, n, k, 0.7, a, lda, b, ldb, 0.3, c, ldc)
				for name, f := range map[string]func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int){
					"Gemm": Gemm, "GemmParallel": GemmParallel, "gemmRef": gemmRef,
				} {
					got := append([]float32(nil), c...)
					f(ta, tb, m, n, k, 0.7, a, lda, b, ldb, 0.3, got, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							g, w := got[i*ldc+j], want[i*ldc+j]
							if math.Abs(float64(g-w)) > 1e-4*(1+math.Abs(float64(w)))*math.Sqrt(float64(k)) {
								t.Fatalf("%s %v ta=%v tb=%v: C[%d,%d] = %g, want %g", name, sz, ta, tb, i, j, g, w)
							}
						}
						// Padding columns beyond n must be untouched.
						for j := n; j < ldc && i*ldc+j < len(got); j++ {
							if got[i*ldc+j] != c[i*ldc+j] {
								t.Fatalf("%s wrote outside C's columns", name)
							}
						}
					}
				}
			}
		}
	}
}

func TestGemmBetaZeroIgnoresNaN(t *testing.T) {
	a := []float32{1, 2}
	b := []float32{3, 4}
	c := []float32{float32(math.NaN())}
	Gemm(false, false, 1, 1, 2, 1, a, 2, b, 1, 0, c, 1)
	if c[0] != 11 {
		t.Fatalf("beta=0 result %g, want 11", c[0])
	}
}

func TestGemmPanicsOnShortSlice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short slice")
		}
	}()
	Gemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
}

func TestParallelVisitsEachIndexOnce(t *testing.T) {
	for _, th := range []int{1, 2, 5} {
		SetThreads(th)
		var hits [100]atomic.Int32
		Parallel(100, func(w, i int) {
			if w < 0 || w >= Workers(100) {
				t.Errorf("worker %d out of range", w)
			}
			hits[i].Add(1)
		})
		var sum atomic.Int64
		ParallelRange(1000, 7, func(lo, hi int) { sum.Add(int64(hi - lo)) })
		for i := range hits {
			if hits[i].Load() != 1 {
				t.Fatalf("threads=%d: index %d visited %d times", th, i, hits[i].Load())
			}
		}
		if sum.Load() != 1000 {
			t.Fatalf("ParallelRange covered %d of 1000", sum.Load())
		}
	}
	SetThreads(0)
}

func TestReshapeInfer(t *testing.T) {
	x := New(2, 3, 4)
	y := x.Reshape(4, -1)
	if !SameShape(y.Shape, []int{4, 6}) || &y.Data[0] != &x.Data[0] {
		t.Fatalf("Reshape gave %v or copied", y.Shape)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an impossible reshape")
		}
	}()
	x.Reshape(5, -1)
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range [][3]int{{64, 576, 1024}, {128, 1152, 256}, {512, 512, 512}} {
		m, k, n := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(1, 1))
		A, B, C := Randn(rng, 1, m, k), Randn(rng, 1, k, n), New(m, n)
		b.Run(BLAS+"/"+itoa(m)+"x"+itoa(k)+"x"+itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Gemm(false, false, m, n, k, 1, A.Data, k, B.Data, n, 0, C.Data, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		i /= 10
		if i == 0 {
			return s
		}
	}
}

// TestRepeat: n copies of a (1, ...) tensor along the first axis, in order,
// and a clear panic for a leading axis other than 1.
func TestRepeat(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 1, 2, 3)
	r := x.Repeat(3)
	if !slices.Equal(r.Shape, []int{3, 2, 3}) {
		t.Fatalf("shape %v, want [3 2 3]", r.Shape)
	}
	for i, v := range r.Data {
		if v != x.Data[i%6] {
			t.Fatalf("element %d = %g, want %g", i, v, x.Data[i%6])
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Repeat of a (2, ...) tensor did not panic")
		}
	}()
	New(2, 3).Repeat(2)
}
