package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"genfwi/internal/cli"
	"genfwi/metrics"
	"genfwi/models/invnet"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// runInvertInvnet is "genfwi invert --method invnet": the same inputs,
// outputs and metrics as --method wavediffusion, from a trained
// InversionNet.
func runInvertInvnet(ctx context.Context, env *cli.Env, o *inferOptions, sigma float64) error {
	if o.Model == "" || o.Data == "" || o.Out == "" {
		return cli.Usagef("--model, --data and --out are required")
	}
	if o.Diffusion != "" {
		return cli.Usagef("--diffusion refines WaveDiffusion latents; it does not apply to --method invnet")
	}
	modelArg := fileArg{"--model", ""}
	if p, err := invnet.ModelPath(o.Model); err == nil {
		modelArg.Path = p
	}
	if err := checkOutputs(inDir("--out", o.Out, "invert.json", "velocity.npy", "invert.png"),
		[]fileArg{{"--data", o.Data}, {"--true", o.True}, modelArg}); err != nil {
		return err
	}
	seis, lo, hi, err := readSeismic(o.Data, o.Samples)
	if err != nil {
		return err
	}
	n := hi - lo
	var truth []float32
	if o.True != "" {
		if truth, err = readMaps("--true", o.True, lo, hi); err != nil {
			return err
		}
	}
	m, err := invnet.LoadModel(o.Model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	t0 := time.Now()
	bar := cli.NewProgress(env, n, "invert invnet")
	defer bar.Finish()
	done := 0
	p, err := m.Predict(ctx, seis, invnet.PredictOptions{Noise: sigma, Seed: o.Seed, OnBatch: func(k int) { bar.Add(k - done); done = k }})
	bar.Finish()
	if err != nil {
		return err
	}
	codec := wavediff.Codec{Norm: m.Norm}
	type result struct {
		Noise       float64         `json:"noise"`
		Velocity    *metrics.Scores `json:"velocity,omitempty"`
		VelocityMS  *metrics.Scores `json:"velocity_ms,omitempty"`
		InputMSE    float64         `json:"input_mse_norm"`
		Seconds     float64         `json:"seconds"`
		SecPerInput float64         `json:"seconds_per_sample"`
	}
	res := result{Noise: sigma, Seconds: time.Since(t0).Seconds()}
	res.SecPerInput = res.Seconds / float64(n)
	res.InputMSE = wavediff.CompareSeismicNorm(codec, seis, p.NoisyNorm)
	if truth != nil {
		a, b, err := invnet.Scores(truth, p.Vel)
		if err != nil {
			return err
		}
		res.Velocity, res.VelocityMS = &a, &b
	}
	if err := npy.WriteFileFloat32(filepath.Join(o.Out, "velocity.npy"), npy.Float32, []int{n, 1, openfwi.NZ, openfwi.NX}, p.Vel); err != nil {
		return err
	}
	title := m.Label() + " inversion"
	if sigma > 0 {
		title += fmt.Sprintf(" (noise σ = %g)", sigma)
	}
	f := inversionFigure{Path: filepath.Join(o.Out, "invert.png"), Title: title, Label: m.Label(), First: lo, K: min(o.Figures, n),
		Norm: m.Norm, Truth: truth, Vel: p.Vel, Seis: seis, NoisyNorm: p.NoisyNorm}
	if err := f.write(); err != nil {
		return err
	}
	method := "invnet"
	if m.Config.Train.Method == "upfwi" {
		method = "upfwi"
	}
	summary := map[string]any{"method": method, "model": o.Model, "config": m.Config.Name, "params": m.Net.NumParams(),
		"trained_on": m.Data, "step": m.Step, "data": o.Data, "samples": fmt.Sprintf("%d:%d", lo, hi), "n": n,
		"results": []result{res},
		"scale":   "velocity MAE/RMSE on OpenFWI's normalised [-1,1] scale, SSIM on [0,1]; velocity_ms in m/s; input MSE in the normalised log-min-max space"}
	if err := wavediff.WriteJSON(filepath.Join(o.Out, "invert.json"), summary); err != nil {
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
