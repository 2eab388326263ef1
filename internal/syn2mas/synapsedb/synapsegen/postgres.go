package synapsegen

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// postgres loads with COPY in text format, which the encoder writes
// straight into a buffer: no value is boxed, so planning stays the cost.
func (g *Generator) postgres(ctx context.Context, t Target) (sum *Summary, err error) {
	ph, err := phases("postgres")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, t.DSN)
	if err != nil {
		return nil, fmt.Errorf("synapsegen: connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := timed(t, "creating the tables", func() error {
		_, err := conn.Exec(ctx, strings.Join(ph["tables"], "\n"))
		return err
	}); err != nil {
		return nil, err
	}

	conns, err := connect(ctx, t.DSN, workers())
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := timed(t, fmt.Sprintf("loading %d users", g.opts.Users), func() error {
		loaders := make([]loader, len(conns))
		for k, c := range conns {
			loaders[k] = &copyLoader{conn: c}
		}
		sum, err = g.fillAll(ctx, loaders)
		return err
	}); err != nil {
		return nil, err
	}
	// Constraints and indexes of different tables build at once; those
	// of one table wait for each other's locks.
	if err := timed(t, "building constraints and indexes", func() error {
		return parallel(ctx, conns, ph["indexes"])
	}); err != nil {
		return nil, err
	}
	if err := timed(t, "adding foreign keys", func() error {
		_, err := conn.Exec(ctx, strings.Join(ph["foreign keys"], "\n"))
		return err
	}); err != nil {
		return nil, err
	}
	if err := timed(t, "analysing", func() error {
		_, err := conn.Exec(ctx, "ANALYZE users, user_threepids, user_external_ids, devices, access_tokens, refresh_tokens")
		return err
	}); err != nil {
		return nil, err
	}
	return sum, nil
}

func connect(ctx context.Context, dsn string, n int) ([]*pgx.Conn, error) {
	var conns []*pgx.Conn
	for range n {
		c, err := pgx.Connect(ctx, dsn)
		if err == nil {
			// Index builds sort in memory rather than on disk.
			_, err = c.Exec(ctx, "SET maintenance_work_mem = '256MB'")
		}
		if err != nil {
			for _, c := range conns {
				_ = c.Close(context.WithoutCancel(ctx))
			}
			return nil, fmt.Errorf("synapsegen: connecting: %w", err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// parallel runs the statements on the connections, each statement once.
func parallel(ctx context.Context, conns []*pgx.Conn, stmts []string) error {
	work := make(chan string, len(stmts))
	for _, s := range stmts {
		work <- s
	}
	close(work)
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				if _, err := c.Exec(ctx, s); err != nil {
					errs <- fmt.Errorf("%s: %w", s, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // nil when closed empty
}

// copyLoader is one worker's connection and COPY buffers.
type copyLoader struct {
	conn *pgx.Conn
	bufs [6]copyText
}

func (l *copyLoader) encoders() [6]encoder {
	var enc [6]encoder
	for k := range l.bufs {
		l.bufs[k].b.Reset()
		enc[k] = &l.bufs[k]
	}
	return enc
}

func (l *copyLoader) load(ctx context.Context, _ [6]encoder) error {
	for k, t := range loadTables {
		if l.bufs[k].b.Len() == 0 {
			continue
		}
		sql := "COPY " + t.name + " (" + strings.Join(t.columns, ", ") + ") FROM STDIN"
		if _, err := l.conn.PgConn().CopyFrom(ctx, bytes.NewReader(l.bufs[k].b.Bytes()), sql); err != nil {
			return fmt.Errorf("copying into %s: %w", t.name, err)
		}
	}
	return nil
}

// copyText encodes rows in COPY's text format: tab-separated, \N for
// NULL, backslash escapes.
type copyText struct {
	b       bytes.Buffer
	started bool
	num     [20]byte
}

func (c *copyText) sep() {
	if c.started {
		c.b.WriteByte('\t')
	}
	c.started = true
}

func (c *copyText) str(s string) {
	c.sep()
	if !strings.ContainsAny(s, "\\\t\n\r") {
		c.b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			c.b.WriteString(`\\`)
		case '\t':
			c.b.WriteString(`\t`)
		case '\n':
			c.b.WriteString(`\n`)
		case '\r':
			c.b.WriteString(`\r`)
		default:
			c.b.WriteByte(ch)
		}
	}
}

func (c *copyText) null() {
	c.sep()
	c.b.WriteString(`\N`)
}

func (c *copyText) strp(s *string) {
	if s == nil {
		c.null()
		return
	}
	c.str(*s)
}

func (c *copyText) int(n int64) {
	c.sep()
	c.b.Write(strconv.AppendInt(c.num[:0], n, 10))
}

func (c *copyText) intp(n *int64) {
	if n == nil {
		c.null()
		return
	}
	c.int(*n)
}

func (c *copyText) boolean(v bool) {
	c.sep()
	if v {
		c.b.WriteByte('t')
	} else {
		c.b.WriteByte('f')
	}
}

func (c *copyText) boolp(v *bool) {
	if v == nil {
		c.null()
		return
	}
	c.boolean(*v)
}

func (c *copyText) smallint(v bool) {
	c.sep()
	if v {
		c.b.WriteByte('1')
	} else {
		c.b.WriteByte('0')
	}
}

func (c *copyText) end() {
	c.b.WriteByte('\n')
	c.started = false
}
