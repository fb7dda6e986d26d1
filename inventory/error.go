package inventory

import "strconv"

// Error is input that could not be read: a file (with line), or a live resource.
type Error struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Resource string `json:"resource,omitempty"`
	Message  string `json:"message"`
}

func (e Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Message
	case e.File != "":
		return e.File + ": " + e.Message
	case e.Resource != "":
		return e.Resource + ": " + e.Message
	}
	return e.Message
}
