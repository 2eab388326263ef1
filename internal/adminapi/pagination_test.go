package adminapi

import (
	"net/url"
	"testing"

	"mas/internal/domain"
)

func TestParsePagination(t *testing.T) {
	id := "01JADM1NC11ENT000000000000"
	for _, c := range []struct {
		query    string
		bad      bool
		size     int
		backward bool
	}{
		{"", false, defaultPageSize, false},
		{"page[first]=3&page[after]=" + id, false, 3, false},
		{"page[last]=4&page[before]=" + id, false, 4, true},
		{"page[first]=1&page[last]=1", true, 0, false},
		{"page[after]=x", true, 0, false},
		{"page[last]=-1", true, 0, false},
		{"count=sometimes", true, 0, false},
	} {
		q, _ := url.ParseQuery(c.query)
		p, bad := parsePagination(q)
		if (bad != "") != c.bad || (!c.bad && (p.size != c.size || p.backward != c.backward)) {
			t.Errorf("%q: %+v %q", c.query, p, bad)
		}
	}
}

func TestLinkKeepsFiltersAndCount(t *testing.T) {
	id, _ := domain.ParseID("01JADM1NC11ENT000000000000")
	got := linkTo("/api/admin/v1/users", url.Values{"filter[search]": {"a b"}, "filter[admin]": {"true"}}, countFalse, "page[after]", id, "page[first]", 3)
	want := "/api/admin/v1/users?filter[admin]=true&filter[search]=a+b&page[after]=01JADM1NC11ENT000000000000&page[first]=3&count=false"
	if got != want {
		t.Errorf("link = %s\nwant %s", got, want)
	}
}
