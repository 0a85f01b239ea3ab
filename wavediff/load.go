package wavediff

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"genfwi/models/diffusion"
	"genfwi/models/vqae"
)

// ErrVQAEMismatch is wrapped by LoadDiffusion's error when the autoencoder
// it is given is not the one the diffusion model was trained on.
var ErrVQAEMismatch = errors.New("not the autoencoder the diffusion model was trained on")

// LoadDiffusion loads a trained latent diffusion model (run directory or
// .safetensors) and the autoencoder it was trained on. The autoencoder is,
// in order: aeArg if not empty; the path recorded in the model's metadata if
// that file still has the recorded SHA-256; otherwise a model.safetensors in
// a sibling directory of the diffusion run with that checksum (so a copied
// weights directory keeps working). An aeArg must have the recorded SHA-256
// too (that of the file or, for a float16 copy, of its float32 source);
// otherwise the error wraps ErrVQAEMismatch. LoadDiffusionAnyVQAE skips that
// check.
func LoadDiffusion(arg, aeArg string) (*diffusion.Model, *vqae.Model, Codec, error) {
	return loadDiffusion(arg, aeArg, false)
}

// LoadDiffusionAnyVQAE is LoadDiffusion with an autoencoder aeArg that need
// not be the recorded one (an explicit experiment; latent shapes must still
// agree).
func LoadDiffusionAnyVQAE(arg, aeArg string) (*diffusion.Model, *vqae.Model, Codec, error) {
	return loadDiffusion(arg, aeArg, true)
}

func loadDiffusion(arg, aeArg string, anyVQAE bool) (*diffusion.Model, *vqae.Model, Codec, error) {
	path, err := ModelPath(arg)
	if err != nil {
		return nil, nil, Codec{}, err
	}
	f32, done, err := materialize(path)
	if err != nil {
		return nil, nil, Codec{}, err
	}
	dm, meta, err := diffusion.Load(f32)
	done()
	if err != nil {
		return nil, nil, Codec{}, fmt.Errorf("loading diffusion model %s: %w", path, err)
	}
	aePath := ""
	switch {
	case aeArg != "":
		if aePath, err = ModelPath(aeArg); err != nil {
			return nil, nil, Codec{}, err
		}
		if want := meta["vqae_sha256"]; want != "" && !anyVQAE && !slices.Contains(checkpointSums(aePath), want) {
			return nil, nil, Codec{}, fmt.Errorf("autoencoder %s: %w: %s records sha256 %s (of %s)", aePath, ErrVQAEMismatch, path, want, meta["vqae"])
		}
	default:
		want := meta["vqae_sha256"]
		var cands []string
		if p := meta["vqae"]; p != "" {
			cands = append(cands, p)
		}
		// Siblings of the run directory: <parent>/*/model.safetensors.
		parent := filepath.Dir(filepath.Dir(path))
		if m, _ := filepath.Glob(filepath.Join(parent, "*", modelFile)); m != nil {
			cands = append(cands, m...)
		}
		for _, c := range cands {
			if _, err := os.Stat(c); err != nil {
				continue
			}
			if want == "" || slices.Contains(checkpointSums(c), want) {
				aePath = c
				break
			}
		}
		if aePath == "" {
			return nil, nil, Codec{}, fmt.Errorf("diffusion model %s: its autoencoder (%s, sha256 %s) was not found; name it with --vqae", path, meta["vqae"], want)
		}
	}
	ae, codec, err := loadVQAEPath(aePath)
	if err != nil {
		return nil, nil, Codec{}, err
	}
	if ls := ae.LatentShape(); ls[0] != dm.Cfg.UNet.InChannels || ls[1] != dm.Cfg.UNet.ImageSize {
		return nil, nil, Codec{}, fmt.Errorf("autoencoder %s makes %v latents, diffusion model %s expects %d×%d×%d", aePath, ls, path, dm.Cfg.UNet.InChannels, dm.Cfg.UNet.ImageSize, dm.Cfg.UNet.ImageSize)
	}
	return dm, ae, codec, nil
}

// LoadVQAE loads an autoencoder from a run directory or .safetensors file
// and the codec it was trained with.
func LoadVQAE(arg string) (*vqae.Model, Codec, error) {
	path, err := ModelPath(arg)
	if err != nil {
		return nil, Codec{}, err
	}
	return loadVQAEPath(path)
}

func loadVQAEPath(path string) (*vqae.Model, Codec, error) {
	f32, done, err := materialize(path)
	if err != nil {
		return nil, Codec{}, err
	}
	m, meta, err := vqae.Load(f32)
	done()
	if err != nil {
		return nil, Codec{}, fmt.Errorf("loading autoencoder %s: %w", path, err)
	}
	g, err := GeometryOf(&m.Cfg)
	if err != nil {
		return nil, Codec{}, fmt.Errorf("autoencoder %s: %w", path, err)
	}
	c, err := CodecFromMeta(meta)
	if err != nil {
		return nil, Codec{}, fmt.Errorf("autoencoder %s: %w", path, err)
	}
	c.Geom = g
	return m, c, nil
}

// DefaultDatasets are the datasets of the default training set.
var DefaultDatasets = []string{"flatvel-a", "curvevel-a"}

// codecMeta returns the checkpoint metadata recording a codec.
func codecMeta(c Codec) map[string]string {
	b, _ := json.Marshal(c.Norm)
	return map[string]string{"normalisation": string(b)}
}

// CodecFromMeta returns the codec (normalisation; geometry resized64)
// recorded in checkpoint metadata, or the codec of DefaultDatasets for
// checkpoints that predate the record. LoadVQAE sets the geometry from the
// autoencoder's config.
func CodecFromMeta(meta map[string]string) (Codec, error) {
	s, ok := meta["normalisation"]
	if !ok {
		return CodecFor(DefaultDatasets...)
	}
	c := Codec{Geom: Resized64()}
	if err := json.Unmarshal([]byte(s), &c.Norm); err != nil {
		return Codec{}, fmt.Errorf("normalisation metadata: %w", err)
	}
	return c, nil
}
