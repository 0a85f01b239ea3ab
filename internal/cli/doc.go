// Package cli holds what every genfwi subcommand shares: the Command type, the
// usage-error convention, a progress reporter that writes to stderr, and the
// "--json" rule (exactly one JSON object on the last line of stdout).
//
// Library packages never import cli: only cmd/genfwi does. Progress and logs
// go to stderr; results go to files named by flags, or to stdout as JSON.
package cli
