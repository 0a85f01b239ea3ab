package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/wavediff"
)

type sampleOptions struct {
	Model   string
	VQAE    string
	N       int
	Out     string
	Sampler string
	Steps   int
	Eta     float64
	ClipX0  float64
	Seed    uint64
	Real    string
	Gallery int
	JSON    bool
	// AnyVQAE allows a --vqae other than the recorded autoencoder.
	AnyVQAE bool
}

func (o *sampleOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Model, "model", "", "trained diffusion model: run directory or .safetensors (required)")
	fs.StringVar(&o.VQAE, "vqae", "", "its autoencoder (default: the one recorded in the model, or a sibling directory with the recorded checksum); must have the recorded SHA-256")
	fs.BoolVar(&o.AnyVQAE, "allow-vqae-mismatch", false, "accept a --vqae whose SHA-256 is not the one the model recorded (its samples are usually nonsense)")
	fs.IntVar(&o.N, "n", 16, "number of pairs to generate")
	fs.StringVar(&o.Out, "out", "", "output directory: velocity.npy, seismic.npy, gallery.png, sample.json (required)")
	fs.StringVar(&o.Sampler, "sampler", "ddim", "reverse process: ddpm (every timestep) or ddim")
	fs.IntVar(&o.Steps, "steps", 50, "DDIM steps")
	fs.Float64Var(&o.Eta, "eta", 0, "DDIM η (0 = deterministic)")
	fs.Float64Var(&o.ClipX0, "clip-x0", 0, "clamp the sampler's x0-prediction to ±this many latent standard deviations (0 = off)")
	fs.Uint64Var(&o.Seed, "seed", 1, "sampling seed")
	fs.StringVar(&o.Real, "real", "", "velocity file of real maps drawn beside the generated ones in the gallery (their seismic is simulated); default: none")
	fs.IntVar(&o.Gallery, "gallery", 6, "pairs shown in the gallery")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON summary object as the last stdout line")
}

// sampleCommand is "genfwi sample".
func sampleCommand() *cli.Command {
	return &cli.Command{
		Name:      "sample",
		UsageLine: "sample --model DIR --n N --out DIR [--sampler ddpm|ddim] [--steps K] [--json]",
		Short:     "jointly generate seismic–velocity pairs with a trained WaveDiffusion model",
		Long: `Sample draws latents from the latent diffusion model, decodes each with both
decoders of its autoencoder and writes the pairs in the OpenFWI layout:
DIR/velocity.npy [N,1,70,70] in m/s and DIR/seismic.npy [N,5,1000,70] in the
simulator's physical units (resized from the model resolution and
de-normalised), plus DIR/gallery.png (generated pairs, with real ones beside
them if --real is given) and DIR/sample.json.

Examples:
  genfwi sample --model runs/diff --n 64 --out out/gen
  genfwi sample --model weights/wavediffusion-cpu/diffusion --n 8 --sampler ddpm --out out/gen --real ../shared/data/openfwi/CurveVel_A/model/model1.npy
`,
		Flags: optionsFlags("sample", runSample),
	}
}

// loadDiffusion loads a diffusion model and its autoencoder (aeArg: the
// --vqae flag, or "" for the recorded one); a mismatched --vqae is refused
// unless anyVQAE (--allow-vqae-mismatch).
func loadDiffusion(model, aeArg string, anyVQAE bool) (*diffusion.Model, *vqae.Model, wavediff.Codec, error) {
	load := wavediff.LoadDiffusion
	if anyVQAE {
		load = wavediff.LoadDiffusionAnyVQAE
	}
	dm, ae, codec, err := load(model, aeArg)
	return dm, ae, codec, vqaeHint(err)
}

// vqaeHint names --vqae and the way out in an autoencoder mismatch.
func vqaeHint(err error) error {
	if errors.Is(err, wavediff.ErrVQAEMismatch) {
		return fmt.Errorf("--vqae: %w; pass --allow-vqae-mismatch to use it anyway", err)
	}
	return err
}

func checkSampler(name string, steps int) error {
	if name != "ddpm" && name != "ddim" {
		return cli.Usagef("--sampler must be ddpm or ddim, got %q", name)
	}
	if name == "ddim" && steps < 1 {
		return cli.Usagef("--steps must be >= 1 for ddim, got %d", steps)
	}
	return nil
}

func runSample(ctx context.Context, env *cli.Env, o *sampleOptions) error {
	if o.Model == "" || o.Out == "" {
		return cli.Usagef("--model and --out are required")
	}
	if o.N < 1 {
		return cli.Usagef("--n must be >= 1, got %d", o.N)
	}
	if err := checkSampler(o.Sampler, o.Steps); err != nil {
		return err
	}
	if o.ClipX0 < 0 {
		return cli.Usagef("--clip-x0 must be ≥ 0, got %g", o.ClipX0)
	}
	if err := checkOutputs(inDir("--out", o.Out, "velocity.npy", "seismic.npy", "gallery.png", "sample.json"),
		[]fileArg{{"--real", o.Real}, modelFileArg("--model", o.Model), modelFileArg("--vqae", o.VQAE)}); err != nil {
		return err
	}
	dm, ae, codec, err := loadDiffusion(o.Model, o.VQAE, o.AnyVQAE)
	if err != nil {
		return err
	}
	r, err := experiments.Sample(ctx, experiments.SampleOptions{Diffusion: dm, AE: ae, Codec: codec, Model: o.Model, N: o.N,
		Generate: wavediff.GenerateOptions{Method: o.Sampler, Steps: o.Steps, Eta: o.Eta, ClipX0: o.ClipX0, Seed: o.Seed},
		Gallery:  o.Gallery, Real: o.Real, Out: o.Out, Bar: progressBars(env)})
	if err != nil {
		return inputError(err)
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, r)
	}
	fmt.Fprintf(env.Stdout, "%d pairs (%s) in %.1f s → %s, %s, %s\n", r.N, r.Sampler, r.Seconds, r.Velocity, r.Seismic, r.Gallery)
	return nil
}
