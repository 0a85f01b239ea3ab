package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgressFinish: an interrupted bar keeps its count (no jump to
// 100 %), every bar that drew something ends its line with a newline, and
// Finish is idempotent.
func TestProgressFinish(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&Env{Stderr: &b}, 10, "job")
	p.Add(3)
	p.Finish()
	p.Finish()
	if out := b.String(); strings.Contains(out, "100%") || !strings.Contains(out, "3/10") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("interrupted bar: %q; want 3/10, no 100%%, one final newline", out)
	}

	b.Reset()
	p = NewProgress(&Env{Stderr: &b}, 4, "job")
	for range 4 {
		p.Add(1)
	}
	p.Describe("done")
	p.Finish()
	if out := b.String(); !strings.Contains(out, "100%") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("complete bar: %q; want 100%% and one final newline", out)
	}

	b.Reset()
	p = NewProgress(&Env{Stderr: &b}, 5, "job")
	p.Finish()
	if b.Len() != 0 {
		t.Errorf("a bar that drew nothing wrote %q", b.String())
	}
	p = NewProgress(&Env{Stderr: &b}, 0, "empty")
	p.Add(1)
	p.Finish()
	if b.Len() != 0 {
		t.Errorf("a bar over 0 units wrote %q", b.String())
	}
}

// TestProgressDrop: dropped units leave the total, so the bar completes
// when the remaining work is done.
func TestProgressDrop(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&Env{Stderr: &b}, 10, "job")
	p.Drop(4)
	for range 6 {
		p.Add(1)
	}
	p.Finish()
	if out := b.String(); !strings.Contains(out, "100%") || !strings.Contains(out, "6/6") {
		t.Errorf("bar after dropping 4 of 10 and adding 6: %q; want 6/6 at 100%%", out)
	}
}
