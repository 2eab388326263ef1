// Command mas-cli is the Matrix Authentication Service: the server, its job
// worker and the operator tools, in one binary.
package main

import (
	"context"
	"os"

	"mas/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
