package nn

import (
	"fmt"
	"maps"
)

// Weighted is a model whose state a checkpoint holds: the arena of its
// parameters and its buffers (nil if it has none), in checkpoint order.
type Weighted interface {
	Weights() (*Arena, []*Buffer)
}

// SaveCheckpoint writes m's weights to path with SaveModel: metadata
// "format" = format (the value LoadCheckpoint checks), config as JSON under
// "config", then the entries of each meta map in order, later ones winning
// (model-specific entries first, the caller's extra last). Atomic.
func SaveCheckpoint(path, format string, m Weighted, config any, meta ...map[string]string) error {
	all := map[string]string{"format": format}
	for _, x := range meta {
		maps.Copy(all, x)
	}
	a, bufs := m.Weights()
	if err := SaveModel(path, a, bufs, config, all); err != nil {
		return fmt.Errorf("saving %s checkpoint: %w", format, err)
	}
	return nil
}

// CheckpointMeta returns the metadata of the checkpoint at path, or an
// error if its "format" is not format; what names the expected kind of
// checkpoint in that error ("a vqae").
func CheckpointMeta(path, format, what string) (map[string]string, error) {
	_, meta, err := ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	if meta["format"] != format {
		return nil, fmt.Errorf("reading %s: not %s checkpoint (format %q)", path, what, meta["format"])
	}
	return meta, nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint with the
// given format: parse decodes the config JSON stored under "config" (name
// = path labels its errors), build makes the model from it, then LoadModel
// fills the model's weights. It returns the model and the checkpoint's
// metadata; what names the kind of model in errors ("a vqae").
func LoadCheckpoint[C any, M Weighted](path, format, what string, parse func(b []byte, name string) (*C, error), build func(C) (M, error)) (M, map[string]string, error) {
	var zero M
	meta, err := CheckpointMeta(path, format, what)
	if err != nil {
		return zero, nil, err
	}
	c, err := parse([]byte(meta["config"]), path)
	if err != nil {
		return zero, nil, err
	}
	m, err := build(*c)
	if err != nil {
		return zero, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	a, bufs := m.Weights()
	if _, err := LoadModel(path, a, bufs); err != nil {
		return zero, nil, err
	}
	return m, meta, nil
}
