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
	Model    string
	VQAE     string
	N        int
	Out      string
	Sampler  string
	Steps    int
	Eta      float64
	ClipX0   float64
	Seed     uint64
	Real     string
	RealMaps int
	Gallery  int
	JSON     bool
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
	fs.StringVar(&o.Real, "real", "", "velocity files of real maps (comma list): the first file's are drawn beside the generated ones in the gallery (their seismic is simulated); all are the interface-sharpness reference; default: none")
	fs.IntVar(&o.RealMaps, "real-maps", 64, "maps of each --real file in the interface-sharpness reference")
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

With --real, sample.json also compares the interface sharpness of the
generated maps (the mean of each map's largest 2 % vertical jumps
|v(z+1) − v(z)|, m/s) with that of the real maps, raw and after the round trip
through the model's grid (resized64 resizes 70×70 → 64×64 → 70×70 and halves
the sharpest interfaces; native70 keeps them).

Examples:
  genfwi sample --model runs/diff --n 64 --out out/gen
  genfwi sample --model weights/wavediffusion-cpu/diffusion --n 64 --out out/gen --real $D/CurveVel_A/model/model11.npy,$D/FlatVel_A/model/model11.npy
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
	if o.RealMaps < 1 {
		return cli.Usagef("--real-maps must be >= 1, got %d", o.RealMaps)
	}
	reals := splitList(o.Real)
	ins := []fileArg{modelFileArg("--model", o.Model), modelFileArg("--vqae", o.VQAE)}
	for _, r := range reals {
		ins = append(ins, fileArg{"--real", r})
	}
	if err := checkOutputs(inDir("--out", o.Out, "velocity.npy", "seismic.npy", "gallery.png", "sample.json"), ins); err != nil {
		return err
	}
	dm, ae, codec, err := loadDiffusion(o.Model, o.VQAE, o.AnyVQAE)
	if err != nil {
		return err
	}
	r, err := experiments.Sample(ctx, experiments.SampleOptions{Diffusion: dm, AE: ae, Codec: codec, Model: o.Model, N: o.N,
		Generate: wavediff.GenerateOptions{Method: o.Sampler, Steps: o.Steps, Eta: o.Eta, ClipX0: o.ClipX0, Seed: o.Seed},
		Gallery:  o.Gallery, Real: reals, RealMaps: o.RealMaps, Out: o.Out, Bar: progressBars(env)})
	if err != nil {
		return inputError(err)
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, r)
	}
	fmt.Fprintf(env.Stdout, "%d pairs (%s) in %.1f s → %s, %s, %s\n", r.N, r.Sampler, r.Seconds, r.Velocity, r.Seismic, r.Gallery)
	if s := r.Sharpness; s != nil {
		fmt.Fprintf(env.Stdout, "interface sharpness (top 2 %% vertical jumps): generated %.0f m/s; real %.0f m/s, through the model's grid %.0f m/s (generated/grid %.2f)\n",
			s.Generated, s.RealMean, s.PipelineMean, s.Ratio)
	}
	return nil
}
