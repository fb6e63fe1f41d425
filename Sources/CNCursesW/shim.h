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
// `handler` for the three; those the process was started ignoring (nohup's SIGHUP) stay ignored
// when `keepIgnored` says so.
static inline void mtl_catch_stop_signals(void (*handler)(int), int keepIgnored) {
    struct sigaction action, before;
    mtl_stop_signal_set(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = handler;
    int numbers[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        if (keepIgnored && sigaction(numbers[i], NULL, &before) == 0 && before.sa_handler == SIG_IGN) continue;
        sigaction(numbers[i], &action, NULL);
    }
}
static inline void mtl_install_stop_handlers(void) {
    mtl_catch_stop_signals(mtl_on_stop_signal, 0);
    sigset_t set;
    mtl_stop_signal_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
// The first stop signal's number (0: none yet), how many SIGINTs, the latest SIGTERM or SIGHUP.
static inline int mtl_first_stop_signal(void) { return mtl_first_stop; }
static inline int mtl_interrupt_count(void) { return mtl_interrupts; }
static inline int mtl_termination_signal(void) { return mtl_termination; }

#include <stdlib.h>
#include <termios.h>
#include <unistd.h>
// While the data is prepared the terminal is in cooked mode: typed keys would be echoed and then
// read as commands once the screen opens. ECHO and ICANON go off until mtl_release_typing (before
// newterm, which saves the modes endwin restores); exit() (every error path) and a stop signal
// restore them too. (Initialised: Swift emits no storage for a tentative definition.)
static struct termios mtl_typing_mode = {0};
static volatile sig_atomic_t mtl_typing_held = 0;
static inline void mtl_release_typing(void) {
    if (!mtl_typing_held) return;
    mtl_typing_held = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &mtl_typing_mode);
}
// tcsetattr is async-signal-safe; then the signal's default action ends the process as before.
static inline void mtl_on_signal_while_holding(int number) {
    mtl_release_typing();
    signal(number, SIG_DFL);
    raise(number);
}
static inline void mtl_hold_typing(void) {
    static int registered = 0;
    if (mtl_typing_held || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &mtl_typing_mode) != 0) return;
    if (!registered) registered = atexit(mtl_release_typing) == 0;
    mtl_catch_stop_signals(mtl_on_signal_while_holding, 1);
    struct termios quiet = mtl_typing_mode;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
    mtl_typing_held = 1;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
}
// Keys typed before the screen opened: dropped, not replayed as commands.
static inline void mtl_discard_typeahead(void) {
    if (isatty(STDIN_FILENO)) tcflush(STDIN_FILENO, TCIFLUSH);
}

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
