package experiments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"genfwi/wavediff"
)

// FDOptions are the options of FDProxy.
type FDOptions struct {
	Sampling
	// Proxy is the FD-proxy network (run directory or .safetensors).
	Proxy string
	// SepVelocity and SepSeismic are diffusion models on single-modality
	// autoencoders (separate generation); both or neither.
	SepVelocity, SepSeismic string
	// Out is the output directory.
	Out string
	// Log, if set, reports the generation steps.
	Log func(msg string)
}

// FDRow is one setup's FD-proxy distances and PDE deviation.
type FDRow struct {
	Setup      string                  `json:"setup"`
	FDVelocity float64                 `json:"fd_proxy_velocity"`
	FDSeismic  float64                 `json:"fd_proxy_seismic"`
	PDE        wavediff.DeviationStats `json:"pde_deviation"`
	Seconds    float64                 `json:"seconds_generate"`
}

// FDResult is the headline of FDProxy, also written to Out/fd_proxy.json;
// Table is the Markdown of Out/fd_proxy.md.
type FDResult struct {
	Rows       []FDRow `json:"rows"`
	FloorVel   float64 `json:"floor_fd_proxy_velocity"`
	FloorSeis  float64 `json:"floor_fd_proxy_seismic"`
	NGenerated int     `json:"n_generated"`
	NReal      int     `json:"n_real"`
	Proxy      string  `json:"proxy"`
	Sampler    string  `json:"sampler"`
	Seconds    float64 `json:"seconds"`
	Metric     string  `json:"metric"`
	Table      string  `json:"-"`
}

// LoadProxy loads the FD-proxy network named by arg and returns it with its
// file.
func LoadProxy(arg string) (*wavediff.ProxyNet, string, error) {
	path, err := wavediff.ModelPath(arg)
	if err != nil {
		return nil, "", &InputError{"Proxy", err}
	}
	p, err := wavediff.LoadProxyNet(path)
	if err != nil {
		return nil, "", err
	}
	return p, path, nil
}

