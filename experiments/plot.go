package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"genfwi/figures"
	"genfwi/npy"
	"genfwi/openfwi"
)

// MapsPlot draws maps Lo:Hi of a velocity file: one PNG per map in the
// directory Out (model_<k>.png), or, when Out ends in .png, one image of a
// single map or a grid of Cols columns.
type MapsPlot struct {
	File   *openfwi.VelocityFile
	Lo, Hi int
	Out    string
	// Title replaces the file name in titles; DX is the cell size (m);
	// VMin and VMax fix the colour scale (m/s).
	Title      string
	DX         float64
	VMin, VMax float64
	Cols       int
}

// ToFile reports whether Out names one .png file rather than a directory.
func (p *MapsPlot) ToFile() bool { return strings.EqualFold(filepath.Ext(p.Out), ".png") }

// Outputs lists the files Run writes.
func (p *MapsPlot) Outputs() []string {
	if p.ToFile() {
		return []string{p.Out}
	}
	var outs []string
	for k := p.Lo; k < p.Hi; k++ {
		outs = append(outs, filepath.Join(p.Out, fmt.Sprintf("model_%d.png", k)))
	}
	return outs
}

// Run draws the maps and returns the files written.
func (p *MapsPlot) Run(ctx context.Context) ([]string, error) {
	f, nz, nx := p.File, p.File.Nz, p.File.Nx
	base := strings.TrimSuffix(filepath.Base(f.Path), ".npy")
	toFile := p.ToFile()
	if !toFile {
		if err := os.MkdirAll(p.Out, 0o755); err != nil {
			return nil, &InputError{"Out", err}
		}
	}
	scale := figures.VelocityScale(p.VMin, p.VMax)
	var panels []figures.Panel
	var files []string
	for k := p.Lo; k < p.Hi; k++ {
		if err := ctx.Err(); err != nil {
			return files, err
		}
		v, err := f.Maps(k, k+1)
		if err != nil {
			return files, err
		}
		title := fmt.Sprintf("%s #%d", base, k)
		if toFile {
			panels = append(panels, figures.Panel{Title: title, Raster: figures.VelocityRaster(v, nz, nx, p.DX, p.DX), Scale: scale})
			continue
		}
		if p.Title != "" {
			title = fmt.Sprintf("%s #%d", p.Title, k)
		}
		path := filepath.Join(p.Out, fmt.Sprintf("model_%d.png", k))
		if err := figures.VelocityMap(path, title, v, nz, nx, p.DX, p.DX, p.VMin, p.VMax); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	if !toFile {
		return files, nil
	}
	var err error
	if len(panels) == 1 {
		t := panels[0].Title
		if p.Title != "" {
			t = p.Title
		}
		err = figures.Image(p.Out, t, panels[0].Raster, panels[0].Scale)
	} else {
		err = figures.Grid(p.Out, p.Title, panels, p.Cols)
	}
	if err != nil {
		return nil, err
	}
	return []string{p.Out}, nil
}

// GatherPlot draws shot Shot of sample Sample of a seismic file
// [N, shots, nt, receivers] to the .png Out.
type GatherPlot struct {
	Data         string
	Sample, Shot int
	Out, Title   string
	DT, DX, Clip float64
}

// RangeError is an index outside the data; Input is the options field
// (Sample, Shot) and Err says which range it left.
type RangeError struct {
	Input string
	Err   error
}

// Error returns the message.
func (e *RangeError) Error() string { return e.Err.Error() }

// Run draws the gather.
func (p *GatherPlot) Run() error {
	f, err := npy.Open(p.Data)
	if err != nil {
		return &InputError{"Data", err}
	}
	defer f.Close()
	sh := f.Shape()
	if len(sh) != 4 {
		return &InputError{"Data", fmt.Errorf("%s has shape %v, want [N,shots,nt,receivers]", p.Data, sh)}
	}
	n, ns, nt, nr := sh[0], sh[1], sh[2], sh[3]
	if p.Sample < 0 || p.Sample >= n {
		return &RangeError{"Sample", fmt.Errorf("%d is outside 0..%d", p.Sample, n-1)}
	}
	if p.Shot < 0 || p.Shot >= ns {
		return &RangeError{"Shot", fmt.Errorf("%d is outside 0..%d", p.Shot, ns-1)}
	}
	d := make([]float32, nt*nr)
	if err := f.ReadFloat32(d, (int64(p.Sample)*int64(ns)+int64(p.Shot))*int64(nt*nr)); err != nil {
		return &InputError{"Data", err}
	}
	title := p.Title
	if title == "" {
		title = fmt.Sprintf("%s sample %d shot %d", strings.TrimSuffix(filepath.Base(p.Data), ".npy"), p.Sample, p.Shot)
	}
	return figures.ShotGather(p.Out, title, d, nt, nr, p.DT, 0, p.DX, p.Clip)
}
