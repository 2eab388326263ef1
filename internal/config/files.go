package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Settings that hold a secret can give it inline (`secret`) or name a file
// (`secret_file`). The accessors below resolve such pairs. Conventions:
//
//   - Text secrets (passwords, shared secrets, client secrets) have
//     surrounding whitespace removed, because files written by editors and
//     secret managers usually end with a newline that is not part of the
//     secret. Upstream trims the Matrix secret the same way.
//   - Password-hashing peppers are returned byte for byte: upstream hashes
//     with the raw file content, and changing it would break every existing
//     password hash.
//   - Keys and certificates are returned as read; PEM parsers ignore the
//     surrounding whitespace and DER must not be altered.
//
// Errors name the configuration path and the file.

// readSecretFile reads a text secret from file, trimming whitespace.
func readSecretFile(path, file string) (string, error) {
	b, err := readRawFile(path, file)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// readRawFile reads a file named by the setting at path.
func readRawFile(path, file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, pathErr(path, "cannot read %q: %w", file, unwrapPathError(err))
	}
	return b, nil
}

// secretValue resolves an inline/file pair holding a text secret. It returns
// "" when neither is set.
func secretValue(path, name, value, file string) (string, error) {
	if value != "" && file != "" {
		return "", pathErr(path, "Cannot specify both `%s` and `%s_file`", name, name)
	}
	if file != "" {
		return readSecretFile(joinPath(path, name+"_file"), file)
	}
	return value, nil
}

// bytesValue resolves an inline/file pair holding binary material (keys,
// certificates, peppers) without altering it. It returns nil when neither is
// set.
func bytesValue(path, name, value, file string) ([]byte, error) {
	if value != "" && file != "" {
		return nil, pathErr(path, "Cannot specify both `%s` and `%s_file`", name, name)
	}
	if file != "" {
		return readRawFile(joinPath(path, name+"_file"), file)
	}
	if value == "" {
		return nil, nil
	}
	return []byte(value), nil
}

// checkReadable opens file for reading and closes it again.
func checkReadable(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("cannot read %q: %w", file, unwrapPathError(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %q: %w", file, unwrapPathError(err))
	}
	if st.IsDir() {
		return fmt.Errorf("cannot read %q: is a directory", file)
	}
	return nil
}

// unwrapPathError drops the operation and path from an *fs.PathError, since
// our messages already name the file.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pathErr formats an error prefixed with a configuration path.
func pathErr(path, format string, args ...any) error {
	if path == "" {
		return fmt.Errorf(format, args...)
	}
	return fmt.Errorf("%s: "+format, append([]any{path}, args...)...)
}
