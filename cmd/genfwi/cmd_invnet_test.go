package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTrainInvertInvnet builds a tiny generated dataset, trains a tiny
// InversionNet for one epoch, inverts with it (--json last line, outputs
// written) and checks the usage errors of both commands.
func TestTrainInvertInvnet(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a small dataset")
	}
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds")
	runOK(t, "dataset", "build", "--source", "gen", "--datasets", "curvevel-a", "--files", "1", "--per-file", "10", "--out", ds)
	cfg := filepath.Join(dir, "tiny.json")
	if err := os.WriteFile(cfg, []byte(`{"name":"tiny","network":{"dims":[2,2,4,4,8],"sample_temporal":20,"time_strides":[1,1,1,1]},
 "train":{"epochs":1,"batch_size":4,"lr":0.001,"weight_decay":0.0001,"lambda_l1":1,"lambda_l2":0,"input_noise":0,
 "val_fraction":0.2,"val_maps":0,"checkpoint_every":0,"seed":1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	out := runOK(t, "train", "invnet", "--config", cfg, "--data", filepath.Join(ds, "CurveVel_A"), "--out", run, "--json")
	var sum struct {
		Pairs    int `json:"pairs"`
		ValPairs int `json:"val_pairs"`
		LastStep int `json:"last_step"`
	}
	lastJSON(t, out, &sum)
	if sum.Pairs != 8 || sum.ValPairs != 2 || sum.LastStep != 2 {
		t.Errorf("train summary %+v, want 8 training pairs, 2 held out, 2 steps", sum)
	}
	inv := filepath.Join(dir, "inv")
	out = runOK(t, "invert", "--method", "invnet", "--model", run, "--data", filepath.Join(ds, "CurveVel_A", "data", "data1.npy"),
		"--true", filepath.Join(ds, "CurveVel_A", "model", "model1.npy"), "--samples", "0:3", "--out", inv, "--json")
	var res struct {
		N       int `json:"n"`
		Results []struct {
			Velocity   *struct{ MAE, SSIM float64 } `json:"velocity"`
			VelocityMS *struct{ MAE float64 }       `json:"velocity_ms"`
		} `json:"results"`
	}
	lastJSON(t, out, &res)
	if res.N != 3 || len(res.Results) != 1 || res.Results[0].Velocity == nil || res.Results[0].VelocityMS == nil {
		t.Fatalf("invert summary %+v", res)
	}
	wantFiles(t, inv, "velocity.npy", "invert.png", "invert.json")
	checkExits(t, []exitCase{
		{[]string{"train", "invnet", "--config", cfg, "--out", run}, 2, "needs --config, --data and --out"},
		{[]string{"train", "invnet", "--config", "gpu", "--data", ds, "--out", run}, 2, "unknown invnet preset"},
		{[]string{"train", "invnet", "--config", cfg, "--data", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "r2")}, 1, "nope"},
		{[]string{"train", "invnet", "--config", cfg, "--data", ds, "--out", run, "--val", "1.5"}, 2, "fraction"},
		{[]string{"train", "upfwi", "--config", "upfwi-cpu", "--data", ds, "--out", filepath.Join(dir, "r3"), "--workers", "2", "--sims", "3"}, 2, "--sims 3 exceeds the 2 threads"},
		{[]string{"train", "upfwi", "--config", "upfwi-cpu", "--data", ds, "--out", filepath.Join(dir, "r3"), "--sims", "-1"}, 2, "--workers and --sims must be >= 0"},
		{[]string{"invert", "--method", "invnet", "--model", ds, "--data", filepath.Join(ds, "CurveVel_A", "data", "data1.npy"), "--out", inv}, 1, "not an InversionNet run directory"},
		{[]string{"invert", "--method", "invnet", "--model", run, "--data", filepath.Join(ds, "CurveVel_A", "model", "model1.npy"), "--out", inv}, 1, "shape"},
		{[]string{"invert", "--method", "velocitygan", "--model", run, "--data", filepath.Join(ds, "CurveVel_A", "data", "data1.npy"), "--out", filepath.Join(dir, "inv-gan")}, 2, "was trained as invnet"},
	})

	// VelocityGAN from the command line: the same tiny generator trained
	// against a narrow critic, inverted with --method velocitygan.
	gcfg := filepath.Join(dir, "tiny-gan.json")
	if err := os.WriteFile(gcfg, []byte(`{"name":"tiny-gan","network":{"dims":[2,2,4,4,8],"sample_temporal":20,"time_strides":[1,1,1,1]},
 "train":{"method":"velocitygan","gan":{"critic_dims":[2,2,3,3],"n_critic":2,"lambda_gp":10,"lambda_adv":1,"beta1":0,"beta2":0.9},
 "epochs":1,"batch_size":4,"lr":0.001,"weight_decay":0.0001,"lambda_l1":100,"lambda_l2":100,"input_noise":0,
 "val_fraction":0.2,"val_maps":0,"checkpoint_every":0,"seed":1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	grun := filepath.Join(dir, "gan")
	runOK(t, "train", "invnet", "--config", gcfg, "--data", filepath.Join(ds, "CurveVel_A"), "--out", grun, "--json")
	out = runOK(t, "invert", "--method", "velocitygan", "--model", grun, "--data", filepath.Join(ds, "CurveVel_A", "data", "data1.npy"),
		"--true", filepath.Join(ds, "CurveVel_A", "model", "model1.npy"), "--samples", "0:3", "--out", filepath.Join(dir, "inv-gan2"), "--json")
	var gres struct {
		Method string `json:"method"`
	}
	lastJSON(t, out, &gres)
	if gres.Method != "velocitygan" {
		t.Errorf("invert reports method %q, want velocitygan", gres.Method)
	}

	// The study's collection over both inversions laid out as the study
	// script lays them out (model1.npy stands in for the test file).
	study := filepath.Join(dir, "study")
	truthDir := filepath.Join(study, "test", "CurveVel_A", "model")
	if err := os.MkdirAll(truthDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(ds, "CurveVel_A", "model", "model1.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(truthDir, "model11.npy"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for tag, src := range map[string]string{"invnet-full-noise0": inv, "velocitygan-full-noise0": filepath.Join(dir, "inv-gan2")} {
		if err := os.MkdirAll(filepath.Join(study, "CurveVel_A"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(src, filepath.Join(study, "CurveVel_A", "eval-"+tag)); err != nil {
			t.Fatal(err)
		}
	}
	var bs struct {
		Rows []struct {
			Model, Regime string
			Paper         *struct{ SSIM float64 }
		} `json:"rows"`
		Figures []string `json:"figures"`
	}
	lastJSON(t, runOK(t, "eval", "baselines", "--root", study, "--figures", "2", "--json"), &bs)
	if len(bs.Rows) != 2 || bs.Rows[0].Model != "invnet" || bs.Rows[1].Model != "velocitygan" || bs.Rows[0].Paper == nil || len(bs.Figures) != 2 {
		t.Errorf("eval baselines: %+v", bs)
	}
	checkExits(t, []exitCase{
		{[]string{"eval", "baselines"}, 2, "needs --root"},
		{[]string{"eval", "baselines", "--root", ds}, 1, "no finished evaluation"},
		{[]string{"eval", "baselines", "--root", study, "--figures", "-1"}, 2, "--figures"},
	})
}
