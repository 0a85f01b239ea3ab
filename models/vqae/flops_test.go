package vqae

import "testing"

// branchFLOPs counts the forward floating-point operations per sample of
// one branch's encoder and decoder: 2·C_in·C_out·k²·OH·OW per convolution
// and, per attention block, four 1×1 convolutions plus 4·L²·C for the two
// L×L products (L = H·W). Normalisations and activations are left out
// (they are O(C·H·W), not O(C²·H·W)).
func branchFLOPs(c *BranchConfig) (enc, dec float64) {
	conv := func(cin, cout, k, px int) float64 { return 2 * float64(cin*cout*k*k*px) }
	h, w := c.Resolution[0], c.Resolution[1]
	px := h * w
	enc += conv(c.InChannels, c.Ch, 3, px)
	bi := c.Ch
	attn := func(ch, px int) float64 { return 4*conv(ch, ch, 1, px) + 4*float64(px*px*ch) }
	// level counts n residual blocks (bi → bo channels for the first) and
	// their attention at resolution h×w, as newLevel builds them.
	level := func(n, bi, bo, h, w int) float64 {
		f := 0.0
		for range n {
			f += conv(bi, bo, 3, h*w) + conv(bo, bo, 3, h*w)
			if bi != bo {
				f += conv(bi, bo, 1, h*w)
			}
			if attnAt(c.AttnResolutions, h, w) {
				f += attn(bo, h*w)
			}
			bi = bo
		}
		return f
	}
	for i, m := range c.ChMult {
		bo := c.Ch * m
		enc += level(c.NumResBlocks, bi, bo, h, w)
		bi = bo
		if i < len(c.Down) && c.Down[i] != [2]int{1, 1} {
			h, w = h/c.Down[i][0], w/c.Down[i][1]
			px = h * w
			enc += conv(bi, bi, 3, px)
		}
	}
	enc += 4*conv(bi, bi, 3, px) + attn(bi, px) + conv(bi, c.ZChannels, 3, px)
	dec += conv(c.ZChannels, bi, 3, px) + 4*conv(bi, bi, 3, px) + attn(bi, px)
	for i := len(c.ChMult) - 1; i >= 0; i-- {
		bo := c.Ch * c.ChMult[i]
		dec += level(c.NumResBlocks+1, bi, bo, h, w)
		bi = bo
		if i > 0 && c.Down[i-1] != [2]int{1, 1} {
			h, w = h*c.Down[i-1][0], w*c.Down[i-1][1]
			px = h * w
			dec += conv(bi, bi, 3, px)
		}
	}
	dec += conv(bi, c.InChannels, 3, px)
	return
}

// TestForwardFLOPs checks the counter on a hand-counted branch and logs the
// cpu presets' per-sample forward cost (docs/wavediffusion-models.md).
func TestForwardFLOPs(t *testing.T) {
	// 1 level, 1 res block, 2→4 channels, 2×2 input, latent 2×2 (max side 2
	// gets attention only in the middle block).
	c := &BranchConfig{InChannels: 2, Resolution: [2]int{2, 2}, Ch: 4, ChMult: []int{1}, NumResBlocks: 1, ZChannels: 3}
	conv := func(ci, co, k, px int) float64 { return 2 * float64(ci*co*k*k*px) }
	attn := 4*conv(4, 4, 1, 4) + 4*16*4
	wantEnc := conv(2, 4, 3, 4) + 2*conv(4, 4, 3, 4) + 4*conv(4, 4, 3, 4) + attn + conv(4, 3, 3, 4)
	wantDec := conv(3, 4, 3, 4) + 4*conv(4, 4, 3, 4) + attn + 4*conv(4, 4, 3, 4) + conv(4, 2, 3, 4)
	enc, dec := branchFLOPs(c)
	if enc != wantEnc || dec != wantDec {
		t.Fatalf("FLOPs (%g, %g), hand count (%g, %g)", enc, dec, wantEnc, wantDec)
	}
	for _, name := range []string{"cpu", "paper"} {
		p, _ := Preset(name)
		se, sd := branchFLOPs(p.Seismic)
		ve, vd := branchFLOPs(p.Velocity)
		t.Logf("%s: seismic enc %.3g + dec %.3g, velocity enc %.3g + dec %.3g = %.3g GFLOP per pair forward",
			name, se/1e9, sd/1e9, ve/1e9, vd/1e9, (se+sd+ve+vd)/1e9)
	}
}
