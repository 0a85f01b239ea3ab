package vqae

// NumParams returns the number of scalar parameters a model built from c
// would have, computed from the shapes alone (no allocation), so that the
// paper presets (up to 7·10⁸ parameters) can be sized without building
// them. c must be valid.
func (c *Config) NumParams() int {
	conv := func(ci, co, k int) int { return co*ci*k*k + co }
	n := 0
	mode := c.mode()
	if mode.HasSeismicEncoder() {
		e, _ := c.Seismic.numParams()
		n += e
	}
	if mode.HasVelocityEncoder() {
		e, _ := c.Velocity.numParams()
		n += e
	}
	switch mode {
	case Joint:
		n += conv(c.Seismic.ZChannels+c.Velocity.ZChannels, c.EmbedDim, 1)
	case Aligned:
		n += conv(c.Seismic.ZChannels, c.EmbedDim, 1) + conv(c.Velocity.ZChannels, c.EmbedDim, 1)
	case OneInTwoOut, SeismicOnly:
		n += conv(c.Seismic.ZChannels, c.EmbedDim, 1)
	case VelocityOnly:
		n += conv(c.Velocity.ZChannels, c.EmbedDim, 1)
	}
	n += c.NEmbed * c.EmbedDim
	if mode.HasSeismicDecoder() {
		_, d := c.Seismic.numParams()
		n += conv(c.EmbedDim, c.Seismic.ZChannels, 1) + d
	}
	if mode.HasVelocityDecoder() {
		_, d := c.Velocity.numParams()
		n += conv(c.EmbedDim, c.Velocity.ZChannels, 1) + d
	}
	return n
}

// numParams counts the parameters of the branch's encoder and decoder,
// mirroring NewEncoder and NewDecoder.
func (b *BranchConfig) numParams() (enc, dec int) {
	conv := func(ci, co, k int) int { return co*ci*k*k + co }
	a, in := b.adapt(), b.In()
	inOut := func(ci, co int) int { return co*ci*(3+a[0])*(3+a[1]) + co } // conv_in, conv_out
	gn := func(c int) int { return 2 * c }
	res := func(ci, co int) int {
		n := gn(ci) + conv(ci, co, 3) + gn(co) + conv(co, co, 3)
		if ci != co {
			n += conv(ci, co, 1)
		}
		return n
	}
	attn := func(c int) int { return gn(c) + 4*conv(c, c, 1) }
	mid := func(c int) int { return 2*res(c, c) + attn(c) }
	h, w := b.Resolution[0], b.Resolution[1]
	enc = inOut(b.InChannels, b.Ch)
	bi := b.Ch
	for i, m := range b.ChMult {
		bo := b.Ch * m
		for j := 0; j < b.NumResBlocks; j++ {
			enc += res(bi, bo)
			if attnAt(b.AttnResolutions, h, w) {
				enc += attn(bo)
			}
			bi = bo
		}
		if i < len(b.Down) && b.Down[i] != [2]int{1, 1} {
			enc += conv(bi, bi, 3)
			h, w = h/b.Down[i][0], w/b.Down[i][1]
		}
	}
	enc += mid(bi) + gn(bi) + conv(bi, b.ZChannels, 3)
	dec = conv(b.ZChannels, bi, 3) + mid(bi)
	for i := len(b.ChMult) - 1; i >= 0; i-- {
		bo := b.Ch * b.ChMult[i]
		for j := 0; j <= b.NumResBlocks; j++ {
			dec += res(bi, bo)
			if attnAt(b.AttnResolutions, h, w) {
				dec += attn(bo)
			}
			bi = bo
		}
		if i > 0 && b.Down[i-1] != [2]int{1, 1} {
			dec += conv(bi, bi, 3)
			h, w = h*b.Down[i-1][0], w*b.Down[i-1][1]
		}
	}
	dec += gn(bi) + inOut(bi, b.InChannels)
	if b.PosEmbed {
		lat := b.LatentSize()
		dec += b.ZChannels * lat[0] * lat[1]
	}
	if b.OutputBias || b.Standardize {
		dec += b.InChannels * in[0] * in[1]
	}
	if b.Standardize { // the encoder's μ and 1/σ
		enc += b.InChannels*in[0]*in[1] + 1
	}
	return enc, dec
}
