package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"genfwi/internal/progress"
	"genfwi/metrics"
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
	// of the first velocity file of Real (if any).
	Gallery int
	// Real are velocity files of real maps: the gallery's and the
	// interface-sharpness reference (RealMaps maps of each, from the first).
	Real     []string
	RealMaps int
	Out      string
	Bar      progress.Start
}

// SharpnessFrac is the fraction of a map's vertical jumps that
// metrics.InterfaceSharpness averages in genfwi's reports (2 %).
const SharpnessFrac = 0.02

// Sharpness compares the interface sharpness (metrics.InterfaceSharpness,
// top 2 % of vertical jumps, m/s) of generated maps with real ones, raw
// and seen through the model's own grid (its codec's round trip: what the
// autoencoder could reproduce at best).
type Sharpness struct {
	Generated float64        `json:"generated"`
	Real      []SharpnessRef `json:"real"`
	// RealMean and PipelineMean average the files' values; Ratio is
	// Generated / PipelineMean.
	RealMean     float64 `json:"real_mean"`
	PipelineMean float64 `json:"pipeline_mean"`
	Ratio        float64 `json:"ratio_to_pipeline"`
}

// SharpnessRef is one real velocity file's interface sharpness.
type SharpnessRef struct {
	File     string  `json:"file"`
	Maps     int     `json:"maps"`
	Real     float64 `json:"real"`
	Pipeline float64 `json:"through_pipeline"`
}

// MeasureSharpness returns the Sharpness of generated maps gen (n×4900 m/s)
// against the first maps maps of each file of real, through codec.
func MeasureSharpness(gen []float32, real []string, maps int, codec wavediff.Codec) (*Sharpness, error) {
	s := &Sharpness{Generated: metrics.MeanInterfaceSharpness(gen, openfwi.NZ, openfwi.NX, SharpnessFrac)}
	model := make([]float32, codec.VelLen())
	for _, path := range real {
		v, err := realMaps(path, 0, maps, "the interface-sharpness reference")
		if err != nil {
			return nil, err
		}
		rt := make([]float32, len(v))
		for i := 0; i < len(v)/wavediff.FullVel; i++ {
			codec.VelocityToModel(model, v[i*wavediff.FullVel:(i+1)*wavediff.FullVel])
			codec.VelocityFromModel(rt[i*wavediff.FullVel:(i+1)*wavediff.FullVel], model)
		}
		r := SharpnessRef{File: path, Maps: len(v) / wavediff.FullVel,
			Real:     metrics.MeanInterfaceSharpness(v, openfwi.NZ, openfwi.NX, SharpnessFrac),
			Pipeline: metrics.MeanInterfaceSharpness(rt, openfwi.NZ, openfwi.NX, SharpnessFrac)}
		s.Real = append(s.Real, r)
		s.RealMean += r.Real / float64(len(real))
		s.PipelineMean += r.Pipeline / float64(len(real))
	}
	if s.PipelineMean > 0 {
		s.Ratio = s.Generated / s.PipelineMean
	}
	return s, nil
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
	// Sharpness compares the generated maps' interfaces with the real
	// maps' (when Real is given).
	Sharpness *Sharpness `json:"interface_sharpness,omitempty"`
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
		if len(o.Real) > 0 {
			v, s, err := RealPairs(ctx, o.Real[0], 0, k, o.Bar)
			if err != nil {
				return nil, &InputError{"Real", err}
			}
			rv, rs = wavediff.PairsFromFull(codec, v, s).ModelArrays()
			title += " (left) and real pairs (right)"
		}
		if err := wavediff.GalleryFigure(r.Gallery, title, codec, vel[:k*codec.VelLen()], seis[:k*codec.SeisLen()], rv, rs); err != nil {
			return nil, err
		}
	}
	for _, x := range fv {
		r.VelocityMin, r.VelocityMax = min(r.VelocityMin, x), max(r.VelocityMax, x)
	}
	if len(o.Real) > 0 {
		if r.Sharpness, err = MeasureSharpness(fv, o.Real, max(o.RealMaps, 1), codec); err != nil {
			return nil, &InputError{"Real", err}
		}
	}
	return r, wavediff.WriteJSON(filepath.Join(o.Out, "sample.json"), r)
}
