package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"genfwi/wavediff"
)

// ReportOptions are the options of WriteReport.
type ReportOptions struct {
	// Dir holds the demo's JSON results; REPORT.md is written there.
	Dir string
	// Weights is the directory of the models used (their train.json
	// summaries are quoted).
	Weights string
	// Short marks a demo that trained every stage briefly (no committed
	// weights); ShortStages names stages trained briefly although the
	// others were loaded.
	Short       bool
	ShortStages string
	// Seconds is the wall time of the demo.
	Seconds float64
}

// WriteReport writes Dir/REPORT.md from the JSON results scripts/demo.sh
// leaves in Dir; a missing result leaves its section out.
func WriteReport(o ReportOptions) error {
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(o.Dir, name))
		if err != nil {
			return nil
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		return m
	}
	num := func(m map[string]any, path ...string) float64 {
		var cur any = m
		for _, p := range path {
			mm, ok := cur.(map[string]any)
			if !ok {
				return 0
			}
			cur = mm[p]
		}
		f, _ := cur.(float64)
		return f
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# WaveDiffusion demo report\n\nGenerated %s by `make demo` (scripts/demo.sh) in %.0f s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), o.Seconds)
	if o.Short {
		w("> **These results come from a SHORT run**: no committed weights were found, so the demo trained every stage for a few hundred steps on the small training set below. They show that the pipeline works end to end, not what the models can do.\n\n")
	} else {
		w("Models: the committed CPU-preset weights in `%s`, reproduced by `scripts/pretrain.sh`. Their training:\n\n| stage | steps | pairs | batch | epochs | time (s) | final loss |\n|---|---|---|---|---|---|---|\n", o.Weights)
		for _, st := range []string{"vqae", "diffusion", "vqae-one-in", "diffusion-one-in", "fd-proxy"} {
			bb, err := os.ReadFile(filepath.Join(o.Weights, st, "train.json"))
			if err != nil {
				continue
			}
			var s wavediff.TrainSummary
			if json.Unmarshal(bb, &s) != nil {
				continue
			}
			w("| %s | %d | %d | %d | %.1f | %.0f | %.4g |\n", st, s.Steps, s.Pairs, s.Batch, s.Epochs, s.Seconds, s.FinalLoss)
		}
		if o.ShortStages != "" {
			w("\n> **%s was trained briefly by this demo** (its weights are not committed: they would exceed the 25 MB budget; `scripts/pretrain.sh` trains it longer). Results that use it (denoising, diffusion-refined inversion) are from a SHORT run.\n", o.ShortStages)
		}
		w("\n(Times are of the last training session only when a stage was resumed.) These are far shorter runs than the paper's (1000 epochs on 24 000 pairs, 1000–2000 GPU hours): read every number below as a CPU-scale result.\n\n")
	}
	if p := read("runs-pairs.json"); p != nil {
		w("## Training set\n\n%.0f pairs from the TRAINING maps of FlatVel-A and CurveVel-A (files 1–10; 11–12 are test), seismic simulated with the OpenFWI-exact preset, stored at the autoencoder's model grid (%v: velocity %v, seismic %v per pair, float16) in %.1f s.\n\n",
			num(p, "pairs"), p["geometry"], shapeOf(p, "velocity_shape"), shapeOf(p, "seismic_shape"), num(p, "seconds"))
	}
	if s := read("samples.json"); s != nil {
		w("## Joint generation\n\n%.0f pairs sampled with %v (%.0f steps) in %.1f s; velocities %.0f–%.0f m/s. Written in the OpenFWI layout (`samples/velocity.npy` [N,1,70,70] m/s, `samples/seismic.npy` [N,5,1000,70]).\n\n![gallery](samples/gallery.png)\n\n",
			num(s, "n"), s["sampler"], num(s, "steps"), num(s, "seconds"), num(s, "velocity_min"), num(s, "velocity_max"))
		if sh, ok := s["interface_sharpness"].(map[string]any); ok {
			w("Interface sharpness (mean of each map's largest 2 %% vertical jumps |v(z+1) − v(z)|): generated **%.0f m/s**; real test maps %.0f m/s raw, %.0f m/s after the round trip through the model's grid (generated / grid = %.2f).\n\n",
				num(sh, "generated"), num(sh, "real_mean"), num(sh, "pipeline_mean"), num(sh, "ratio_to_pipeline"))
		}
	}
	if p := read("pde.json"); p != nil {
		w("## PDE deviation (paper Fig. 6 / Table 2)\n\nDeviation = MSE between the decoded seismic and the OpenFWI-exact re-simulation of the decoded velocity, in the normalised seismic space (and relative L2 in physical units). Level t: 0 = clean latent, T = pure noise.\n\n")
		w("| process | t | noise %% | mean MSE_norm | median MSE_norm | mean rel. L2 |\n|---|---|---|---|---|---|\n")
		for _, proc := range []string{"forward", "reverse"} {
			pts, _ := p[proc].([]any)
			for _, x := range pts {
				pt, _ := x.(map[string]any)
				w("| %s | %.0f | %.1f | %.4g | %.4g | %.4g |\n", proc, num(pt, "level"), num(pt, "noise_pct"), num(pt, "deviation", "mean_mse_norm"), num(pt, "deviation", "median_mse_norm"), num(pt, "deviation", "mean_rel_l2"))
			}
		}
		w("\nFloors: real pairs %.3g (0 by construction), real pairs at model resolution (resize only) %.4g, autoencoder reconstruction %.4g (MSE_norm).\n\n",
			num(p, "floors", "real", "mean_mse_norm"), num(p, "floors", "resize", "mean_mse_norm"), num(p, "floors", "autoencoder", "mean_mse_norm"))
		w("Autoencoder reconstruction of the real test pairs against the pairs themselves: seismic relative L2 **%.3f** (MSE_norm %.4g), velocity MAE %.4f / SSIM %.4f.\n\n",
			num(p, "reconstruction", "seismic", "rel_l2"), num(p, "reconstruction", "seismic", "mse_norm"), num(p, "reconstruction", "velocity", "mae"), num(p, "reconstruction", "velocity", "ssim"))
		ratio := num(p, "reverse_T_over_0")
		verdict := "meets"
		if ratio < 5 {
			verdict = "does NOT meet"
		}
		w("Along reverse sampling the mean deviation falls by ×%.1f from t = T to t = 0 (%s the ≥ 5× target); %.0f%% of consecutive recorded steps are non-increasing. Along forward noising it rises by ×%.1f (%.0f%% of steps non-decreasing).\n\n",
			ratio, verdict, 100*num(p, "reverse_monotone_frac"), num(p, "forward_T_over_0"), 100*num(p, "forward_monotone_frac"))
		w("![PDE deviation](pde/pde_deviation.png)\n\n![relative L2](pde/pde_deviation_rel_l2.png)\n\n![final samples](pde/final_samples.png)\n\nOne pair along each process (paper Fig. 7): velocity v̂, decoded seismic ŝ, re-simulated F(v̂) and ŝ − F(v̂), middle shot:\n\n![forward process](pde/process_forward.png)\n\n![reverse process](pde/process_reverse.png)\n\n")
	}
	inv := []struct{ file, label string }{{"invert-0.json", "clean"}, {"invert-0.05.json", "σ = 0.05"}, {"invert-0.05-diffusion.json", "σ = 0.05, diffusion-refined (t* = 200)"}}
	hasInv := false
	for _, x := range inv {
		if read(x.file) != nil {
			hasInv = true
		}
	}
	if hasInv {
		w("## One-in-two-out inversion (paper §4.6, Tables 5 and 8)\n\nCurveVel-A test maps (model11.npy), seismic simulated with the OpenFWI-exact preset. MAE/RMSE on the OpenFWI normalised scale, SSIM on [0, 1].\n\n| input | n | MAE | RMSE | SSIM | MAE (m/s) | seismic MSE_norm vs clean |\n|---|---|---|---|---|---|---|\n")
		for _, x := range inv {
			m := read(x.file)
			if m == nil {
				continue
			}
			rs, _ := m["results"].([]any)
			for _, r := range rs {
				rr, _ := r.(map[string]any)
				w("| %s | %.0f | %.4f | %.4f | %.4f | %.1f | %.4g |\n", x.label, num(m, "n"), num(rr, "velocity", "mae"), num(rr, "velocity", "rmse"), num(rr, "velocity", "ssim"), num(rr, "velocity_ms", "mae"), num(rr, "seismic_vs_clean", "mse_norm"))
			}
		}
		w("\n![clean inversion](invert-0/invert.png)\n\n![noisy inversion](invert-0.05/invert.png)\n\n")
	}
	if m := read("denoise.json"); m != nil {
		w("## Denoising through the diffusion (paper A.5 / A.8)\n\nNoise added to the normalised seismic; the latent of the noisy input is diffused to t* = %.0f and denoised back (SDEdit). \"autoencoder\" = the same without diffusion.\n\n| noise σ | variant | input MSE_norm | output seismic MSE_norm | velocity MAE | velocity SSIM |\n|---|---|---|---|---|---|\n", num(m, "t_star"))
		rs, _ := m["results"].([]any)
		for _, r := range rs {
			rr, _ := r.(map[string]any)
			v := "autoencoder"
			if rr["diffusion_refined"] == true {
				v = "diffusion"
			}
			w("| %.3g | %s | %.4g | %.4g | %.4f | %.4f |\n", num(rr, "noise"), v, num(rr, "input_mse_norm"), num(rr, "seismic_vs_clean", "mse_norm"), num(rr, "velocity", "mae"), num(rr, "velocity", "ssim"))
		}
		w("\nSample 0, middle shot, on one amplitude scale: clean, noisy, autoencoder only, diffusion (paper Fig. 16):\n\n![denoising](denoise/denoise.png)\n\n")
	}
	if md, err := os.ReadFile(filepath.Join(o.Dir, "fd", "fd_proxy.md")); err == nil {
		w("## FD-proxy (paper Tables 1 and 4)\n\nFréchet distance on the 64 bottleneck features of genfwi's own FD-proxy autoencoders (trained on the training pairs) — **not** the Inception-v3 FID of the paper, so the numbers are not comparable with it. The real-vs-real line is the metric's floor at this sample size.\n\n%s\n", md)
	}
	if ws := read("wiser/wiser.json"); ws != nil {
		w("## WISE and WISER (Yin et al. 2024, 2025)\n\nThe committed cpu-preset WISE network (`weights/wise-cpu`, trained on 1 000 CurveVel-A training maps by `scripts/pretrain-wise.sh`) gives an amortized posterior of one CurveVel-A test map from its common-image gather; WISER refines it with %.0f outer iterations of per-particle FWI steps and the latent correction network. The test map is perturbed out of distribution (WISER's Fig. 1: x + A sin(2π(x − vmin)/(vmax − vmin)), A = %.2g km/s) and observed at %.1f dB.\n\n",
			num(ws, "outer_iterations"), num(ws, "perturb_kms"), math.Round(10*num(ws, "snr_db"))/10+0)
		w("| posterior | CM SSIM | CM RMSE | CM MAE | CM RMSE (m/s) | W1 at the two depths (m/s) |\n|---|---|---|---|---|---|\n")
		w1 := func(key string) string {
			a, _ := ws[key].([]any)
			var parts []string
			for _, x := range a {
				f, _ := x.(float64)
				parts = append(parts, fmt.Sprintf("%.0f", f))
			}
			return strings.Join(parts, ", ")
		}
		w("| WISE | %.4f | %.4f | %.4f | %.1f | %s |\n", num(ws, "wise", "openfwi", "ssim"), num(ws, "wise", "openfwi", "rmse"), num(ws, "wise", "openfwi", "mae"), num(ws, "wise", "ms", "rmse"), w1("w1_wise_ms"))
		w("| WISER | %.4f | %.4f | %.4f | %.1f | %s |\n\n", num(ws, "wiser", "openfwi", "ssim"), num(ws, "wiser", "openfwi", "rmse"), num(ws, "wiser", "openfwi", "mae"), num(ws, "wiser", "ms", "rmse"), w1("w1_wiser_ms"))
		w("%.0f PDE solves (%.1f data passes) in %.0f s.\n\n![WISE](wiser/wise_initial/posterior_maps.png)\n\n![WISER](wiser/posterior_maps.png)\n\n![histograms](wiser/posterior_histograms.png)\n\n![curves](wiser/curves_ssim.png)\n\n",
			num(ws, "pde_solves"), num(ws, "data_passes"), num(ws, "seconds"))
	}
	return wavediff.WriteFileAtomic(filepath.Join(o.Dir, "REPORT.md"), []byte(b.String()))
}

// shapeOf formats the per-sample part of a JSON shape [n, c, h, w] as
// "c×h×w" ("?" when absent).
func shapeOf(m map[string]any, key string) string {
	xs, _ := m[key].([]any)
	if len(xs) < 2 {
		return "?"
	}
	var parts []string
	for _, x := range xs[1:] {
		f, _ := x.(float64)
		parts = append(parts, strconv.Itoa(int(f)))
	}
	return strings.Join(parts, "×")
}
