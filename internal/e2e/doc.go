// Package e2e holds end-to-end tests that build the linkpass binary, run
// `linkpass serve` on a loopback port and drive it with the CLI, as an
// operator or registrar would.
package e2e
