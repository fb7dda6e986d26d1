package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// colorWanted decides --color: "always" and "never" are obeyed; "auto" colours a terminal
// unless NO_COLOR is set to anything non-empty (no-color.org).
func colorWanted(flag string, w io.Writer) (bool, error) {
	switch flag {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		return os.Getenv("NO_COLOR") == "" && isTerminal(w), nil
	}
	return false, fmt.Errorf("--color: %q is not auto, always or never", flag)
}

// tableWidth is the width the table fits: $COLUMNS when set, else the terminal's, else 0
// (no wrapping, for files and pipes that people grep).
func tableWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && isTerminal(w) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return 0
}
