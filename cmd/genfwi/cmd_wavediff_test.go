package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genfwi/models/diffusion"
	"genfwi/models/vqae"
)

// wdLastJSON decodes the last stdout line as a JSON object.
func wdLastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	lastJSON(t, out, &m)
	return m
}

func TestWaveDiffusionUsageErrors(t *testing.T) {
	cases := [][]string{
		{"train"},
		{"train", "bogus", "--out", "x"},
		{"train", "vqae", "--config", "cpu"},
		{"train", "diffusion", "--config", "cpu", "--out", "x"},
		{"train", "fd-proxy", "--out", "x"},
		{"train", "vqae", "--nope"},
		{"sample", "--out", "x"},
		{"sample", "--model", "m", "--out", "x", "--sampler", "euler"},
		{"sample", "--model", "m", "--out", "x", "--n", "0"},
		{"eval"},
		{"eval", "bogus", "--model", "m", "--out", "x"},
		{"eval", "fd-proxy", "--model", "m", "--out", "x"},
		{"eval", "pde-deviation", "--model", "m", "--out", "x", "--points", "1"},
		{"eval", "eps-error", "--model", "m", "--out", "x", "--points", "1"},
		{"eval", "eps-error", "--out", "x"},
		{"invert", "--method", "inversionnet", "--model", "m", "--data", "d", "--out", "x"},
		{"invert", "--model", "m", "--data", "d", "--out", "x", "--noise", "0.1,0.2"},
		{"invert", "--model", "m", "--out", "x"},
		{"denoise", "--model", "m", "--data", "d", "--out", "x", "--noise", "abc"},
	}
	for _, c := range cases {
		if code, _, errs := cliRun(c...); code != 2 {
			t.Errorf("genfwi %s: exit %d, want 2 (stderr %q)", strings.Join(c, " "), code, errs)
		}
	}
}

func openfwiRootForTest(t *testing.T) string {
	t.Helper()
	root := defaultOpenFWIRoot()
	if _, err := os.Stat(filepath.Join(root, "CurveVel_A", "model", "model1.npy")); err != nil {
		t.Skip("real OpenFWI maps not found")
	}
	return root
}

func writeConfig(t *testing.T, path string, v interface{ MarshalIndent() ([]byte, error) }) {
	t.Helper()
	b, err := v.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func tinyAEConfig(mode vqae.Mode) *vqae.Config {
	c := &vqae.Config{Name: "tiny", Mode: mode, EmbedDim: 4, NEmbed: 16, Beta: 0.25, VQLoss: "legacy", Seed: 9,
		Seismic: &vqae.BranchConfig{InChannels: 5, Resolution: [2]int{256, 64}, Ch: 8, ChMult: []int{1, 1, 1, 1, 1},
			Down: [][2]int{{2, 1}, {2, 1}, {2, 2}, {2, 2}}, NumResBlocks: 1, ZChannels: 4, NormGroups: 4},
		Velocity: &vqae.BranchConfig{InChannels: 1, Resolution: [2]int{64, 64}, Ch: 8, ChMult: []int{1, 1, 1},
			Down: [][2]int{{2, 2}, {2, 2}}, NumResBlocks: 1, ZChannels: 4, NormGroups: 4},
		Train: vqae.TrainConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, BatchSize: 2, Steps: 3, GradClip: 1}}
	return c
}

