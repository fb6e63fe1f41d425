// ncursesw with wide characters. SwiftPM drops the -D flags of ncursesw.pc, so define them here.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>

// Macros and global state Swift cannot import (or rejects as shared mutable state).
static inline WINDOW *mtl_stdscr(void) { return stdscr; }
static inline int mtl_colors(void) { return COLORS; }
static inline int mtl_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t mtl_bold(void) { return A_BOLD; }
static inline attr_t mtl_dim(void) { return A_DIM; }
static inline attr_t mtl_reverse(void) { return A_REVERSE; }
static inline attr_t mtl_underline(void) { return A_UNDERLINE; }
static inline attr_t mtl_normal(void) { return A_NORMAL; }
static inline int mtl_key_backtab(void) { return KEY_BTAB; }
static inline int mtl_key_f(int n) { return KEY_F(n); }
static inline int mtl_width(wchar_t c) { return wcwidth(c); }
#include <langinfo.h>
#include <stdio.h>
static inline FILE *mtl_stdout(void) { return stdout; }
static inline FILE *mtl_stdin(void) { return stdin; }
static inline const char *mtl_codeset(void) { return nl_langinfo(CODESET); }
