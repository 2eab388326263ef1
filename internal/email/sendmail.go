package email

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// sendmailTransport pipes each message into the sendmail command, as
// upstream does: `command -i -f <sender> -- <recipients>`, message on
// stdin. Postfix, Exim, OpenSMTPD and msmtp all understand these flags.
type sendmailTransport struct {
	command string
}

func newSendmail(opts Options) *sendmailTransport {
	command := opts.Command
	if command == "" {
		command = "sendmail"
	}
	return &sendmailTransport{command: command}
}

// maxStderr bounds how much of the command's complaints an error carries.
const maxStderr = 2000

func (s *sendmailTransport) send(ctx context.Context, msg *gomail.Msg) error {
	// Bare addresses: go-mail's envelope strings come in angle brackets.
	senders, recipients := msg.GetFrom(), msg.GetTo()
	if len(senders) != 1 || len(recipients) == 0 {
		return fmt.Errorf("email: a message needs one sender and a recipient")
	}
	var to []string
	for _, r := range recipients {
		to = append(to, r.Address)
	}
	var body bytes.Buffer
	if _, err := msg.WriteTo(&body); err != nil {
		return fmt.Errorf("email: composing the message: %w", err)
	}
	args := append([]string{"-i", "-f", senders[0].Address, "--"}, to...)
	cmd := exec.CommandContext(ctx, s.command, args...)
	cmd.Stdin = &body
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		out := strings.TrimSpace(stderr.String())
		if len(out) > maxStderr {
			out = out[:maxStderr] + "…"
		}
		if out != "" {
			return fmt.Errorf("email: %s: %w: %s", s.command, err, out)
		}
		return fmt.Errorf("email: %s: %w", s.command, err)
	}
	return nil
}

// check finds the command; running it would send (or wait for) a message.
func (s *sendmailTransport) check(context.Context) error {
	_, err := exec.LookPath(s.command)
	return err
}

func (s *sendmailTransport) describe() string { return "sendmail command " + s.command }
