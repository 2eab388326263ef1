package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// writeOutput writes b to path, or to w when path is empty. Files are
// written to a temporary name and renamed, so a failure never leaves a
// half-written configuration behind.
func writeOutput(w io.Writer, path string, b []byte, mode os.FileMode) error {
	if path == "" {
		_, err := w.Write(b)
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func joinPaths(paths []string) string { return strings.Join(paths, ", ") }
