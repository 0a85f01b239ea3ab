//go:build cgo && !noblas

package tensor

/*
#cgo pkg-config: openblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// BLAS names the GEMM implementation compiled in: "openblas" or "go".
const BLAS = "openblas"

func init() {
	// The engine parallelises with its own goroutines; OpenBLAS threads
	// would compete with them for the same cores.
	C.openblas_set_num_threads(1)
}

// SetBLASThreads sets OpenBLAS's own thread count (1 by default). Raising it
// only pays off when a single large GEMM runs at a time outside Parallel.
// In noblas builds it does nothing.
func SetBLASThreads(n int) { C.openblas_set_num_threads(C.int(max(n, 1))) }

func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
