package main

import (
	"context"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
)

// denoiseCommand is "genfwi denoise".
func denoiseCommand() *cli.Command {
	return &cli.Command{
		Name:      "denoise",
		UsageLine: "denoise --model DIR --diffusion DIR --data SEIS.npy --out DIR [--noise 0.02,0.05,0.1] [--t-star 200] [--true VEL.npy] [--json]",
		Short:     "denoise seismic (and invert it) through the WaveDiffusion latent diffusion",
		Long: `Denoise adds Gaussian noise of each --noise level (normalised units) to
clean seismic data and recovers clean seismic and velocity: encode with the
autoencoder (one-in-two-out; a joint one also takes --velocity, noised alike,
as in the paper's appendix A.5), noise the latent to --t-star, run the reverse
diffusion to 0 and decode (SDEdit, Meng et al. 2022). For every level it also
reports the autoencoder alone (no diffusion), so the diffusion's effect is
visible. Metrics vs the clean input: seismic MSE in the normalised space and
relative L2; velocity MAE/RMSE/SSIM with --true. Writes velocity_/seismic_
<tag>.npy, invert_<tag>.png per level and variant, and denoise.json.

Example:
  genfwi denoise --model runs/vqae-one-in --diffusion runs/diffusion-one-in --data out/seis11.npy \
      --true ../shared/data/openfwi/CurveVel_A/model/model11.npy --samples 0:32 --out out/denoise --json
`,
		Flags: func(fs *pflag.FlagSet) cli.RunFunc {
			o := &inferOptions{}
			o.addFlags(fs, true)
			return cli.NoArgs("denoise", func(ctx context.Context, env *cli.Env) error {
				sig, err := parseNoise(o.Noise)
				if err != nil {
					return err
				}
				return runInfer(ctx, env, o, sig, true)
			})
		},
	}
}
