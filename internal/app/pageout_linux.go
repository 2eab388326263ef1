package app

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// madvPageout asks the kernel to reclaim the pages of a range now (Linux
// 5.4+). Older kernels answer EINVAL and nothing happens.
const madvPageout = 21

// releaseStartupPages hands back the pages of the executable's read-only
// mappings (code, constants, the function tables). Starting touches most
// of them once - every package's init, the migrations check, template
// parsing - and the kernel maps their neighbours too, so a server that has
// started holds nearly the whole 50 MB binary although it uses a tenth of
// it afterwards. The pages are clean copies of the file: whatever is
// needed again is read back on first use.
//
// It returns how many bytes of mappings it advised, and the first error.
func releaseStartupPages() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	var advised int64
	var firstErr error
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := bytes.Fields(sc.Bytes())
		if len(f) < 6 || string(f[5]) != exe || bytes.IndexByte(f[1], 'w') >= 0 {
			continue
		}
		start, end, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(string(start), 16, 64)
		hi, err2 := strconv.ParseUint(string(end), 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(lo), uintptr(hi-lo), madvPageout); errno != 0 {
			if firstErr == nil {
				firstErr = errno
			}
			continue
		}
		advised += int64(hi - lo)
	}
	return advised, firstErr
}
