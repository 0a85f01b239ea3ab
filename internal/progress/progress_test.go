package progress

import "testing"

type countBar struct{ n *int }

func (b countBar) Add(n int)     { *b.n += n }
func (countBar) Describe(string) {}
func (countBar) Finish()         {}

func TestStart(t *testing.T) {
	var nilStart Start
	b := nilStart.Bar(3, "silent")
	b.Add(1)
	b.Describe("x")
	b.Finish()
	n, total := 0, 0
	s := Start(func(tot int, what string) Bar { total = tot; return countBar{&n} })
	b = s.Bar(5, "job")
	b.Add(2)
	b.Add(3)
	if n != 5 || total != 5 {
		t.Errorf("counted %d of %d, want 5 of 5", n, total)
	}
}
