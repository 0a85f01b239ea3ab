package tensor

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ (transA, transB). op(A) is m×k, op(B) is k×n and C is m×n;
// lda, ldb and ldc are the row strides (elements) of A, B and C as stored.
// It writes c only, does not allocate, and runs on the calling goroutine
// (OpenBLAS is kept single-threaded; see SetBLASThreads). With beta == 0 the
// prior contents of C are ignored (NaNs included).
//
// It panics ("tensor: ...") if a slice is too short for its dimensions.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmParallel is Gemm with the output split into Threads() blocks of rows
// (or of columns when m is small), each computed by its own goroutine with a
// single-threaded GEMM. Use it for one large product; inside code that
// already runs in Parallel use Gemm.
func GemmParallel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	w := Threads()
	if w <= 1 || int64(m)*int64(n)*int64(k) < 1<<18 {
		Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m >= n || m >= 64*w {
		// Split rows: C[r0:r1] = op(A)[r0:r1]·op(B).
		blk := (m + w - 1) / w
		Parallel(w, func(_, i int) {
			r0, r1 := i*blk, min((i+1)*blk, m)
			if r0 >= r1 {
				return
			}
			aoff := r0 * lda
			if transA {
				aoff = r0
			}
			Gemm(transA, transB, r1-r0, n, k, alpha, a[aoff:], lda, b, ldb, beta, c[r0*ldc:], ldc)
		})
		return
	}
	// Split columns: C[:, c0:c1] = op(A)·op(B)[:, c0:c1].
	blk := (n + w - 1) / w
	blk = (blk + 15) &^ 15
	Parallel(w, func(_, i int) {
		c0, c1 := i*blk, min((i+1)*blk, n)
		if c0 >= c1 {
			return
		}
		boff := c0
		if transB {
			boff = c0 * ldb
		}
		Gemm(transA, transB, m, c1-c0, k, alpha, a, lda, b[boff:], ldb, beta, c[c0:], ldc)
	})
}

func checkGemm(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < max(ac, 1) || ldb < max(bc, 1) || ldc < max(n, 1) {
		panic(fmt.Sprintf("tensor: Gemm leading dimension too small (lda=%d ldb=%d ldc=%d for m=%d n=%d k=%d)", lda, ldb, ldc, m, n, k))
	}
	if (ar > 0 && la < (ar-1)*lda+ac) || (br > 0 && lb < (br-1)*ldb+bc) || lc < (m-1)*ldc+n {
		panic(fmt.Sprintf("tensor: Gemm slice too short (len a=%d b=%d c=%d for m=%d n=%d k=%d)", la, lb, lc, m, n, k))
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmRef is the pure-Go GEMM: the reference the OpenBLAS path is tested
// against and the whole implementation in noblas builds. It scales C by
// beta, then accumulates. For op(B) = B it runs i-p-j so the inner loop is
// an axpy over contiguous rows of B and C; for op(B) = Bᵀ with op(A) = A
// each C element is a dot product of two contiguous rows. It does not
// allocate, except for a transposed copy of A when both operands are
// transposed.
func gemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if transB {
		if transA {
			// Materialise Aᵀ (m×k) so rows are contiguous.
			at := make([]float32, m*k)
			for p := 0; p < k; p++ {
				for i := 0; i < m; i++ {
					at[i*k+p] = a[p*lda+i]
				}
			}
			a, lda = at, k
		}
		for i := 0; i < m; i++ {
			arow := a[i*lda : i*lda+k]
			crow := c[i*ldc : i*ldc+n]
			for j := range crow {
				crow[j] += alpha * dot(arow, b[j*ldb:j*ldb+k])
			}
		}
		return
	}
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			brow := b[p*ldb : p*ldb+n]
			for j, bv := range brow {
				crow[j] += av * bv
			}
		}
	}
}

// dot returns Σ x_i·y_i with four partial sums (len(y) ≥ len(x)).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
