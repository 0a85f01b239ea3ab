// Package cli holds what every genfwi subcommand shares: the command tree
// (Command, with leaf commands that define their flags on a fresh
// pflag.FlagSet per run, and groups of subcommands) and its one dispatcher
// (Program.Run: flags anywhere on the line, "--name", "--name=value" or the
// Go-style "-name"; -h/--help at every level; "help" and "version"; "did you
// mean" suggestions), the usage-error convention (exit 2), a progress
// reporter that writes to stderr, strict sample ranges and the "--json" rule
// (exactly one JSON object on the last line of stdout).
//
// Library packages never import cli: only cmd/genfwi does. Progress and logs
// go to stderr; results go to files named by flags, or to stdout as JSON.
package cli
