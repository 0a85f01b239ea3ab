package main

import (
	"context"
	"fmt"

	"genfwi/experiments"
	"genfwi/internal/cli"
	"genfwi/models/invnet"
)

// runInvertInvnet is "genfwi invert --method invnet|velocitygan|upfwi": the
// same inputs, outputs and metrics as --method wavediffusion, from a trained
// InversionNet generator.
func runInvertInvnet(ctx context.Context, env *cli.Env, o *inferOptions, sigma float64) error {
	if o.Model == "" || o.Data == "" || o.Out == "" {
		return cli.Usagef("--model, --data and --out are required")
	}
	if o.Diffusion != "" {
		return cli.Usagef("--diffusion refines WaveDiffusion latents; it does not apply to --method %s", o.Method)
	}
	modelArg := fileArg{"--model", ""}
	if p, err := invnet.ModelPath(o.Model); err == nil {
		modelArg.Path = p
	}
	if err := checkOutputs(inDir("--out", o.Out, "invert.json", "velocity.npy", "invert.png"),
		[]fileArg{{"--data", o.Data}, {"--true", o.True}, modelArg}); err != nil {
		return err
	}
	in, err := o.readInputs()
	if err != nil {
		return err
	}
	m, err := invnet.LoadModel(o.Model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	method := m.Config.Train.Method
	if method == "" {
		method = "invnet"
	}
	if method != o.Method {
		return cli.Usagef("--method %s, but --model %s was trained as %s (use --method %s)", o.Method, o.Model, method, method)
	}
	summary := map[string]any{"method": method, "model": o.Model, "config": m.Config.Name, "params": m.Net.NumParams(),
		"trained_on": m.Data, "step": m.Step, "data": o.Data, "samples": fmt.Sprintf("%d:%d", in.First, in.First+in.N)}
	res, err := experiments.InvNetInversion(ctx, m, sigma, o.Seed, in, experiments.Output{Dir: o.Out, Figures: o.Figures, Describe: summary}, progressBars(env))
	if err != nil {
		return err
	}
	if o.JSON {
		return cli.WriteJSON(env.Stdout, summary)
	}
	fmt.Fprintf(env.Stdout, "%s, noise %.3g: input MSE_norm %.4g", method, sigma, res.InputMSE)
	if res.Velocity != nil {
		fmt.Fprintf(env.Stdout, ", velocity MAE %.4f RMSE %.4f SSIM %.4f (MAE %.1f m/s, RMSE %.1f m/s)",
			res.Velocity.MAE, res.Velocity.RMSE, res.Velocity.SSIM, res.VelocityMS.MAE, res.VelocityMS.RMSE)
	}
	fmt.Fprintln(env.Stdout)
	return nil
}
