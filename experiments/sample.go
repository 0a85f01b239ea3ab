package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"genfwi/internal/progress"
	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/npy"
	"genfwi/openfwi"
	"genfwi/wavediff"
)

// SampleOptions are the options of Sample.
type SampleOptions struct {
	// Diffusion, AE and Codec are the joint model (wavediff.LoadDiffusion);
	// Model names it in the summary.
	Diffusion *diffusion.Model
	AE        *vqae.Model
	Codec     wavediff.Codec
	Model     string
	// N pairs are drawn with Generate.
	N        int
	Generate wavediff.GenerateOptions
	// Gallery pairs are drawn in gallery.png, next to as many real pairs
	// of the velocity file Real (if set).
	Gallery int
	Real    string
	Out     string
	Bar     progress.Start
}

// SampleResult is sample.json.
type SampleResult struct {
	N              int     `json:"n"`
	Sampler        string  `json:"sampler"`
	Steps          int     `json:"steps"`
	Seconds        float64 `json:"seconds"`
	SecondsPerPair float64 `json:"seconds_per_pair"`
	Velocity       string  `json:"velocity"`
	Seismic        string  `json:"seismic"`
	Gallery        string  `json:"gallery"`
	VelocityMin    float32 `json:"velocity_min"`
	VelocityMax    float32 `json:"velocity_max"`
	Model          string  `json:"model"`
}

// Sample draws o.N joint (velocity, seismic) pairs and writes them in the
// OpenFWI layout (velocity.npy [N,1,70,70] m/s, seismic.npy [N,5,1000,70]),
// gallery.png and sample.json to o.Out.
func Sample(ctx context.Context, o SampleOptions) (*SampleResult, error) {
	dm, ae, codec := o.Diffusion, o.AE, o.Codec
	t0 := time.Now()
	total := dm.Sched.T
	if o.Generate.Method == "ddim" {
		total = o.Generate.Steps
	}
	bar := o.Bar.Bar(total, "sampling "+o.Generate.Method)
	defer bar.Finish()
	vel, seis, err := wavediff.Generate(ctx, dm, ae, o.N, o.Generate, func(diffusion.Step) error { bar.Add(1); return nil })
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if vel == nil || seis == nil {
		return nil, fmt.Errorf("the autoencoder of %s decodes only one modality; joint sampling needs both", o.Model)
	}
	secs := time.Since(t0).Seconds()
	fv, fs := make([]float32, o.N*wavediff.FullVel), make([]float32, o.N*wavediff.FullSeis)
	wavediff.ToOpenFWI(codec, vel, seis, fv, fs)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	r := &SampleResult{N: o.N, Sampler: o.Generate.Method, Steps: total, Seconds: secs, SecondsPerPair: secs / float64(o.N),
		Velocity: filepath.Join(o.Out, "velocity.npy"), Seismic: filepath.Join(o.Out, "seismic.npy"),
		Gallery: filepath.Join(o.Out, "gallery.png"), VelocityMin: fv[0], VelocityMax: fv[0], Model: o.Model}
	if err := npy.WriteFileFloat32(r.Velocity, npy.Float32, []int{o.N, 1, openfwi.NZ, openfwi.NX}, fv); err != nil {
		return nil, err
	}
	if err := npy.WriteFileFloat32(r.Seismic, npy.Float32, []int{o.N, openfwi.Shots, openfwi.NT, openfwi.Receivers}, fs); err != nil {
		return nil, err
	}
	if k := min(o.Gallery, o.N); k > 0 {
		var rv, rs []float32
		title := "WaveDiffusion: generated pairs"
		if o.Real != "" {
			v, s, err := RealPairs(ctx, o.Real, 0, k, o.Bar)
			if err != nil {
				return nil, &InputError{"Real", err}
			}
			rv, rs = wavediff.PairsFromFull(codec, v, s).ModelArrays()
			title += " (left) and real pairs (right)"
		}
		if err := wavediff.GalleryFigure(r.Gallery, title, codec, vel[:k*wavediff.VelLen], seis[:k*wavediff.SeisLen], rv, rs); err != nil {
			return nil, err
		}
	}
	for _, x := range fv {
		r.VelocityMin, r.VelocityMax = min(r.VelocityMin, x), max(r.VelocityMax, x)
	}
	return r, wavediff.WriteJSON(filepath.Join(o.Out, "sample.json"), r)
}
