package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/cig"
	"genfwi/npy"
)

// writeTinyCIG writes a CIG data set of n layered 16×16 maps with 3-offset
// "gathers" (the vertical contrast and shifted copies) in cig's layout,
// with a small survey so that posterior --vel can simulate on the same
// grid.
func writeTinyCIG(t *testing.T, dir string, n int, seed uint64) {
	t.Helper()
	const nz, nx, nh = 16, 16, 3
	rng := rand.New(rand.NewPCG(seed, 1))
	vel := make([]float32, n*nz*nx)
	g := make([]float32, n*nh*nz*nx)
	for k := 0; k < n; k++ {
		d := 4 + rng.IntN(8)
		v0, v1 := 1500+1000*rng.Float32(), 2500+1500*rng.Float32()
		v := vel[k*nz*nx : (k+1)*nz*nx]
		for z := 0; z < nz; z++ {
			for x := 0; x < nx; x++ {
				v[z*nx+x] = v0
				if z >= d+x/8 {
					v[z*nx+x] = v1
				}
			}
		}
		gk := g[k*nh*nz*nx : (k+1)*nh*nz*nx]
		for h := 0; h < nh; h++ {
			for z := 1; z < nz; z++ {
				for x := 0; x < nx; x++ {
					gk[h*nz*nx+z*nx+x] = (v[z*nx+x] - v[(z-1)*nx+x]) / float32(1000*(1+abs(h-1)))
				}
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeNPY(t, filepath.Join(dir, "vel.npy"), []int{n, 1, nz, nx}, vel)
	writeNPY(t, filepath.Join(dir, "cig.npy"), []int{n, nh, nz, nx}, g)
	sc := cig.DefaultSurveyConfig()
	sc.Nz, sc.Nx, sc.Shots, sc.Receivers, sc.T, sc.Dt, sc.NB, sc.Offsets = nz, nx, 2, nx, 0.25, 0.001, 10, []int{-1, 0, 1}
	m := cig.Manifest{Meta: cig.Meta{Format: cig.Format, Nz: nz, Nx: nx, H: 10, Offsets: sc.Offsets, Shots: 2, Receivers: nx,
		T: sc.T, SNRdB: sc.SNRdB, MaxY: 1, Count: n, Planned: n, Complete: true, Source: "test", Dataset: "tiny", Split: "train", Survey: sc},
		FilesPlanned: 1, Entries: []cig.Entry{{ID: 0, Vel: "vel.npy", CIG: "cig.npy", Samples: n}}}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

const tinyWiseConfig = `{
  "name": "tiny",
  "network": {
    "flow": {"in_channels": 1, "cond_channels": 1, "hidden": 8, "levels": 2, "steps": 2, "rb_final_relu": true},
    "summary": {"in_channels": 3, "out_channels": 1, "base": 4, "depth": 2, "dropout": 0.5}
  },
  "train": {"epochs": 2, "batch_size": 4, "lr": 0.0008, "clip_norm": 3, "flip_prob": 0.5,
    "noise": {"init": 0.1, "min": 0.001, "factor": 1.2, "start_frac": 0.15, "span_frac": 0.75},
    "velocity_scale": 1000, "val_fraction": 0.2, "val_maps": 2, "val_samples": 4, "checkpoint_every": 3, "seed": 1},
  "posterior": {"samples": 8, "batch": 4}
}`

func TestWiseCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "cig")
	writeTinyCIG(t, data, 20, 1)
	cfg := filepath.Join(dir, "tiny.json")
	os.WriteFile(cfg, []byte(tinyWiseConfig), 0o644)
	run := filepath.Join(dir, "run")

	code, out, errs := cliRun("train", "wise", "--config", cfg, "--data", data, "--out", run, "--json")
	if code != 0 {
		t.Fatalf("train wise: exit %d\n%s\n%s", code, out, errs)
	}
	var sum map[string]any
	lastJSON(t, out, &sum)
	if sum["pairs"].(float64) != 16 || sum["val_pairs"].(float64) != 4 {
		t.Fatalf("train wise JSON: %s", out)
	}
	wantFiles(t, run, "model.safetensors", "val.csv", "val.png", "loss.csv")
	// Rerunning a finished run resumes at its end and changes nothing.
	if code, out, errs := cliRun("train", "wise", "--config", cfg, "--data", data, "--out", run); code != 0 {
		t.Fatalf("rerun: exit %d\n%s\n%s", code, out, errs)
	}

	post := filepath.Join(dir, "post")
	code, out, errs = cliRun("posterior", "--method", "wise", "--model", run, "--cig", data, "--index", "3", "--n", "6", "--out", post, "--json")
	if code != 0 {
		t.Fatalf("posterior --cig: exit %d\n%s\n%s", code, out, errs)
	}
	var rep map[string]any
	lastJSON(t, out, &rep)
	if rep["samples"].(float64) != 6 || rep["scores"] == nil {
		t.Fatalf("posterior JSON: %s", out)
	}
	_, shape, err := npy.ReadFileFloat32(filepath.Join(post, "samples.npy"))
	if err != nil || shape[0] != 6 || shape[2] != 16 {
		t.Fatalf("samples.npy %v %v", shape, err)
	}
	// --data with a directory is --cig.
	if code, out, errs := cliRun("posterior", "--model", run, "--data", data, "--index", "1", "--out", filepath.Join(dir, "post1")); code != 0 {
		t.Fatalf("posterior --data DIR: exit %d\n%s\n%s", code, out, errs)
	}

	// A velocity map: simulated with the model's survey, migrated, sampled.
	if !testing.Short() {
		vf := filepath.Join(dir, "vel32.npy")
		v := make([]float32, 2*32*32)
		for i := range v {
			v[i] = 2000 + float32(i%(32*32)/32)*40
		}
		writeNPY(t, vf, []int{2, 1, 32, 32}, v)
		code, out, errs = cliRun("posterior", "--model", run, "--vel", vf, "--index", "1", "--n", "4", "--out", filepath.Join(dir, "postv"), "--json")
		if code != 0 {
			t.Fatalf("posterior --vel: exit %d\n%s\n%s", code, out, errs)
		}
	}

	// WISER from the same model: the pair's velocity is re-observed (0 dB,
	// perturbed out of distribution), the WISE posterior refined.
	wdir := filepath.Join(dir, "wiser")
	code, out, errs = cliRun("posterior", "--method", "wiser", "--model", run, "--cig", data, "--index", "3", "--outer", "3", "--inner", "2",
		"--particles", "2", "--n", "5", "--perturb", "0.2", "--snr", "0", "--image", "--fwi-baseline", "--out", wdir, "--json")
	if code != 0 {
		t.Fatalf("posterior --method wiser: exit %d\n%s\n%s", code, out, errs)
	}
	var ws map[string]any
	lastJSON(t, out, &ws)
	if ws["pde_solves"].(float64) != 2*2*3 || ws["wise"] == nil || ws["wiser"] == nil {
		t.Fatalf("wiser JSON: %s", out)
	}
	if w := ws["w1_wiser_ms"].([]any); len(w) != 2 {
		t.Errorf("wiser JSON W1: %v", w)
	}
	for _, k := range []string{"coverage_wise", "coverage_wiser"} {
		c, ok := ws[k].(map[string]any)
		if !ok || len(c) != 4 {
			t.Errorf("wiser JSON %s: %v", k, ws[k])
			continue
		}
		if lo, hi := c["50"].(float64), c["95"].(float64); !(lo >= 0 && lo <= hi && hi <= 1) {
			t.Errorf("wiser JSON %s: coverage 50 %% = %g, 95 %% = %g", k, lo, hi)
		}
	}
	// Imaging: the two CMs and the five samples, one forward and one adjoint
	// for each of the 2 shots; the baseline spends at least WISER's 12 solves.
	if im, ok := ws["image"].(map[string]any); !ok || im["pde_solves"].(float64) != 7*2*2 {
		t.Errorf("wiser JSON image: %v", ws["image"])
	}
	if bl, ok := ws["fwi_baseline"].(map[string]any); !ok || bl["pde_solves"].(float64) < 12 || bl["ssim"] == nil {
		t.Errorf("wiser JSON fwi_baseline: %v", ws["fwi_baseline"])
	}
	wantFiles(t, wdir, "samples.npy", "cm.npy", "particles.npy", "history.csv", "wiser.json", "curves_misfit.png", "curves_inner.png",
		"curves_ssim.png", "posterior_maps.png", "wise_initial/cm.npy", "wise_initial/posterior_maps.png",
		"image.npy", "image.png", "fwi_baseline.npy", "fwi_baseline.png")
	// --n 5: both posteriors from 5 fresh draws; the 2 particles apart.
	for f, n := range map[string]int{"samples.npy": 5, "wise_initial/samples.npy": 5, "particles.npy": 2} {
		if _, shape, err := npy.ReadFileFloat32(filepath.Join(wdir, f)); err != nil || shape[0] != n {
			t.Errorf("%s: shape %v (%v), want %d maps", f, shape, err, n)
		}
	}
	if b, err := os.ReadFile(filepath.Join(wdir, "history.csv")); err != nil || strings.Count(string(b), "\n") != 4 {
		t.Errorf("history.csv: %v\n%s", err, b)
	}
	if code, out, errs := cliRun("posterior", "--method", "wiser", "--fwi-only", "--model", run, "--cig", data, "--index", "3", "--outer", "2",
		"--particles", "2", "--out", filepath.Join(dir, "fwionly")); code != 0 || !strings.Contains(out, "8 PDE solves") {
		t.Errorf("posterior --method wiser --fwi-only: exit %d\n%s\n%s", code, out, errs)
	}

	// eval wiser: two maps, WISER and the FWI-only control, resumable.
	if !testing.Short() {
		vf := filepath.Join(dir, "vel16.npy")
		v := make([]float32, 2*16*16)
		for i := range v {
			v[i] = 2200 + float32(i%(16*16)/16)*60 + float32(i/(16*16))*100
		}
		writeNPY(t, vf, []int{2, 1, 16, 16}, v)
		wcfg := filepath.Join(dir, "wiser-tiny.json")
		os.WriteFile(wcfg, []byte(`{"particles": 2, "outer": 2, "inner": 2, "lr": 0.004, "clip_norm": 3, "misfit_weight": 1e13,
			"lambda": 0, "tau": 5e-5, "crop_gradient": true, "vmin": 1500, "vmax": 4500, "shots_per_particle": 1,
			"bands": [], "filter_order": 4, "misfit_every": 1, "seed": 7}`), 0o644)
		study := filepath.Join(dir, "study")
		args := []string{"eval", "wiser", "--model", run, "--vel", vf, "--maps", "0:1", "--config", wcfg, "--snr", "0", "--fwi-only", "--out", study, "--json"}
		code, out, errs := cliRun(args...)
		if code != 0 {
			t.Fatalf("eval wiser: exit %d\n%s\n%s", code, out, errs)
		}
		var st struct {
			Maps []struct {
				Index int `json:"index"`
				WISE  struct {
					OpenFWI struct{ SSIM float64 } `json:"openfwi"`
				} `json:"wise"`
				WISER struct {
					OpenFWI struct{ SSIM float64 } `json:"openfwi"`
				} `json:"wiser"`
				FWIOnly map[string]any `json:"fwi_only"`
			} `json:"maps"`
			SSIMUp int `json:"ssim_up"`
			Both   int `json:"ssim_up_and_misfit_down"`
			Run    int `json:"maps_run"`
			Read   int `json:"maps_read"`
			Budget []struct {
				Solves  int64    `json:"pde_solves"`
				Gain    float64  `json:"ssim_gain"`
				GainFWI *float64 `json:"ssim_gain_fwi_only"`
			} `json:"budget"`
		}
		lastJSON(t, out, &st)
		if len(st.Maps) != 2 || st.Run != 4 || st.Read != 0 {
			t.Fatalf("eval wiser JSON: %s", out)
		}
		// The curve's last point is the mean of the maps' final gains.
		var gain float64
		up := 0
		for _, m := range st.Maps {
			gain += (m.WISER.OpenFWI.SSIM - m.WISE.OpenFWI.SSIM) / 2
			if m.WISER.OpenFWI.SSIM > m.WISE.OpenFWI.SSIM {
				up++
			}
			if m.FWIOnly == nil {
				t.Errorf("map %d: no FWI-only scores", m.Index)
			}
		}
		if len(st.Budget) != 2 || st.Budget[0].Solves != 4 || st.Budget[1].Solves != 8 || math.Abs(st.Budget[1].Gain-gain) > 1e-9 ||
			st.Budget[1].GainFWI == nil || st.SSIMUp != up || st.Both > up {
			t.Errorf("eval wiser: budget %+v, gain %g, ssim up %d (want %d)", st.Budget, gain, st.SSIMUp, up)
		}
		wantFiles(t, study, "study.csv", "study.md", "budget.csv", "budget_ssim.png", "budget_rmse.png", "study.json", "map-0/wiser.json", "map-1-fwionly/truth.npy")
		if b, err := os.ReadFile(filepath.Join(study, "study.csv")); err != nil || strings.Count(string(b), "\n") != 3 {
			t.Errorf("study.csv: %v\n%s", err, b)
		}
		// A second call reads the finished maps and gives the same table.
		before, _ := os.ReadFile(filepath.Join(study, "study.csv"))
		if code, out, errs = cliRun(args...); code != 0 {
			t.Fatalf("eval wiser resume: exit %d\n%s\n%s", code, out, errs)
		}
		lastJSON(t, out, &st)
		if st.Run != 0 || st.Read != 4 {
			t.Fatalf("eval wiser resume: %s", out)
		}
		if after, _ := os.ReadFile(filepath.Join(study, "study.csv")); !bytes.Equal(before, after) {
			t.Errorf("eval wiser resume changed study.csv:\n%s\n%s", before, after)
		}
		if code, out, errs := cliRun("eval", "wiser", "--model", run, "--vel", vf, "--maps", "1:0", "--out", study); code != 2 || !strings.Contains(errs, "--maps") {
			t.Errorf("eval wiser --maps 1:0: exit %d\n%s\n%s", code, out, errs)
		}
		if code, out, errs := cliRun("eval", "wiser", "--model", run, "--vel", vf, "--maps", "2", "--out", study); code != 2 || !strings.Contains(errs, "no map 2") {
			t.Errorf("eval wiser --maps 2: exit %d\n%s\n%s", code, out, errs)
		}
	}

	calib := filepath.Join(dir, "calib")
	code, out, errs = cliRun("eval", "calibration", "--model", run, "--data", data, "--n", "4", "--samples", "8", "--summary-train-mode", "--out", calib, "--json")
	if code != 0 {
		t.Fatalf("eval calibration: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, `"coverage_90"`) {
		t.Fatalf("calibration JSON: %s", out)
	}
	wantFiles(t, calib, "calibration.csv", "calibration.png")

	// Bad inputs: clear errors, right exit codes, nothing overwritten.
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, []byte("x"), 0o644)
	checkExits(t, []exitCase{
		{[]string{"train", "wise", "--data", data, "--out", run}, 2, "--config"},
		{[]string{"train", "wise", "--config", "nosuch", "--data", data, "--out", run}, 2, "--config"},
		{[]string{"train", "wise", "--config", cfg, "--data", dir, "--out", filepath.Join(dir, "r2")}, 1, "manifest.json"},
		{[]string{"train", "wise", "--config", cfg, "--data", data, "--out", file}, 1, "not a directory"},
		{[]string{"train", "wise", "--config", cfg, "--data", data, "--val", "1.5", "--out", filepath.Join(dir, "r3")}, 2, "fraction"},
		{[]string{"posterior", "--model", run, "--out", post}, 2, "exactly one"},
		{[]string{"posterior", "--model", run, "--cig", data, "--vel", file, "--out", post}, 2, "exactly one"},
		{[]string{"posterior", "--method", "wisest", "--model", run, "--cig", data, "--out", post}, 2, "want wise or wiser"},
		{[]string{"posterior", "--method", "wiser", "--config", "nosuch", "--model", run, "--cig", data, "--out", post}, 2, "--config"},
		{[]string{"posterior", "--method", "wiser", "--snr", "NaN", "--model", run, "--cig", data, "--out", post}, 2, "finite"},
		{[]string{"posterior", "--model", filepath.Join(dir, "nosuch"), "--cig", data, "--out", post}, 1, "nosuch"},
		{[]string{"posterior", "--model", run, "--cig", data, "--index", "20", "--out", post}, 2, "holds 20 pairs"},
		{[]string{"posterior", "--model", run, "--cig", data, "--out", file}, 1, "not a directory"},
		{[]string{"posterior", "--model", run, "--vel", file, "--out", filepath.Join(dir, "p4")}, 1, "npy"},
		{[]string{"eval", "calibration", "--model", data, "--data", data, "--out", calib}, 1, "--model"},
		{[]string{"eval", "calibration", "--model", run, "--data", data, "--samples", "1", "--out", calib}, 2, "--samples"},
	})
	// --out refusing to overwrite an input.
	code, _, errs = cliRun("posterior", "--model", run, "--truth", filepath.Join(post, "cm.npy"), "--cig", data, "--out", post)
	if code != 1 || !strings.Contains(errs, "same file") {
		t.Errorf("--out over --truth: exit %d %s", code, errs)
	}
}
