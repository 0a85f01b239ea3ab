package figures

import (
	"fmt"
	"io"

	"genfwi/internal/atomicfile"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution of every PNG written by this package.
const dpi = 110

// render draws onto a fresh white w×h canvas with fn and writes the PNG to
// path atomically. gonum/plot panics on some degenerate inputs (axis ranges
// it cannot draw); a figure is never worth a long job, so such a panic is
// returned as an error naming the file.
func render(path string, w, h vg.Length, fn func(c draw.Canvas) error) (err error) {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing %s: %v", path, r)
		}
	}()
	if err := fn(draw.New(img)); err != nil {
		return fmt.Errorf("drawing %s: %w", path, err)
	}
	return writeAtomic(path, vgimg.PngCanvas{Canvas: img})
}

// writeAtomic writes the PNG so that path is either absent, old or complete.
func writeAtomic(path string, png vgimg.PngCanvas) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := png.WriteTo(w)
		return err
	})
}
