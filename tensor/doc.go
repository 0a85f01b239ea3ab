// Package tensor holds genfwi's float32 tensors and the one matrix-multiply
// seam of the deep-learning engine.
//
// # Layout
//
// A Tensor is a contiguous, row-major float32 array with a shape. Images are
// NCHW: element (n, c, h, w) of a (N, C, H, W) tensor lives at
// ((n*C+c)*H+h)*W+w. There are no strided views: reshaping shares the data,
// every other re-layout copies.
//
// # Gemm
//
// Gemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices. With cgo
// and without the build tag noblas it calls OpenBLAS cblas_sgemm; otherwise a
// pure-Go blocked loop runs (correct, roughly 10× slower). All heavy arithmetic
// of the engine (convolutions, matmuls, attention) goes through Gemm. The same
// build condition (cgo && !noblas) also selects package autograd's C loops
// (im2col/col2im, SiLU, sigmoid, LeakyReLU, the norm rows; autograd/
// kernels_c.go) over their Go versions (kernels_go.go), so the two builds
// differ in this package's Gemm and in those autograd kernels.
//
// # Threads
//
// The engine parallelises over the batch with its own goroutines (Parallel),
// and OpenBLAS is kept single-threaded so the two never oversubscribe the
// cores: each goroutine runs its own single-threaded GEMM. Threads() is
// GOMAXPROCS unless SetThreads was called. GemmParallel splits one large GEMM
// into row or column blocks across the same workers.
package tensor