// TestWaveDiffusionPipelineCLI runs the whole pipeline on tiny models and 4
// real training maps: train vqae, train diffusion, sample, eval
// pde-deviation, invert, denoise, with --json on each.
func TestWaveDiffusionPipelineCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end CLI pipeline (about 20 s) skipped in -short mode")
	}
	root := openfwiRootForTest(t)
	dir := t.TempDir()
	aeCfg, oneCfg, dCfg := filepath.Join(dir, "ae.json"), filepath.Join(dir, "one.json"), filepath.Join(dir, "d.json")
	writeConfig(t, aeCfg, tinyAEConfig(vqae.Joint))
	// The one-in-two-out model reads the native70 grid (70 receivers, 70×70
	// velocity through input adapters), the joint one resized64.
	one := tinyAEConfig(vqae.OneInTwoOut)
	one.Geometry = "native70"
	one.Seismic.InputSize, one.Velocity.InputSize = [2]int{256, 70}, [2]int{70, 70}
	writeConfig(t, oneCfg, one)
	writeConfig(t, dCfg, &diffusion.Config{Name: "tiny",
		Schedule: diffusion.ScheduleConfig{Timesteps: 20, LinearStart: 0.0015, LinearEnd: 0.0155, Kind: "linear"},
		UNet: diffusion.UNetConfig{ImageSize: 16, InChannels: 4, OutChannels: 4, ModelChannels: 8, ChannelMult: []int{1, 2},
			NumResBlocks: 1, AttentionResolutions: []int{2}, NumHeads: 2, NormGroups: 4},
		Loss: "l1", ScaleByStd: true, Seed: 2,
		Train: diffusion.TrainConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, BatchSize: 2, Steps: 3, EMADecay: 0.99}})
	common := []string{"--data", root, "--per-dataset", "2", "--json", "--pairs", filepath.Join(dir, "pairs.gfwd")}
	code, out, errs := cliRun(append([]string{"train", "vqae", "--config", aeCfg, "--out", filepath.Join(dir, "ae")}, common...)...)
	if code != 0 {
		t.Fatalf("train vqae: exit %d\n%s", code, errs)
	}
	if m := wdLastJSON(t, out); m["pairs"].(float64) != 4 || m["steps"].(float64) != 3 {
		t.Fatalf("train vqae summary %v", m)
	}
	common70 := append(slices.Clone(common[:len(common)-1]), filepath.Join(dir, "pairs70.gfwd"))
	if code, _, errs := cliRun(append([]string{"train", "vqae", "--config", oneCfg, "--out", filepath.Join(dir, "one")}, common70...)...); code != 0 {
		t.Fatalf("train vqae one-in: exit %d\n%s", code, errs)
	}
	if code, _, errs := cliRun(append([]string{"train", "diffusion", "--config", dCfg, "--vqae", filepath.Join(dir, "ae"), "--out", filepath.Join(dir, "diff")}, common...)...); code != 0 {
		t.Fatalf("train diffusion: exit %d\n%s", code, errs)
	}
	if code, _, errs := cliRun(append([]string{"train", "diffusion", "--config", dCfg, "--vqae", filepath.Join(dir, "one"), "--out", filepath.Join(dir, "diff-one")}, common70...)...); code != 0 {
		t.Fatalf("train diffusion one-in: exit %d\n%s", code, errs)
	}
	real := filepath.Join(root, "CurveVel_A", "model", "model11.npy")
	code, out, errs = cliRun("sample", "--model", filepath.Join(dir, "diff"), "--n", "3", "--steps", "4", "--out", filepath.Join(dir, "gen"), "--json",
		"--real", real+","+filepath.Join(root, "FlatVel_A", "model", "model11.npy"), "--real-maps", "3", "--gallery", "2")
	if code != 0 {
		t.Fatalf("sample: exit %d\n%s", code, errs)
	}
	if m := wdLastJSON(t, out); m["n"].(float64) != 3 {
		t.Fatalf("sample summary %v", m)
	} else if s := m["interface_sharpness"].(map[string]any); len(s["real"].([]any)) != 2 || s["real_mean"].(float64) <= s["pipeline_mean"].(float64) || s["ratio_to_pipeline"].(float64) <= 0 {
		t.Fatalf("interface sharpness %v: want two references, real maps sharper than after the resized64 round trip", s)
	}
	for _, f := range []string{"velocity.npy", "seismic.npy", "gallery.png"} {
		if _, err := os.Stat(filepath.Join(dir, "gen", f)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs = cliRun("eval", "pde-deviation", "--model", filepath.Join(dir, "diff"), "--real", real, "--samples", "0:2",
		"--n", "2", "--points", "3", "--out", filepath.Join(dir, "pde"), "--json")
	if code != 0 {
		t.Fatalf("eval pde-deviation: exit %d\n%s", code, errs)
	}
	m := wdLastJSON(t, out)
	fl := m["floors"].(map[string]any)["real"].(map[string]any)
	if fl["mean_mse_norm"].(float64) > 1e-9 {
		t.Fatalf("real-pair floor %v is not ≈ 0", fl)
	}
	if len(m["reverse"].([]any)) != 3 || len(m["forward"].([]any)) != 3 {
		t.Fatalf("curve points: %v", m)
	}
	if r := m["reconstruction"].(map[string]any); r["seismic"].(map[string]any)["rel_l2"].(float64) <= 0 || r["velocity"].(map[string]any)["ssim"].(float64) <= 0 {
		t.Fatalf("autoencoder reconstruction scores %v", r)
	}
	for _, ae := range []string{"ae", "one"} { // joint (resized64) and one-in-two-out (native70)
		code, out, errs = cliRun("eval", "autoencoder", "--model", filepath.Join(dir, ae), "--real", real, "--samples", "0:2",
			"--out", filepath.Join(dir, "eval-"+ae), "--json")
		if code != 0 {
			t.Fatalf("eval autoencoder %s: exit %d\n%s", ae, code, errs)
		}
		m := wdLastJSON(t, out)
		rec := m["reconstruction"].(map[string]any)
		floor := m["grid_floor"].(map[string]any)["rel_l2"].(float64)
		if m["n"].(float64) != 2 || rec["seismic"].(map[string]any)["rel_l2"].(float64) <= floor || floor <= 0 {
			t.Fatalf("eval autoencoder %s: %v", ae, m)
		}
	}
	code, out, errs = cliRun("eval", "eps-error", "--model", filepath.Join(dir, "diff"), "--real", real, "--samples", "0:2",
		"--points", "4", "--out", filepath.Join(dir, "eps"), "--json")
	if code != 0 {
		t.Fatalf("eval eps-error: exit %d\n%s", code, errs)
	}
	m = wdLastJSON(t, out)
	if ps := m["points"].([]any); len(ps) != 4 || ps[0].(map[string]any)["gaussian_l1"].(float64) <= 0 {
		t.Fatalf("eps-error points: %v", m)
	}
	wantFiles(t, filepath.Join(dir, "eps"), "eps_error.csv", "eps_error.png", "eps_error.json")
	// Invert 2 simulated test samples, with noise and diffusion refinement.
	seis := filepath.Join(dir, "seis11.npy")
	if code, _, errs := cliRun("simulate", "--model", real, "--samples", "0:2", "--out", seis); code != 0 {
		t.Fatalf("simulate: %s", errs)
	}
	code, out, errs = cliRun("invert", "--method", "wavediffusion", "--model", filepath.Join(dir, "one"), "--data", seis,
		"--true", real, "--samples", "0:2", "--noise", "0.05", "--diffusion", filepath.Join(dir, "diff-one"), "--t-star", "10", "--steps", "5",
		"--out", filepath.Join(dir, "inv"), "--json")
	if code != 0 {
		t.Fatalf("invert: exit %d\n%s", code, errs)
	}
	res := wdLastJSON(t, out)["results"].([]any)[0].(map[string]any)
	if v := res["velocity"].(map[string]any); v["ssim"].(float64) <= 0 || v["mae"].(float64) <= 0 {
		t.Fatalf("invert metrics %v", res)
	}
	code, out, errs = cliRun("denoise", "--model", filepath.Join(dir, "one"), "--diffusion", filepath.Join(dir, "diff-one"), "--data", seis,
		"--samples", "0:2", "--noise", "0.02,0.1", "--t-star", "10", "--steps", "5", "--out", filepath.Join(dir, "den"), "--json")
	if code != 0 {
		t.Fatalf("denoise: exit %d\n%s", code, errs)
	}
	if rs := wdLastJSON(t, out)["results"].([]any); len(rs) != 4 {
		t.Fatalf("denoise results %v, want 2 levels × (autoencoder, diffusion)", rs)
	}
	if _, err := os.Stat(filepath.Join(dir, "den", "denoise.png")); err != nil {
		t.Fatal(err)
	}
	// A diffusion model without its autoencoder is a clear error, not a panic.
	if code, _, errs := cliRun("sample", "--model", filepath.Join(dir, "diff"), "--vqae", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "g2")); code != 1 || !strings.Contains(errs, "nope") {
		t.Fatalf("missing autoencoder: exit %d, %q", code, errs)
	}
}
