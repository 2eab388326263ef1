package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// walk calls fn for cmd and every command below it.
func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, sub := range cmd.Commands() {
		walk(sub, fn)
	}
}

// commandArgs turns "mas-cli config check" into the arguments after the
// program name.
func commandArgs(cmd *cobra.Command) []string {
	return strings.Fields(cmd.CommandPath())[1:]
}

func TestEveryCommandHasShortAndHelp(t *testing.T) {
	root := newRootCommand(&globals{stdout: io.Discard, stderr: io.Discard})
	var paths []string
	walk(root, func(cmd *cobra.Command) {
		if cmd.Hidden {
			return
		}
		path := cmd.CommandPath()
		paths = append(paths, path)
		t.Run(path, func(t *testing.T) {
			if strings.TrimSpace(cmd.Short) == "" {
				t.Errorf("%s has no Short description", path)
			}
			if strings.HasSuffix(cmd.Short, ".") {
				t.Errorf("%s: Short %q ends with a full stop, unlike the others", path, cmd.Short)
			}
			for _, flag := range []string{"--help", "-h"} {
				r := run(t, append(commandArgs(cmd), flag)...)
				mustSucceed(t, r, path+" "+flag)
				if !strings.Contains(r.stdout, "Usage:") || !strings.Contains(r.stdout, path) {
					t.Errorf("%s %s does not print a usage naming the command:\n%s", path, flag, r)
				}
				if r.stderr != "" {
					t.Errorf("%s %s wrote to standard error:\n%s", path, flag, r)
				}
			}
			// Every subcommand is listed in its parent's help.
			if parent := cmd.Parent(); parent != nil {
				r := run(t, append(commandArgs(parent), "--help")...)
				if !strings.Contains(r.stdout, cmd.Name()) || !strings.Contains(r.stdout, cmd.Short) {
					t.Errorf("%s --help does not list %s with its description:\n%s", parent.CommandPath(), cmd.Name(), r)
				}
			}
		})
	})
	// The tree the acceptance criteria name; a command lost in a refactor
	// would otherwise just drop out of the walk.
	for _, want := range []string{
		"mas-cli", "mas-cli server", "mas-cli worker",
		"mas-cli config", "mas-cli config check", "mas-cli config dump", "mas-cli config generate",
		"mas-cli database", "mas-cli database migrate",
		"mas-cli templates", "mas-cli templates check", "mas-cli doctor",
		"mas-cli manage", "mas-cli manage register-user", "mas-cli manage lock-user", "mas-cli manage unlock-user",
	} {
		found := false
		for _, p := range paths {
			found = found || p == want
		}
		if !found {
			t.Errorf("command %q is missing; have %q", want, paths)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-V"} {
		t.Run(flag, func(t *testing.T) {
			r := run(t, flag)
			mustSucceed(t, r, flag)
			if got, want := r.stdout, "mas-cli "+Version+"\n"; got != want {
				t.Errorf("%s printed %q, want %q", flag, got, want)
			}
		})
	}
}

func TestUnknownCommandsAndFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"config", "chek"}, `unknown command "chek" for "mas-cli config"`},
		{[]string{"database", "migrat"}, `unknown command "migrat" for "mas-cli database"`},
		{[]string{"templates", "bogus"}, `unknown command "bogus" for "mas-cli templates"`},
		{[]string{"config", "check", "extra"}, `unknown command "extra"`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"config", "check", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"server", "--no-migrat"}, "unknown flag: --no-migrat"},
		{[]string{"database", "migrate", "-x"}, "unknown shorthand flag: 'x'"},
		{[]string{"config", "dump", "-o"}, "flag needs an argument"},
		{[]string{"-c"}, "flag needs an argument"},
		{[]string{"manage", "lock-user"}, "accepts 1 arg(s), received 0"},
		{[]string{"manage", "register-user", "a", "b"}, "accepts at most 1 arg(s)"},
		{[]string{"manage", "register-user", "-a", "-A"}, "if any flags in the group"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, tc.args...)
			mustFail(t, r, tc.want, "--help' for usage.")
			// Usage errors exit 2, as upstream's (clap) do.
			if r.code != 2 {
				t.Errorf("exit code %d, want 2", r.code)
			}
			if !strings.HasPrefix(r.stderr, "Error: ") {
				t.Errorf("the message does not start with \"Error: \":\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("a usage error printed to standard output:\n%s", r)
			}
		})
	}
}
