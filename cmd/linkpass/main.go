// Command linkpass runs the NALW register of social prescribing link
// workers, and verifies and holds its credentials. See README.md.
package main

import (
	"context"
	"os"

	"github.com/nalw/linkpass/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