// FDProxy computes the Fréchet distance between Gaussian fits of the
// features of genfwi's own FD-proxy network (not Inception FID) for
// generated vs real velocity maps and seismic data, for the joint model and
// (if given) separately trained single-modality models, with the PDE
// deviation of both kinds of pairs, and the real-half-vs-real-half floor.
// It writes fd_proxy.json and fd_proxy.md to o.Out.
func FDProxy(ctx context.Context, s *Setup, proxy *wavediff.ProxyNet, proxyPath string, o FDOptions) (*FDResult, error) {
	logf := func(format string, a ...any) {
		if o.Log != nil {
			o.Log(fmt.Sprintf(format, a...))
		}
	}
	// The proxy network reads the resized64 grid, whatever geometry the
	// models generate on.
	pc := wavediff.Codec{Norm: s.Codec.Norm, Geom: wavediff.Resized64()}
	rv, rs := s.Real.ModelArrays()
	rv, rs = wavediff.Regrid(s.Codec, pc, rv, rs)
	score := func(setup string, v, sm []float32, secs float64) (FDRow, error) {
		r := FDRow{Setup: setup, Seconds: secs}
		pv, ps := wavediff.Regrid(s.Codec, pc, v, sm)
		var err error
		if r.FDVelocity, err = proxy.FDProxy(ctx, "velocity", rv, pv); err != nil {
			return r, err
		}
		if r.FDSeismic, err = proxy.FDProxy(ctx, "seismic", rs, ps); err != nil {
			return r, err
		}
		d, err := wavediff.ModelDeviations(ctx, s.Codec, v, sm, o.Workers, nil)
		if err != nil {
			return r, err
		}
		r.PDE = wavediff.Summarize(d)
		return r, nil
	}
	gen := o.generate()
	logf("generating %d joint pairs", o.N)
	ts := time.Now()
	gv, gs, err := wavediff.Generate(ctx, s.Diffusion, s.AE, o.N, gen, nil)
	if err != nil {
		return nil, err
	}
	r, err := score("joint", gv, gs, time.Since(ts).Seconds())
	if err != nil {
		return nil, err
	}
	rows := []FDRow{r}
	if o.SepVelocity != "" {
		logf("generating %d velocity maps and %d seismic samples with the separate models", o.N, o.N)
		ts = time.Now()
		sv, ss, err := separate(ctx, o, gen, s.Codec)
		if err != nil {
			return nil, err
		}
		r, err := score("separate", sv, ss, time.Since(ts).Seconds())
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	// Real vs real: the FD-proxy of two halves of the reference set is the
	// sampling-noise floor of the metric at this set size.
	vl, sl := pc.VelLen(), pc.SeisLen()
	h := len(rv) / vl / 2
	fv, err := proxy.FDProxy(ctx, "velocity", rv[:h*vl], rv[h*vl:2*h*vl])
	if err != nil {
		return nil, err
	}
	fs, err := proxy.FDProxy(ctx, "seismic", rs[:h*sl], rs[h*sl:2*h*sl])
	if err != nil {
		return nil, err
	}
	res := &FDResult{Rows: rows, FloorVel: fv, FloorSeis: fs, NGenerated: o.N, NReal: len(rv) / vl,
		Proxy: proxyPath, Sampler: o.Sampler, Seconds: time.Since(s.Began).Seconds(),
		Metric: "FD-proxy: Fréchet distance on 64 features of genfwi's own FD-proxy autoencoders (not Inception FID)"}
	res.Table = res.markdown()
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	if err := wavediff.WriteJSON(filepath.Join(o.Out, "fd_proxy.json"), res); err != nil {
		return nil, err
	}
	if err := wavediff.WriteFileAtomic(filepath.Join(o.Out, "fd_proxy.md"), []byte(res.Table)); err != nil {
		return nil, err
	}
	return res, nil
}

// separate generates velocity maps and seismic with the single-modality
// models.
// separate generates with the separate single-modality models and returns
// their samples on the grid of codec (the joint model's).
func separate(ctx context.Context, o FDOptions, gen wavediff.GenerateOptions, codec wavediff.Codec) (vel, seis []float32, err error) {
	dv, aev, cv, err := wavediff.LoadDiffusion(o.SepVelocity, "")
	if err != nil {
		return nil, nil, &InputError{"SepVelocity", err}
	}
	ds, aes, cs, err := wavediff.LoadDiffusion(o.SepSeismic, "")
	if err != nil {
		return nil, nil, &InputError{"SepSeismic", err}
	}
	if vel, _, err = wavediff.Generate(ctx, dv, aev, o.N, gen, nil); err != nil {
		return nil, nil, err
	}
	if _, seis, err = wavediff.Generate(ctx, ds, aes, o.N, gen, nil); err != nil {
		return nil, nil, err
	}
	if vel == nil || seis == nil {
		return nil, nil, errors.New("the separate models must decode velocity (--separate-velocity) and seismic (--separate-seismic)")
	}
	vel, _ = wavediff.Regrid(cv, codec, vel, nil)
	_, seis = wavediff.Regrid(cs, codec, nil, seis)
	return vel, seis, nil
}

// markdown is the table of fd_proxy.md.
func (r *FDResult) markdown() string {
	var md strings.Builder
	md.WriteString("| Modality | Setup | FD-proxy | \n|---|---|---|\n")
	for _, mod := range []string{"velocity", "seismic"} {
		for _, row := range r.Rows {
			v := row.FDVelocity
			if mod == "seismic" {
				v = row.FDSeismic
			}
			fmt.Fprintf(&md, "| %s | %s | %.4g |\n", mod, row.Setup, v)
		}
	}
	fmt.Fprintf(&md, "| velocity | real half vs real half (floor) | %.4g |\n| seismic | real half vs real half (floor) | %.4g |\n", r.FloorVel, r.FloorSeis)
	md.WriteString("\n| Setup | PDE deviation mean MSE_norm | median | mean rel. L2 |\n|---|---|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&md, "| %s | %.4g | %.4g | %.4g |\n", row.Setup, row.PDE.MeanMSENorm, row.PDE.MedianMSENorm, row.PDE.MeanRelL2)
	}
	return md.String()
}
