package oidctest

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// form is the first form of a provider's page, as a browser would submit
// it with its first button.
type form struct {
	method   string
	action   *url.URL
	fields   url.Values
	username string // the name of its text field, if any
	password string // the name of its password field, if any
	pressed  bool   // a submit button was seen
}

// parsePage returns the first form of an HTML page (nil if it has none)
// and the page's text.
func parsePage(base *url.URL, data []byte) (*form, string, error) {
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, "", err
	}
	var f *form
	var text strings.Builder
	var walk func(n *html.Node, in *form)
	walk = func(n *html.Node, in *form) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
			text.WriteByte(' ')
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style":
				return
			case "form":
				if f != nil {
					in = nil // only the first form counts
					break
				}
				f = newForm(base, n)
				in = f
			case "input", "button":
				if in != nil {
					in.add(n)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, nil)
	return f, strings.Join(strings.Fields(text.String()), " "), nil
}

func newForm(base *url.URL, n *html.Node) *form {
	self := *base
	f := &form{method: http.MethodGet, action: &self, fields: url.Values{}}
	if strings.EqualFold(attr(n, "method"), "post") {
		f.method = http.MethodPost
	}
	if a := attr(n, "action"); a != "" {
		if u, err := base.Parse(a); err == nil {
			f.action = u
		}
	}
	return f
}

// add records a field: inputs with their values, and the value of the
// first named submit button only (the one a person presses).
func (f *form) add(n *html.Node) {
	name := attr(n, "name")
	typ := strings.ToLower(attr(n, "type"))
	switch {
	case n.Data == "button" && (typ == "" || typ == "submit") || n.Data == "input" && typ == "submit":
		if !f.pressed && name != "" {
			f.fields.Set(name, attr(n, "value"))
		}
		f.pressed = true
	case n.Data == "button":
	case name == "":
	case typ == "password":
		f.password = name
		f.fields.Set(name, "")
	case typ == "checkbox" || typ == "radio":
		if hasAttr(n, "checked") {
			f.fields.Add(name, attrOr(n, "value", "on"))
		}
	case typ == "" || typ == "text" || typ == "email":
		if f.username == "" {
			f.username = name
		}
		f.fields.Set(name, attr(n, "value"))
	default:
		f.fields.Add(name, attr(n, "value"))
	}
}

func attr(n *html.Node, key string) string { return attrOr(n, key, "") }

func attrOr(n *html.Node, key, def string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return def
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
