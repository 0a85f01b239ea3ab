package wavediff

import (
	"fmt"

	"genfwi/figures"
	"genfwi/openfwi"
)

// GalleryShot is the shot drawn in galleries: the middle source (x = 340 m).
// Shots are numbered from 0 everywhere, as by "genfwi plot --shot", so the
// panels say "shot 2".
const GalleryShot = 2

// VelocityPanel is a figure panel of one 70×70 map in m/s on the fixed
// 1500–4500 m/s scale. It does not copy vel.
func VelocityPanel(title string, vel []float32) figures.Panel {
	return figures.Panel{Title: title, Raster: figures.VelocityRaster(vel, openfwi.NZ, openfwi.NX, openfwi.DX, openfwi.DX),
		Scale: figures.VelocityScale(openfwi.VelocityLo, openfwi.VelocityHi)}
}

// GatherPanel is a figure panel of shot GalleryShot of one 5×1000×70 sample
// (raw amplitudes), clipped at ±clip (clip ≤ 0: 99th percentile of |d|).
func GatherPanel(title string, seis []float32, clip float64) figures.Panel {
	shot := seis[GalleryShot*openfwi.NT*openfwi.Receivers : (GalleryShot+1)*openfwi.NT*openfwi.Receivers]
	return figures.Panel{Title: fmt.Sprintf("%s (shot %d)", title, GalleryShot),
		Raster: figures.GatherRaster(shot, openfwi.NT, openfwi.Receivers, openfwi.DT, 0, openfwi.DX),
		Scale:  figures.GatherScale(shot, clip)}
}

// ShareGatherScale puts every gather panel of panels (Scale.Label is
// figures.GatherLabel) on one colour scale, the widest of theirs, so that
// the gathers of one figure, which are compared, share an amplitude scale.
func ShareGatherScale(panels []figures.Panel) {
	clip := 0.0
	for _, p := range panels {
		if p.Scale.Label == figures.GatherLabel {
			clip = max(clip, p.Scale.Max)
		}
	}
	for i := range panels {
		if panels[i].Scale.Label == figures.GatherLabel {
			panels[i].Scale.Min, panels[i].Scale.Max = -clip, clip
		}
	}
}

// ModelPairPanels converts one model-resolution pair with codec and returns
// a velocity panel (if vel != nil) and a gather panel (if seis != nil). It
// allocates the OpenFWI-layout copies.
func ModelPairPanels(codec Codec, title string, vel, seis []float32) []figures.Panel {
	var ps []figures.Panel
	if vel != nil {
		fv := make([]float32, FullVel)
		codec.VelocityFromModel(fv, vel)
		ps = append(ps, VelocityPanel(title+" velocity", fv))
	}
	if seis != nil {
		fs := make([]float32, FullSeis)
		codec.SeismicFromModel(fs, seis)
		ps = append(ps, GatherPanel(title+" seismic", fs, 0))
	}
	return ps
}
