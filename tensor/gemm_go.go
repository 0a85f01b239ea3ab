//go:build !cgo || noblas

package tensor

// BLAS names the GEMM implementation compiled in: "openblas" or "go".
const BLAS = "go"

// SetBLASThreads sets OpenBLAS's own thread count; in this pure-Go build it
// does nothing.
func SetBLASThreads(n int) {}

func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
