package figures

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution of every PNG written by this package.
const dpi = 110

// render draws onto a fresh white w×h canvas with fn and writes the PNG to
// path atomically.
func render(path string, w, h vg.Length, fn func(c draw.Canvas) error) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	if err := fn(draw.New(img)); err != nil {
		return fmt.Errorf("drawing %s: %w", path, err)
	}
	return writeAtomic(path, vgimg.PngCanvas{Canvas: img})
}

// writeAtomic writes the PNG to a temporary file in the directory of path and
// renames it over path, so that path is either absent, old or complete.
func writeAtomic(path string, png vgimg.PngCanvas) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = png.WriteTo(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
