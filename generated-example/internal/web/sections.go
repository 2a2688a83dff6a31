package web

// section is a part of the app with pages of its own, such as the pages
// of a resource (products, orders): every page's header links to it, and
// the cache dashboard lists the routes it serves as cached views.
type section struct {
	// Name is what the header's link and the dashboard call it, such as
	// "Products".
	Name string
	// Path is the page the header links to, such as "/products".
	Path string
	// Cached are the routes it serves as cached views, as they were
	// registered, such as "/products/:id".
	Cached []string
}

// addSection adds sec to every page's header, after the sections added
// before it, and to the cache dashboard. Add sections before the app
// serves: pages read the list without a lock.
func (s *Server) addSection(sec section) {
	s.views.sections = append(s.views.sections, sec)
}
