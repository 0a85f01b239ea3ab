package wavediff

import (
	"fmt"
	"strings"
	"testing"

	"genfwi/figures"
	"genfwi/openfwi"
)

// TestGatherPanelNumbering: a gallery's gather panel says "shot K" for the
// gather "genfwi plot --shot K" draws (shots numbered from 0 everywhere),
// with a colour bar that states the unit.
func TestGatherPanelNumbering(t *testing.T) {
	seis := make([]float32, openfwi.DataLen)
	for i := range seis {
		seis[i] = float32(i / (openfwi.NT * openfwi.Receivers)) // the shot index
	}
	p := GatherPanel("x", seis, 0)
	if want := fmt.Sprintf("(shot %d)", GalleryShot); !strings.Contains(p.Title, want) {
		t.Errorf("title %q, want %q", p.Title, want)
	}
	if got := p.Raster.Data[0]; got != float32(GalleryShot) {
		t.Errorf("panel draws shot %v, title says %d", got, GalleryShot)
	}
	if !strings.Contains(p.Scale.Label, "(") {
		t.Errorf("colour bar label %q states no unit", p.Scale.Label)
	}
}

// TestShareGatherScale: compared gathers share the widest amplitude scale;
// velocity panels keep theirs.
func TestShareGatherScale(t *testing.T) {
	a, b := make([]float32, openfwi.DataLen), make([]float32, openfwi.DataLen)
	for i := range a {
		a[i], b[i] = float32(i%7)-3, 10*(float32(i%7)-3)
	}
	v := make([]float32, openfwi.ModelLen)
	panels := []figures.Panel{GatherPanel("a", a, 0), VelocityPanel("v", v), GatherPanel("b", b, 0)}
	if panels[0].Scale.Max == panels[2].Scale.Max {
		t.Fatal("test gathers should have different own scales")
	}
	ShareGatherScale(panels)
	if panels[0].Scale.Max != panels[2].Scale.Max || panels[0].Scale.Min != panels[2].Scale.Min || panels[0].Scale.Max != 30 || panels[0].Scale.Min != -30 {
		t.Errorf("gather scales %+v and %+v, want both ±30", panels[0].Scale, panels[2].Scale)
	}
	if panels[1].Scale.Min != openfwi.VelocityLo || panels[1].Scale.Max != openfwi.VelocityHi {
		t.Errorf("velocity scale changed: %+v", panels[1].Scale)
	}
}
