// Package invnet implements InversionNet (Wu & Lin 2019) exactly as the
// OpenFWI benchmark (Deng et al. 2022, lanl/OpenFWI network.py) builds it,
// on genfwi's autograd/nn engine, with its data-driven training loop and
// inference.
//
// # Network
//
// Input: OpenFWI seismic, 5 shots × 1000 time samples × 70 receivers,
// normalised as OpenFWI does (log1p, then min–max to [−1, 1] with the
// dataset's data_min/data_max; openfwi.Norm.Data), optionally decimated in
// time (NetConfig.SampleTemporal, OpenFWI's --sample_temporal). Output: one
// 70×70 velocity map on OpenFWI's label scale v' = 2(v − 1500)/3000 − 1,
// through tanh. Every block is Conv2d (or ConvTranspose2d) → BatchNorm2d →
// LeakyReLU(0.2); the encoder compresses time with (k,1) kernels, then both
// axes, to 512×1×1; the decoder grows 5×5 → 80×80, crops 5 cells on every
// side and ends with a 3×3 conv, BatchNorm and tanh. The paper preset has
// 24 409 123 parameters (PaperNet); the cpu preset (CPUNet) halves the
// widths and decimates time 4×.
//
// # Training
//
// Train runs OpenFWI's recipe: AdamW (β 0.9/0.999, weight decay 1e-4,
// constant learning rate), loss λ1·L1 + λ2·MSE on the normalised velocity,
// shuffled epochs, optional Gaussian noise on the normalised input. Pairs
// come from OpenFWI-layout directories (OpenPairs). Checkpoints hold the
// weights, BatchNorm statistics, AdamW moments and the loss history, and a
// resumed run repeats the uninterrupted one exactly (every random draw is a
// function of the seed and the step). A validation curve (MAE/RMSE/SSIM on
// held-out training pairs) is written per epoch.
//
// # Inference
//
// Model (LoadModel) is a trained network with its normalisation; Predict
// maps raw seismic to velocity in m/s.
package invnet
