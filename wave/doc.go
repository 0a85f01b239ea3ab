// Package wave models 2D constant-density acoustic waves by finite
// differences: the forward operator, its exact discrete adjoint (gradients
// with respect to velocity and squared slowness), Born modelling and its
// adjoint (RTM), and subsurface horizontal-offset common-image gathers.
//
// # Equation and scheme
//
// The PDE is ∂²p/∂t² + d(x) ∂p/∂t = v² (∇²p + s(t) δ_src), discretised
// exactly as OpenFWI does (UPFWI's FWIForward.FWM): second order in time, order 2,
// 4 or 8 in space, float32 fields,
//
//	p^{n+1} = (2 − κ) p^n − (1 − κ) p^{n−1} + A (c0 + L) p^n + B f^n δ_src
//
// with A = (v dt/h)², κ = d dt, B = (v dt)², c0 + L the h²-scaled Laplacian
// stencil. Data sample j is the wavefield after step j (OpenFWI's convention).
//
// # Grids and layouts
//
// Models are [Nz][Nx] row-major (index iz*Nx + ix, z slowest, row 0 = surface),
// velocities in m/s, cells square with size H (m). The model is extended by NB
// edge-replicated cells on every side; the stencil sees zeros beyond that
// padded grid, or with Options.Periodic (the OpenFWI preset) the opposite
// edge of it. Data are [shot][time][receiver] float32 (the OpenFWI layout).
// All units are SI: m, s, m/s, Hz.
//
// # Boundaries
//
// Sponge is OpenFWI's Collino–Tsogka damping (κ = 3 vref ln(1e7)/(2a),
// quadratic, x strips win in the corners); Devito is the JUDI/Devito damp_op
// profile. vref is Options.DampVelocity or min(v).
//
// # Time stepping
//
// When vmax·dt/h exceeds 0.9 of the order's von Neumann limit, each recording
// step is split into k equal internal steps (Deepwave's approach); the wavelet
// is linearly interpolated and the data are taken every k steps. A warning is
// logged (log/slog) when fewer than 6 cells per wavelength resolve the
// wavelet's peak frequency.
//
// # Adjoint and memory
//
// Gradient, BornAdjoint and ExtendedBornAdjoint run the discrete adjoint of
// the scheme above (see adjoint.go), so they match finite differences to
// rounding. The forward Laplacians are stored per step within
// Options.MemoryBudget; beyond it, checkpoints are kept and segments
// recomputed.
//
// # Sweeps and schedules
//
// What one time step does (stencil, source term, receivers, tape, and in
// the adjoint the residual, the imaging products and the source-strength
// gradient) is written once, as the methods of the per-shot sweep type
// (sweep.go), each over a band of rows. Who runs which rows when is the
// schedules' business (schedule.go): shots in parallel on Options.Workers
// goroutines, or, when the shots do not divide evenly among the workers,
// one shot at a time with every step split into row bands, the workers
// meeting at a barrier that checks its own use.
//
// # Kernels
//
// The float32 stencils are in C (kernel_impl.h, -O3 -march=native) when cgo is
// available; the generic Go kernels (kernel.go, float32 and float64) are used
// otherwise or with the build tag purego, and always for float64. The slow
// float64 reference propagator in wave/internal/ref is used by tests only.
package wave
