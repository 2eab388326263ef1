package templates

import (
	"errors"
	"fmt"
	"html/template"
)

// funcs are the functions every template may call, beyond the built-ins.
var funcs = template.FuncMap{
	"dict":    dict,
	"msg":     Msg,
	"present": present,
}

// present reports whether a component argument holds something to show: a
// non-zero Message, a non-empty string or slice, true. Components use it
// for optional arguments, which a dict may simply leave out.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case Message:
		return !x.IsZero()
	case *Message:
		return x != nil && !x.IsZero()
	case string:
		return x != ""
	case bool:
		return x
	case []Message:
		return len(x) > 0
	default:
		return true
	}
}

// dict builds the argument of a component from name/value pairs:
// {{template "field" (dict "page" $ "name" "username" …)}}.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("dict: arguments must be name/value pairs")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: name %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}

// Message is text to be translated when the page is rendered: a catalog
// key and its name/value arguments. Handlers put Messages (not English
// strings) in page data, so that every text follows the page's language.
type Message struct {
	Key  string
	Args []any
}

// Msg makes a Message; templates call it as {{msg "key" "name" value}}.
func Msg(key string, args ...any) Message { return Message{Key: key, Args: args} }

// IsZero reports an absent message.
func (m Message) IsZero() bool { return m.Key == "" }

// Tm translates a Message in the page's language: {{$.Tm .Error}}.
func (c Common) Tm(m Message) (string, error) {
	if m.IsZero() {
		return "", nil
	}
	return c.T(m.Key, m.Args...)
}
