// Package fwi is full-waveform inversion on top of package wave: the data
// misfit ½‖F(v) − d_obs‖² and its adjoint-state gradient for one model or a
// batch of models (particles), regularisation, gradient preconditioning,
// optimisers with velocity bounds, frequency continuation, band-limited
// noise and start models.
//
// # Layout and units
//
// Models are row-major nz×nx float32 slices in m/s (index iz·nx + ix, row 0
// at the surface), as in package wave. Data are [shot][t][receiver] float32.
// Frequencies are in Hz, times in s.
package fwi
