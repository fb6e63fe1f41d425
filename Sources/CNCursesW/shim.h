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
// The window's background: what cleared cells are filled with (pair 0: the terminal's colours).
static inline void mtl_set_background(WINDOW *w, short pair) { wbkgd(w, ' ' | COLOR_PAIR(pair)); }
#include <langinfo.h>
#include <stdio.h>
static inline FILE *mtl_stdout(void) { return stdout; }
static inline FILE *mtl_stdin(void) { return stdin; }
static inline const char *mtl_codeset(void) { return nl_langinfo(CODESET); }
#include <signal.h>
#include <pthread.h>
// The Swift runtime's threads start with most signals blocked, and the main thread inherits
// that mask here; ncurses learns of a resize only through SIGWINCH, so let it through.
static inline void mtl_unblock_resize_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

// SIGINT, SIGTERM and SIGHUP only record what arrived (all a handler may safely do); the main
// loop polls it (StopSignals) and leaves through endwin(). Unblocked here for the same reason as
// SIGWINCH; the three are masked while a handler runs, so one never interrupts another.
static volatile sig_atomic_t mtl_first_stop = 0;
static volatile sig_atomic_t mtl_interrupts = 0;
static volatile sig_atomic_t mtl_termination = 0;
static inline void mtl_on_stop_signal(int number) {
    if (mtl_first_stop == 0) mtl_first_stop = number;
    if (number == SIGINT) mtl_interrupts = mtl_interrupts + 1;
    else mtl_termination = number;
}
static inline void mtl_stop_signal_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}
static inline void mtl_install_stop_handlers(void) {
    struct sigaction action;
    mtl_stop_signal_set(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = mtl_on_stop_signal;
    int numbers[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) sigaction(numbers[i], &action, NULL);
    pthread_sigmask(SIG_UNBLOCK, &action.sa_mask, NULL);
}
// The first stop signal's number (0: none yet), how many SIGINTs, the latest SIGTERM or SIGHUP.
static inline int mtl_first_stop_signal(void) { return mtl_first_stop; }
static inline int mtl_interrupt_count(void) { return mtl_interrupts; }
static inline int mtl_termination_signal(void) { return mtl_termination; }

// Whether the terminal can move the cursor (TERM=dumb cannot: nothing would appear).
static inline int mtl_can_address_cursor(void) {
    char *cup = tigetstr("cup");
    return cup != 0 && cup != (char *)-1;
}

// A string capability of the terminal, or NULL when it has none (tigetstr's -1 included).
static inline const char *mtl_string_capability(const char *name) {
    char *value = tigetstr(name);
    return value == (char *)-1 ? NULL : value;
}
