package e2e

import (
	"os"
	"testing"

	"mas/internal/homeserver/synapsetest"
)

// TestMain stops the Synapse instances the tests shared.
func TestMain(m *testing.M) { os.Exit(synapsetest.Main(m)) }
