package pii

// names recognises PERSON, LOCATION and ADDRESS from the capitalised words
// collected by the prefilter.
func (sc *scan) names() {}
