// Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not set.
#include <fcntl.h>

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// Swaps two paths in one atomic step (both must exist): what makes a checkpoint directory
/// change from one complete save to the next with no moment in between. -1 with errno EINVAL
/// where the file system cannot do it.
static inline int mtl_rename_exchange(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, 1u << 1 /* RENAME_EXCHANGE */);
}
