// Package progress is the seam between long-running library code and a
// progress display. A library takes a Start (nil means silent) and reports
// on the Bar it returns; cmd/genfwi passes one that draws internal/cli's
// bars on stderr, so that the libraries stay free of terminal handling.
package progress

// Bar is one progress bar (internal/cli.Progress satisfies it).
type Bar interface {
	// Add counts n more units done.
	Add(n int)
	// Describe sets the text shown after the count.
	Describe(s string)
	// Finish ends the bar; more calls do nothing.
	Finish()
}

// Start begins a bar of total units described by what.
type Start func(total int, what string) Bar

// Bar begins a bar with s, or returns one that reports nothing when s is
// nil.
func (s Start) Bar(total int, what string) Bar {
	if s == nil {
		return silent{}
	}
	return s(total, what)
}

// silent is the Bar of a nil Start.
type silent struct{}

func (silent) Add(int)         {}
func (silent) Describe(string) {}
func (silent) Finish()         {}
