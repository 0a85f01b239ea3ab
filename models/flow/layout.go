package flow

import "fmt"

// Level is the shape of the flow state inside one level, per sample.
type Level struct {
	// C, H, W are the channels and size of X after the level's squeeze
	// (the flow steps of the level act on this shape).
	C, H, W int
	// Cond is the number of condition channels at this level (0 for an
	// unconditional network).
	Cond int
	// SplitOff is the number of channels factored out after the level's
	// flow steps (C − round(C/2)); 0 for the last level.
	SplitOff int
}

// Layout is the multiscale bookkeeping of a network for one input shape. It
// is a pure function of the configuration and the input shape (no state is
// recorded by a forward pass, unlike the Z_dims of InvertibleNetworks.jl).
type Layout struct {
	// C, H, W is the shape of one input sample, and of its latent.
	C, H, W int
	// Levels holds one entry per level, outermost first.
	Levels []Level
}

// Layout returns the level shapes of the network for inputs of c channels
// and size h×w. It returns an error if c differs from InChannels or h, w are
// not positive multiples of 2^Levels.
func (cfg *Config) Layout(c, h, w int) (*Layout, error) {
	if c != cfg.InChannels {
		return nil, fmt.Errorf("flow: input has %d channels, network expects %d", c, cfg.InChannels)
	}
	f := 1 << cfg.Levels
	if h <= 0 || w <= 0 || h%f != 0 || w%f != 0 {
		return nil, fmt.Errorf("flow: input size %d×%d is not a positive multiple of 2^levels = %d", h, w, f)
	}
	lay := &Layout{C: c, H: h, W: w}
	nc := cfg.CondChannels
	for l := 0; l < cfg.Levels; l++ {
		c, h, w, nc = 4*c, h/2, w/2, 4*nc
		lv := Level{C: c, H: h, W: w, Cond: nc}
		if l < cfg.Levels-1 {
			lv.SplitOff = c - half(c)
			c = half(c)
		}
		lay.Levels = append(lay.Levels, lv)
	}
	return lay, nil
}

// latentSizes returns the per-sample element counts of the latent's parts in
// packing order: the split-off parts of levels 1..L−1, then the output of the
// last level.
func (lay *Layout) latentSizes() []int {
	var s []int
	for i, lv := range lay.Levels {
		if i < len(lay.Levels)-1 {
			s = append(s, lv.SplitOff*lv.H*lv.W)
		} else {
			s = append(s, lv.C*lv.H*lv.W)
		}
	}
	return s
}
