//go:build windows

package proc

import (
	"errors"
	"os"
)

func openPTY(rows, cols uint16) (master, tty *os.File, err error) {
	return nil, nil, errors.New("pseudo-terminals are not supported on Windows")
}
