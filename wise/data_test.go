package wise

import "testing"

func TestRescaledAndSubset(t *testing.T) {
	p := synthPairs(3, 1)
	p.Inf.MaxY = 2
	r := Rescaled(p, 4)
	if r.Info().MaxY != 4 {
		t.Fatalf("MaxY %v", r.Info().MaxY)
	}
	v, g := make([]float32, 256), make([]float32, 3*256)
	if err := r.Read(2, v, g); err != nil {
		t.Fatal(err)
	}
	for i := range g {
		if g[i] != p.Gather[2][i]*0.5 {
			t.Fatalf("gather[%d] = %v, want %v", i, g[i], p.Gather[2][i]*0.5)
		}
	}
	if Rescaled(p, 2) != Pairs(p) || Rescaled(p, 0) != Pairs(p) {
		t.Fatal("equal or unknown constants must not wrap")
	}
	s := Subset(p, []int{2, 0})
	if s.Len() != 2 {
		t.Fatal(s.Len())
	}
	s.Read(0, v, g)
	if v[0] != p.Vel[2][0] {
		t.Fatal("subset order")
	}
	if err := s.Read(2, v, g); err == nil {
		t.Fatal("out of range must fail")
	}
	if err := p.Read(0, v[:5], g); err == nil {
		t.Fatal("short buffer must fail")
	}
}
