package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"

	"genfwi/figures"
	"genfwi/openfwi"
	"genfwi/openfwi/gen"
)

// Gallery draws, for each dataset, n real maps of root/<Dir> (training
// files, else test files for display) next to n maps of its generator
// (file number file) into the .png out, and returns the number of panels.
func Gallery(out string, dss []openfwi.Dataset, root string, n, file int) (int, error) {
	scale := figures.VelocityScale(openfwi.VelocityLo, openfwi.VelocityHi)
	var panels []figures.Panel
	for _, d := range dss {
		g, err := gen.New(d.Name)
		if err != nil {
			return 0, err
		}
		real, label := galleryReal(filepath.Join(root, d.Dir), d, n)
		for i := range n {
			p := figures.Panel{Title: d.Dir + " real: none available", Scale: scale,
				Raster: figures.VelocityRaster(make([]float32, openfwi.ModelLen), openfwi.NZ, openfwi.NX, openfwi.DX, openfwi.DX)}
			if i < len(real) {
				p.Title = fmt.Sprintf("%s real (%s) #%d", d.Dir, label, i)
				p.Raster = figures.VelocityRaster(real[i], openfwi.NZ, openfwi.NX, openfwi.DX, openfwi.DX)
			}
			panels = append(panels, p)
		}
		for i := range n {
			m := make([]float32, openfwi.ModelLen)
			gen.Sample(g, file, i, m)
			panels = append(panels, figures.Panel{Title: fmt.Sprintf("%s generated #%d", d.Dir, i), Scale: scale,
				Raster: figures.VelocityRaster(m, openfwi.NZ, openfwi.NX, openfwi.DX, openfwi.DX)})
		}
	}
	return len(panels), figures.Grid(out, "real (left) and generated (right) velocity maps", panels, 2*n)
}

// galleryReal returns up to n real maps of a dataset: from the training
// files, or, for display only, from the test files when there are no
// training files (the shipped FlatFault-A maps are test files).
func galleryReal(dir string, d openfwi.Dataset, n int) ([][]float32, string) {
	c, err := openfwi.OpenCollection(dir, d, 0)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			slog.Warn("gallery: no real maps", "dir", dir, "err", err)
		}
		return nil, ""
	}
	files, label := c.Train(), "train"
	if len(files) == 0 {
		files, label = c.Test(), "test file"
	}
	for _, f := range files {
		if !f.HasModel {
			continue
		}
		v, err := openfwi.OpenVelocity(c.Path(f.Model))
		if err != nil {
			return nil, ""
		}
		defer v.Close()
		if v.Require(openfwi.NZ, openfwi.NX, "the gallery") != nil {
			return nil, ""
		}
		k := min(n, v.N)
		maps, err := v.Maps(0, k)
		if err != nil {
			return nil, ""
		}
		var out [][]float32
		for i := range k {
			out = append(out, maps[i*openfwi.ModelLen:(i+1)*openfwi.ModelLen])
		}
		return out, label
	}
	return nil, ""
}
