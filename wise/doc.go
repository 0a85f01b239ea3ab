// Package wise is the inference layer of WISE (Yin, Louboutin, Orozco,
// Herrmann, "WISE: full-Waveform variational Inference via Subsurface
// Extensions", Geophysics 89(4), 2024), the amortized posterior that WISER
// (Yin, Orozco, Herrmann, Geophysics 2025) refines: training the conditional
// normalizing flow of package models/flow on (velocity, common-image
// gather) pairs, drawing posterior samples of velocity for one observed
// gather, and measuring them (conditional mean, pointwise standard
// deviation, error, calibration of credible intervals). The recipe follows
// the WISE.jl training and inference scripts and InvertibleNetworks.jl;
// docs/wise.md explains it and every departure.
//
// # Training (Train)
//
// Each step draws a batch of B pairs from a random permutation of the
// training set (⌊n/B⌋ steps per epoch), mirrors each pair along x with
// probability FlipProb (velocity and gather together, the offset axis
// untouched), converts velocity to flow units (km/s with VelocityScale
// 1000), adds dequantisation noise σ_e·N(0, 1) (NoiseSchedule.Sigma), and
// minimises the negative log-likelihood per pixel
//
//	L = (1/(B·D)) Σ_b [½‖G(x_b; y_b)‖² − log|det ∂G/∂x|],   D = Nz·Nx,
//
// with Adam after per-parameter gradient-norm clipping. The summary UNet
// runs in training mode (batch statistics, dropout). After every epoch the
// conditional mean of K posterior samples is scored on held-out pairs
// (Validate) with the summary network in eval mode.
//
// Every random draw is a pure function of the seed and the step (epoch
// permutation: seed and epoch; validation latents: seed and map), and a
// checkpoint holds the weights, BatchNorm statistics, Adam moments and the
// loss and validation history, so a run resumed from any checkpoint ends
// with the same bytes as an uninterrupted one.
//
// # Posterior (Model.Sample, WritePosterior)
//
// Samples are x_i = G⁻¹(z_i; y), z_i ~ N(0, I), with the summary network in
// eval mode, returned in m/s; the conditional mean is their mean and the
// pointwise standard deviation uses 1/(N−1).
//
// # Calibration (Calibration, Calibrate)
//
// The central credible interval of level p at a pixel runs between the
// (1−p)/2 and (1+p)/2 quantiles of its samples; the coverage is the fraction
// of true pixels inside, p for a calibrated posterior.
//
// # Data
//
// Pairs abstracts the training data; OpenCIG serves a data set built by
// package cig, MemPairs holds pairs in memory, Subset and RTMOnly (WISE's
// zero-offset-only ablation) wrap others.
package wise
